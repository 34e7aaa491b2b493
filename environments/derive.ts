import type { LocalBackendConfig, S3BackendConfig, TerraformVariable } from "cdktf";
import { AccessProps, DEFAULT_DEVELOPER_NAMESPACE } from "../constructs/access";
import type { AclBootstrapProps, AclTokenGenerations } from "../constructs/acl-bootstrap";
import type { ClusterFactSources, ClusterFacts } from "../constructs/cluster-facts";
import { NOMAD_NAME } from "../constructs/core";
import { DNS_PORT, DnsVipProps } from "../constructs/dns-vip";
import { AGENTS_ON_HOST, ClusterClients, HetznerCluster, HetznerClusterProps } from "../constructs/hetzner-cluster";
import { DEFAULT_DASHBOARD_AUTH, IngressProps } from "../constructs/ingress";
import { DEFAULT_NAMESPACE_ADMISSION, NamespaceAdmission, namespaceAdmissionProblems } from "../constructs/nomad-job";
import type { RaftSnapshotsProps } from "../constructs/raft-snapshots";
import { CSI_NAMESPACE, HetznerCsiPluginsProps, VolumeProvider } from "../constructs/volumes";
import type { ConsulWorkloadIdentityProps } from "../constructs/acl";
import type { AllNamespacesPolicyOptions } from "../policies";
import type { BackupRepository } from "../constructs/backups";
import { SshCluster, SshClusterProps } from "../constructs/ssh-cluster";
import {
  BackupsConfig,
  ClusterConfig,
  EnvironmentConfig,
  ExistingClusterConfig,
  HetznerClusterConfig,
  LocalClusterConfig,
  NamespaceConfig,
  SnapshotsConfig,
  SshClusterConfig,
} from "./types";

/**
 * Pure functions from an environment to the props of the constructs its stacks create: every
 * decision a stack would otherwise make (counts, namespaces, drivers, addresses) is made here,
 * once, and unit-tested without synthesizing anything.
 */

/** The namespace DnsVip runs in; namespaces.ts declares it `infrastructure`. */
export const DNS_NAMESPACE = "dns";
/** The namespace the ingress (Traefik) runs in; namespaces.ts declares it `infrastructure`. */
export const INGRESS_NAMESPACE = "ingress";
/** What `nomad agent -dev` enables. */
const DEV_AGENT_DRIVERS = ["docker", "exec", "raw_exec"] as const;
/**
 * Where a browser on the machine running local agents reaches the dashboard from: the CNI
 * portmap plugin Nomad's bridge networking uses masquerades connections from loopback, so they
 * arrive from the bridge's gateway (Nomad's default bridge_network_subnet is 172.26.64.0/20).
 */
const LOCAL_BRIDGE_GATEWAY = "172.26.64.1/32";

/** What the hosts stack's cluster tells the later stacks (HetznerCluster and SshCluster satisfy it). */
export type ClusterOutputs = Pick<HetznerCluster, "subnetCidr" | "privateAddresses" | "clientPublicIps" | "consulAgentAddresses" | "sshHosts"> & {
  /** The Hetzner private network's id, where the DNS VIP moves as an alias IP. @default none (not on Hetzner) */
  readonly privateNetworkId?: string;
};

/** Where the cluster's APIs answer and the CA they are verified with; for Hetzner references into the hosts stack. */
export type ClusterEndpoints = Pick<AclBootstrapProps, "nomadAddress" | "consulAddress" | "caCertPem">;

/** HetznerCluster's props: the environment's cluster, with what the environment states once. */
export function hetznerClusterProps(env: EnvironmentConfig, cluster: HetznerClusterConfig): HetznerClusterProps {
  const { kind: _kind, ...props } = cluster;
  return {
    ...props,
    name: env.name,
    tier: env.tier,
    region: env.region,
    datacenter: env.datacenter,
    // DnsVip on Hetzner moves its VIP as an alias IP from keepalived's notify script.
    aliasIpsMovedByApi: env.dns.mode === "hetzner",
  };
}

/**
 * SshCluster's props: the environment's cluster, with what the environment states once; a host
 * firewall also lets anyone reach DNS where the DNS VIP may land.
 */
