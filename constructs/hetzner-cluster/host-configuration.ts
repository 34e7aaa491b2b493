import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { TaskDriver } from "../cluster-facts";
import type { RandomBytes } from "../providers";
import { ClusterPki, HostCertificateSubject } from "./cluster-pki";
import { renderConsulAgentConfig, renderConsulGossipConfig } from "./consul-config";
import { allocImageUnit, allocMountUnit, consulUnit, nomadUnit, shippedFile } from "./host-files";
import { HostIdentity, hostConstructId } from "./host-plan";
import { NomadClientSettings, renderNomadAgentConfig, renderNomadGossipConfig } from "./nomad-config";
import { SecretsDelivery } from "./secrets-delivery";
import { SshHost } from "./ssh-host-key";

/**
 * The one source of a host's configuration, whatever built the host (cloud-init on Hetzner,
 * the SSH install on LAN hosts): agent configuration, units, certificate names and the
 * delivery of secrets and configuration over SSH. Only where the host sits differs.
 */

/** What every host of one cluster shares. */
export interface HostClusterSettings {
  readonly region: string;
  readonly datacenter: string;
  /** Private addresses of every server. */
  readonly serverIps: readonly string[];
  readonly bootstrapExpect: number;
  readonly drivers: readonly TaskDriver[];
  /** The hosts' subnet: host network "private". */
  readonly subnetCidr: string;
  /** Where host network "public" is (see NomadClientSettings.publicNetwork). */
  readonly publicNetwork: NomadClientSettings["publicNetwork"];
  readonly chrootEnv?: Readonly<Record<string, string>>;
  /**
   * The DNS name with one A record per server that clients reach the APIs through (api-hostname.ts): every server's certificate carries it.
   * @default none: clients reach one server by its address
   */
  readonly apiHostname?: string;
}

/** One host's place in the cluster. */
export interface ConfiguredHost extends HostIdentity {
  /** The node name of both agents and the certificate's common name. */
  readonly name: string;
  readonly isServer: boolean;
  /** Runs the Nomad client (workloads). */
  readonly isClient: boolean;
  /** Cluster traffic binds and advertises here. */
  readonly privateIp: string;
}

/** The agent configuration files of one host (no secrets in them). */
export function renderAgentConfigs(cluster: HostClusterSettings, host: ConfiguredHost): { nomad: string; consul: string } {
  const server = host.isServer ? { bootstrapExpect: cluster.bootstrapExpect } : undefined;
  const common = { datacenter: cluster.datacenter, nodeName: host.name, privateIp: host.privateIp, serverIps: cluster.serverIps, server };
  return {
    nomad: renderNomadAgentConfig({
      ...common,
      region: cluster.region,
      client: host.isClient
        ? { drivers: cluster.drivers, privateCidr: cluster.subnetCidr, publicNetwork: cluster.publicNetwork, chrootEnv: cluster.chrootEnv }
        : undefined,
    }),
    consul: renderConsulAgentConfig(common),
  };
}

/** The names and addresses one host's certificate is valid for; `addresses` beyond loopback and the private address (e.g. a public IPv4). */
function hostCertificateSubject(cluster: HostClusterSettings, host: ConfiguredHost, addresses: readonly string[]): HostCertificateSubject {
  return {
    commonName: host.name,
    dnsNames: [
      host.name,
      "localhost",
      ...(host.isServer ? [`server.${cluster.region}.nomad`, `server.${cluster.datacenter}.consul`] : []),
      ...(host.isServer && cluster.apiHostname ? [cluster.apiHostname] : []),
      ...(host.isClient ? [`client.${cluster.region}.nomad`, `client.${cluster.datacenter}.consul`] : []),
    ],
    ipAddresses: ["127.0.0.1", host.privateIp, ...addresses],
  };
}

/** The cluster-wide secrets every host's delivery carries. */
export interface ClusterSecrets {
  readonly pki: ClusterPki;
  readonly consulGossipKey: RandomBytes;
  readonly nomadGossipKey: RandomBytes;
}

export interface HostDeliveryProps {
  readonly cluster: HostClusterSettings;
  readonly host: ConfiguredHost;
  readonly secrets: ClusterSecrets;
  /** Where Terraform reaches the host and the host key it pins. */
  readonly sshHost: SshHost;
  /** Addresses the certificate also names (e.g. the public IPv4, a reference). */
  readonly certificateAddresses: readonly string[];
  /** The machine's identity (a server id, an install's id): a new one gets a new delivery. */
  readonly instanceId: string;
  /** Must run after these (the host key's installation, the packages). */
  readonly after: readonly ITerraformDependable[];
  /** Further triggers, by a name shown in plans. @default none */
  readonly triggers?: Readonly<Record<string, string>>;
}

/**
 * Issues the host's certificate and delivers it with the gossip keys, the agent configuration
 * and the units (SecretsDelivery): ServerSecrets-1, ServerKey-1, ...
 */
export function deliverHostConfiguration(scope: Construct, props: HostDeliveryProps): SecretsDelivery {
  const { cluster, host, secrets } = props;
  const configs = renderAgentConfigs(cluster, host);
  const certificate = secrets.pki.issueHostCertificate(host, hostCertificateSubject(cluster, host, props.certificateAddresses));
  const { consulGossipKey, nomadGossipKey, pki } = secrets;
  const units = {
    consul: consulUnit(host.privateIp),
    nomad: nomadUnit(host),
    ...(host.isClient ? { allocImage: allocImageUnit(), allocMount: allocMountUnit() } : {}),
  };
  const firewall = shippedFile("metadata-block.nft");
  return new SecretsDelivery(scope, hostConstructId(host, "Secrets"), {
    host: props.sshHost,
    after: props.after,
    serverId: props.instanceId,
    files: {
      caCert: pki.caCertPem,
      agentCert: certificate.certPem,
      agentKey: certificate.privateKeyPem,
      consulGossip: renderConsulGossipConfig(consulGossipKey.base64),
      nomadGossip: host.isServer ? renderNomadGossipConfig(nomadGossipKey.base64) : undefined,
      nomadAgentConfig: configs.nomad,
      consulAgentConfig: configs.consul,
      consulUnit: units.consul,
      nomadUnit: units.nomad,
      firewall,
      allocImageUnit: units.allocImage,
      allocMountUnit: units.allocMount,
    },
    triggers: {
      ...props.triggers,
      nomad_config: configs.nomad,
      consul_config: configs.consul,
      consul_unit: units.consul,
      nomad_unit: units.nomad,
      firewall_rules: firewall,
      ...(units.allocMount ? { alloc_units: `${units.allocImage}${units.allocMount}` } : {}),
      ca_cert: pki.caCertPem,
      agent_cert: certificate.certPem,
      agent_key: certificate.privateKeyPem,
      consul_gossip_key: consulGossipKey.base64,
      ...(host.isServer ? { nomad_gossip_key: nomadGossipKey.base64 } : {}),
    },
  });
}
