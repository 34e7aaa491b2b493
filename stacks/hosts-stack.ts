import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, HetznerClusterConfig, hetznerClusterProps, SshClusterConfig, sshClusterProps } from "../environments";
import { HetznerCluster } from "../constructs/hetzner-cluster";
import { CloudflareProvider, HcloudProvider, RandomProvider, TlsProvider } from "../constructs/providers";
import { inZone, PublicHostname } from "../constructs/public-hostname";
import { SshCluster } from "../constructs/ssh-cluster";
import { ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface HostsStackProps {
  readonly env: EnvironmentConfig;
  readonly cluster: HetznerClusterConfig | SshClusterConfig;
}

/**
 * `<env>-hosts`: the hosts and the cluster's secrets (CA, host certificates, gossip keys; all
 * in this stack's state). Hetzner Cloud VMs (the token comes from HCLOUD_TOKEN), or machines
 * the operator already runs, installed over SSH. Secrets are delivered over SSH with the
 * operator's ssh-agent either way.
 */
export class HostsStack extends TerraformStack {
  readonly endpoints: ClusterEndpoints;
  readonly cluster: HetznerCluster | SshCluster;

  constructor(scope: Construct, id: string, props: HostsStackProps) {
    super(scope, id);
    useStateBackend(this, props.env);
    if (props.cluster.kind === "hetzner") new HcloudProvider(this, "hcloud", {});
    new TlsProvider(this, "tls", {});
    new RandomProvider(this, "random", {});
    this.cluster =
      props.cluster.kind === "hetzner"
        ? new HetznerCluster(this, "Cluster", hetznerClusterProps(props.env, props.cluster))
        : new SshCluster(this, "Cluster", sshClusterProps(props.env, props.cluster));
    this.endpoints = {
      nomadAddress: this.cluster.nomadAddress,
      consulAddress: this.cluster.consulAddress,
      caCertPem: this.cluster.caCertPem,
    };

    new TerraformOutput(this, "server_private_ips", { value: this.cluster.serverPrivateIps });
    if (this.cluster instanceof HetznerCluster) new TerraformOutput(this, "server_public_ips", { value: this.cluster.serverPublicIps });
    this.addApiHostnameRecords(props.env);
    new TerraformOutput(this, "nomad_address", { value: this.cluster.nomadAddress });
    new TerraformOutput(this, "consul_address", { value: this.cluster.consulAddress });
    // npm run review warns when one is due within 30 days (scripts/review/expiry.ts).
    new TerraformOutput(this, "certificate_expiry", {
      description: "When the CA (ca) and each host's certificate expire, RFC 3339",
      value: this.cluster.certificateExpiries,
    });
    new TerraformOutput(this, "ca_certificate", {
      description: "Trust this for the Nomad and Consul APIs: terraform output -raw ca_certificate > ca.pem",
      value: this.cluster.caCertPem,
    });
  }

  /**
   * The A records of the cluster's API name (one per server): written to Cloudflare when the
   * name lies in the environment's zone, so they follow a replaced server's new public address
   * in the same deploy (a short TTL, so resolvers forget the old one within a minute);
   * otherwise listed in the `api_hostname` output for the DNS that serves the name.
   */
  private addApiHostnameRecords(env: EnvironmentConfig): void {
    const name = this.cluster.apiHostname;
    if (!name) return;
    const addresses = this.cluster instanceof HetznerCluster ? this.cluster.serverPublicIps : this.cluster.serverPrivateIps;
    if (this.cluster instanceof HetznerCluster && env.cloudflare && inZone(name, env.cloudflare)) {
      new CloudflareProvider(this, "cloudflare", {});
      new PublicHostname(this, "ApiHostname", { zone: env.cloudflare, hostname: name, addresses, ttlSeconds: 60 });
    }
    new TerraformOutput(this, "api_hostname", {
      description: "The name the providers and CLIs reach the APIs through, and the servers' addresses it must resolve to (one A record each)",
      value: { name, addresses },
    });
  }
}