export function sshClusterProps(env: EnvironmentConfig, cluster: SshClusterConfig): SshClusterProps {
  const { kind: _kind, ...props } = cluster;
  const dnsPorts = (["udp", "tcp"] as const).map((protocol) => ({ protocol, port: String(DNS_PORT), description: "DNS (the DNS VIP)" }));
  const hostFirewall =
    props.hostFirewall && env.dns.mode !== "none"
      ? { ...props.hostFirewall, publicPorts: [...(props.hostFirewall.publicPorts ?? []), ...dnsPorts] }
      : props.hostFirewall;
  return { ...props, hostFirewall, name: env.name, tier: env.tier, region: env.region, datacenter: env.datacenter };
}

/** What the environment's Nomad clients offer jobs: from the hosts it builds, what it declares, or the one dev agent. */
export function clusterClients(env: EnvironmentConfig): ClusterClients {
  const cluster = env.cluster;
  switch (cluster.kind) {
    case "hetzner":
      return HetznerCluster.clientsOf(cluster);
    case "ssh":
      return SshCluster.clientsOf(cluster);
    case "existing":
      return {
        count: cluster.clients.count,
        drivers: cluster.clients.drivers ?? ["docker", "exec"],
        hostNetworks: cluster.clients.hostNetworks ?? [],
        hostVolumes: cluster.clients.hostVolumes ?? [],
        nodePools: cluster.clients.nodePools ?? ["default"],
      };
    case "local":
      // `nomad agent -dev` defines no host network or host volume; its node is in the "default" pool.
      return { count: 1, drivers: cluster.drivers ?? DEV_AGENT_DRIVERS, hostNetworks: [], hostVolumes: [], nodePools: ["default"] };
  }
}

/** Whether the environment builds the cluster's hosts (a hosts stack, and agents on every host). */
export function buildsHosts(cluster: ClusterConfig): cluster is HetznerClusterConfig | SshClusterConfig {
  return cluster.kind === "hetzner" || cluster.kind === "ssh";
}

/** The facts constructs validate against, from an environment. */
export function environmentFacts(env: EnvironmentConfig): ClusterFacts {
  const clients = clusterClients(env);
  return {
    namespaces: env.namespaces.map((ns) => ns.name),
    clientCount: clients.count,
    drivers: clients.drivers,
    hostNetworks: clients.hostNetworks,
    datacenter: env.datacenter,
    region: env.region,
    // Local agents are whatever binary the user has.
    nomadVersion: env.cluster.kind === "local" ? undefined : env.cluster.nomadVersion,
    namespaceAdmission: Object.fromEntries(env.namespaces.map((ns) => [ns.name, namespaceAdmission(ns)])),
    managementOnlyNamespaces: managementOnlyNamespaces(env),
    nodePools: clients.nodePools,
    hostVolumes: clients.hostVolumes,
    sources: environmentFactSources(env),
    volumeProvider: volumeProvider(env),
  };
}

/** Where each fact is set in an environment: synth errors name these fields as the fix. */
function environmentFactSources(env: EnvironmentConfig): ClusterFactSources {
  const hosts = clientFactSources(env.cluster);
  return {
    namespaces: "the environment's namespaces",
    drivers: env.cluster.kind === "existing" ? "the environment's cluster.clients.drivers" : "the environment's cluster.drivers",
    ...hosts,
    datacenter: "the environment's datacenter",
    region: "the environment's region",
    nomadVersion: "the environment's cluster.nomadVersion",
    namespaceAdmission: "the environment's namespaces",
    managementOnlyNamespaces: "the environment's namespaces (managementOnly: true)",
  };
}

