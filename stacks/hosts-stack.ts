import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, HetznerClusterConfig } from "../environments";
import { HetznerCluster } from "../constructs/hetzner-cluster";
import { HcloudProvider, RandomProvider, TlsProvider } from "../constructs/providers";
import { CONSUL_PORTS } from "../constructs/hetzner-cluster";
import { ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface HostsStackProps {
  readonly env: EnvironmentConfig;
  readonly cluster: HetznerClusterConfig;
}

/**
 * `<env>-hosts`: the Hetzner Cloud VMs, their network and the cluster's secrets (CA, host
 * certificates, gossip keys; all in this stack's state). The token comes from HCLOUD_TOKEN;
 * secrets are delivered over SSH with the operator's ssh-agent.
 */
export class HostsStack extends TerraformStack {
  readonly endpoints: ClusterEndpoints;
  readonly cluster: HetznerCluster;
  /** Every host's Consul HTTPS API (each agent gets its own agent token). */
  readonly consulAgentAddresses: readonly string[];

  constructor(scope: Construct, id: string, props: HostsStackProps) {
    super(scope, id);
    const { env, cluster } = props;
    useStateBackend(this, env);
    new HcloudProvider(this, "hcloud", {});
    new TlsProvider(this, "tls", {});
    new RandomProvider(this, "random", {});
    this.cluster = new HetznerCluster(this, "Cluster", {
      name: env.name,
      tier: env.tier,
      region: env.region,
      datacenter: env.datacenter,
      location: cluster.location,
      networkZone: cluster.networkZone,
      image: cluster.image,
      networkCidr: cluster.networkCidr,
      subnetCidr: cluster.subnetCidr,
      serverCount: cluster.servers.count,
      serverType: cluster.servers.serverType,
      serversAreClients: cluster.serversAreClients,
      clientCount: cluster.clients?.count,
      clientType: cluster.clients?.serverType,
      operatorCidrs: cluster.operatorCidrs,
      sshKeys: cluster.sshKeys,
      nomadVersion: cluster.nomadVersion,
      consulVersion: cluster.consulVersion,
      podmanDriverVersion: cluster.podmanDriverVersion,
      drivers: env.clients.drivers,
      chrootEnv: env.clients.chrootEnv,
      // DnsVip on Hetzner moves its VIP as an alias IP from keepalived's notify script.
      aliasIpsMovedByApi: env.vipMode === "hetzner",
    });
    // Synth-time checks (static ports, distinct_hosts) count clients from env.clients.count:
    // it must describe the hosts this stack creates.
    const clientHosts = this.cluster.hosts.filter((h) => h.spec.isClient).length;
    if (env.clients.count !== clientHosts) {
      throw new Error(
        `${this.node.path}: environment "${env.name}" declares clients.count ${env.clients.count}, but its Hetzner ` +
          `hosts run the Nomad client on ${clientHosts}; set clients.count to ${clientHosts}`,
      );
    }
    this.endpoints = {
      nomadAddress: this.cluster.nomadAddress,
      consulAddress: this.cluster.consulAddress,
      caCertPem: this.cluster.caCertPem,
    };
    this.consulAgentAddresses = this.cluster.hosts.map((h) => `https://${h.server.ipv4Address}:${CONSUL_PORTS.https}`);

    const servers = this.cluster.hosts.filter((h) => h.spec.isServer);
    new TerraformOutput(this, "server_private_ips", { value: this.cluster.serverPrivateIps });
    new TerraformOutput(this, "server_public_ips", { value: servers.map((h) => h.server.ipv4Address) });
    new TerraformOutput(this, "nomad_address", { value: this.cluster.nomadAddress });
    new TerraformOutput(this, "consul_address", { value: this.cluster.consulAddress });
    new TerraformOutput(this, "ca_certificate", {
      description: "Trust this for the Nomad and Consul APIs: terraform output -raw ca_certificate > ca.pem",
      value: this.cluster.caCertPem,
    });
  }
}