/** Where the facts about the clients come from, for each kind of cluster. */
function clientFactSources(
  cluster: EnvironmentConfig["cluster"],
): Pick<ClusterFactSources, "clientCount" | "hostNetworks" | "hostVolumes" | "nodePools"> {
  switch (cluster.kind) {
    case "hetzner":
      return {
        clientCount: "the environment's cluster.serverCount (with serversAreClients) and cluster.clientCount",
        hostNetworks: "the hosts' agent configuration (HetznerCluster defines private and public)",
        hostVolumes: "the hosts' agent configuration (HetznerCluster defines none)",
        nodePools: 'the hosts\' agent configuration (every client is in "default")',
      };
    case "ssh":
      return {
        clientCount: "the environment's cluster.hosts (each host whose role is client or both)",
        hostNetworks: "the hosts' agent configuration (SshCluster defines private and public)",
        hostVolumes: "the hosts' agent configuration (SshCluster defines none)",
        nodePools: 'the hosts\' agent configuration (every client is in "default")',
      };
    case "existing":
      return {
        clientCount: "the environment's cluster.clients.count",
        hostNetworks: "the environment's cluster.clients.hostNetworks",
        hostVolumes: "the environment's cluster.clients.hostVolumes",
        nodePools: "the environment's cluster.clients.nodePools",
      };
    case "local":
      return {
        clientCount: "a local cluster: its one dev agent",
        hostNetworks: "the dev agent's configuration (it defines none)",
        hostVolumes: "the dev agent's configuration (it defines none)",
        nodePools: 'the dev agent\'s configuration ("default")',
      };
  }
}

/**
 * How the environment's cluster provides apps' volumes: Hetzner Cloud Volumes where its
 * namespaces run the CSI plugins (the csi namespace), Nomad host volumes on local agents.
 */
export function volumeProvider(env: EnvironmentConfig): VolumeProvider | undefined {
  const cluster = env.cluster;
  if (cluster.kind !== "hetzner") return { kind: "host" };
  if (!env.namespaces.some((ns) => ns.name === CSI_NAMESPACE)) return undefined;
  // HetznerCluster's default location when the environment names none.
  return { kind: "hetzner-csi", location: cluster.location ?? "nbg1" };
}

/** What jobs in `ns` may use, its defaults applied. */
export function namespaceAdmission(ns: NamespaceConfig): NamespaceAdmission {
  return {
    taskDrivers: ns.taskDrivers ?? DEFAULT_NAMESPACE_ADMISSION.taskDrivers,
    addCapabilities: ns.addCapabilities ?? DEFAULT_NAMESPACE_ADMISSION.addCapabilities,
    hostNetworkMode: ns.hostNetworkMode ?? DEFAULT_NAMESPACE_ADMISSION.hostNetworkMode,
    allowPrivileged: ns.allowPrivileged ?? DEFAULT_NAMESPACE_ADMISSION.allowPrivileged,
  };
}

/** The namespaces whose jobs hold infrastructure secrets (declared `infrastructure`). */
export function infrastructureNamespaces(env: EnvironmentConfig): string[] {
  return env.namespaces.filter((ns) => ns.infrastructure).map((ns) => ns.name);
}

/** The namespaces only management tokens may use (declared `managementOnly`). */
export function managementOnlyNamespaces(env: EnvironmentConfig): string[] {
  return env.namespaces.filter((ns) => ns.managementOnly).map((ns) => ns.name);
}

/** What the all-namespace policies (operator, anonymous) leave out or only read. */
export function policyCarveOuts(env: EnvironmentConfig): Required<AllNamespacesPolicyOptions> {
  return { managementOnly: managementOnlyNamespaces(env), infrastructure: infrastructureNamespaces(env) };
}

/** The namespaces whose services DNS answers for and Traefik routes: neither infrastructure nor management-only. */
export function workloadNamespaces(env: EnvironmentConfig): string[] {
  return env.namespaces.filter((ns) => !ns.infrastructure && !ns.managementOnly).map((ns) => ns.name);
}

/** Names Nomad accepts, and allowances that mean what they say, as "namespaces ..." problems. */
export function namespaceProblems(env: EnvironmentConfig): string[] {
  return env.namespaces.flatMap((ns) => {
    const own = NOMAD_NAME.test(ns.name) ? [] : [`is not a Nomad namespace name: use 1-128 letters, digits and dashes`];
    return [...own, ...namespaceAdmissionProblems(namespaceAdmission(ns))].map((problem) => `namespaces "${ns.name}": ${problem}`);
  });
}

/** Access's props: the environment's people and the namespace facts it declares. */
export function accessProps(env: EnvironmentConfig): AccessProps {
  return { ...env.access, namespaces: env.namespaces.map((ns) => ns.name), ...policyCarveOuts(env) };
}

/** The endpoints of a cluster run by hand on this machine. */
export function localEndpoints(cluster: LocalClusterConfig): ClusterEndpoints {
  return { nomadAddress: cluster.nomadAddress, consulAddress: cluster.consulAddress };
}

/** The endpoints of a cluster someone else runs. */
export function existingEndpoints(cluster: ExistingClusterConfig): ClusterEndpoints {
  return { nomadAddress: cluster.nomadAddress, consulAddress: cluster.consulAddress, caCertPem: cluster.caCertPem };
}

/** The hosts whose agents get tokens from the acl stack (HetznerCluster, or any hosts reached over SSH). */
export type AgentHosts = Pick<HetznerCluster, "consulAgentAddresses" | "hostAccess">;

/** AclBootstrap's props: the cluster's endpoints; with hosts, every host's Consul agent. */
export function aclBootstrapProps(endpoints: ClusterEndpoints, cluster?: AgentHosts, tokenGenerations?: AclTokenGenerations): AclBootstrapProps {
  return {
    ...endpoints,
    tokenGenerations,
    // Agent tokens go to every agent through the APIs and SSH, never through user-data.
    consulAgentAddresses: cluster?.consulAgentAddresses,
  };
}

/**
 * Where Consul fetches Nomad's signing keys from. The Consul leader fetches them itself; on
 * Hetzner every Consul server is also a Nomad server, so it asks its own Nomad over loopback
 * (the agents' certificates carry 127.0.0.1). The operator-facing address would be dropped by
 * the firewall (its API ports admit only the operator's CIDRs) whenever another server leads.
 */
export function workloadIdentityProps(env: EnvironmentConfig, endpoints: ClusterEndpoints): ConsulWorkloadIdentityProps {
  return {
    nomadAddress: buildsHosts(env.cluster) ? AGENTS_ON_HOST.nomadAddress : endpoints.nomadAddress,
    nomadCaPem: endpoints.caCertPem,
  };
}

/** Where Traefik's dashboard credentials live, when the environment has the ingress namespace. */
export function dashboardAuthVariable(env: EnvironmentConfig): { namespace: string; path: string; item: string } | undefined {
  return env.namespaces.some((ns) => ns.name === INGRESS_NAMESPACE) ? { namespace: INGRESS_NAMESPACE, ...DEFAULT_DASHBOARD_AUTH } : undefined;
}

/** The host network a port should bind on, when the clients define it. */
function hostNetwork(env: EnvironmentConfig, name: string): string | undefined {
  return clusterClients(env).hostNetworks.includes(name) ? name : undefined;
}

/** DnsVip moves its VIP through the Hetzner API: only with the hosts stack's network. */
export function dnsNeedsHetznerToken(env: EnvironmentConfig, cluster?: ClusterOutputs): boolean {
  return env.dns.mode === "hetzner" && cluster?.privateNetworkId !== undefined;
}

/**
 * DnsVip for the environment's lab domain: on every client (at most 3) in the environment's
 * VIP mode, on the private host network, answering for the workload namespaces.
 * @param hetznerToken the API token that moves the VIP, when dnsNeedsHetznerToken
 */
export function dnsVipProps(env: EnvironmentConfig, cluster?: ClusterOutputs, hetznerToken?: TerraformVariable): DnsVipProps {
  const dns = env.dns;
  const clients = clusterClients(env);
  return {
    domain: env.domain,
    mode: dns.mode,
    vip: dns.vip,
    subnetCidr: dns.subnetCidr ?? cluster?.subnetCidr,
    hostAddresses: cluster?.privateAddresses ?? [],
    virtualRouterId: dns.virtualRouterId,
    hetzner: cluster?.privateNetworkId !== undefined && hetznerToken ? { networkId: cluster.privateNetworkId, apiToken: hetznerToken } : undefined,
    namespaces: workloadNamespaces(env),
    upstreams: dns.upstreams,
    instances: dns.instances ?? (dns.mode === "none" ? 1 : Math.min(clients.count, 3)),
    namespace: DNS_NAMESPACE,
    datacenters: [env.datacenter],
    // keepalived needs NET_ADMIN, NET_RAW and NET_BROADCAST, outside docker's default set; a single host without keepalived can use docker.
    driver: dns.mode === "none" && !clients.drivers.includes("podman") ? "docker" : "podman",
    hostNetwork: hostNetwork(env, "private"),
  };
}

/**
 * Traefik on every client, routing the workload namespaces, with public hostnames in the
 * environment's Cloudflare zone when it has one. The developer namespace gets a Traefik of its
 * own that answers only for `<namespace>.<domain>`, whether or not developers may submit jobs
 * directly. The dashboard listens on the private host network only, for the operators' CIDRs
 * and SSH tunnels to the host.
 */
export function ingressProps(env: EnvironmentConfig, cluster?: ClusterOutputs, acmeCloudflareToken?: TerraformVariable): IngressProps {
  const namespaces = workloadNamespaces(env);
  const developerNamespace = env.access?.developerNamespace ?? DEFAULT_DEVELOPER_NAMESPACE;
  return {
    namespaces,
    isolatedNamespaces: namespaces.includes(developerNamespace) ? [developerNamespace] : [],
    namespace: INGRESS_NAMESPACE,
    instances: clusterClients(env).count,
    hostNetwork: hostNetwork(env, "public"),
    publicZone: env.cloudflare,
    publicAddresses: cluster?.clientPublicIps,
    acme: env.acme && { ...env.acme, cloudflareApiToken: acmeCloudflareToken },
    domain: env.domain,
    dashboardAuth: DEFAULT_DASHBOARD_AUTH,
    dashboardHostNetwork: hostNetwork(env, "private"),
    dashboardAllowedCidrs: env.cluster.kind === "local" ? [LOCAL_BRIDGE_GATEWAY] : env.cluster.operatorCidrs,
    datacenters: [env.datacenter],
  };
}

/** RaftSnapshots' props: the job reaches the agents of the host it runs on, and keys its snapshots `<env>/...`. */
export function raftSnapshotsProps(
  env: EnvironmentConfig,
  snapshots: SnapshotsConfig,
  keys: Pick<RaftSnapshotsProps, "s3AccessKeyId" | "s3SecretAccessKey">,
): RaftSnapshotsProps {
  const cluster = env.cluster;
  const agents = buildsHosts(cluster) ? AGENTS_ON_HOST : { nomadAddress: cluster.nomadAddress, consulAddress: cluster.consulAddress };
  return { ...snapshots, ...agents, prefix: `${env.name}/`, ...keys };
}

/** Where an environment's apps back their volumes up: its bucket, under `<env>/`. */
export function backupRepository(
  env: EnvironmentConfig,
  backups: BackupsConfig,
  secrets: Pick<BackupRepository, "s3AccessKeyId" | "s3SecretAccessKey" | "password">,
): BackupRepository {
  return { ...backups, prefix: `${env.name}/`, ...secrets };
}

/** The Hetzner CSI plugins of an environment whose volumes are Hetzner Cloud Volumes (volumeProvider). */
export function csiPluginsProps(env: EnvironmentConfig, location: string, apiToken: TerraformVariable): HetznerCsiPluginsProps {
  return { location, apiToken, namespace: CSI_NAMESPACE, controllers: Math.min(2, clusterClients(env).count), datacenters: [env.datacenter] };
}

/**
 * Terraform runs each stack in cdktf.out/stacks/<stack>/, so a relative local path three
 * levels up lands in the project root. An explicit path also keeps synth deterministic:
 * cdktf's default local path embeds the absolute working directory.
 */
const PROJECT_ROOT_FROM_STACK_DIR = "../../..";

/** Where a stack keeps its state: local files by default, or an S3-compatible bucket. */
export function stateBackend(env: EnvironmentConfig, stackName: string): { s3: S3BackendConfig } | { local: LocalBackendConfig } {
  const state = env.state;
  if (state.kind === "local") {
    return { local: { path: `${PROJECT_ROOT_FROM_STACK_DIR}/${state.directory ?? "state"}/${stackName}.tfstate` } };
  }
  return {
    s3: {
      bucket: state.bucket,
      key: `${state.keyPrefix ?? "hashilab"}/${stackName}.tfstate`,
      region: state.region ?? "us-east-1",
      endpoints: { s3: state.endpoint },
      usePathStyle: true,
      // S3-compatible stores have none of AWS's account, region or checksum APIs.
      skipCredentialsValidation: true,
      skipRegionValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: true,
      skipS3Checksum: true,
    },
  };
}
