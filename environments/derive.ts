import type { LocalBackendConfig, S3BackendConfig, TerraformVariable } from "cdktf";
import { AccessProps, DEFAULT_DEVELOPER_NAMESPACE } from "../constructs/access";
import type { AclBootstrapProps } from "../constructs/acl-bootstrap";
import type { ClusterFacts } from "../constructs/cluster-facts";
import { NOMAD_NAME } from "../constructs/core";
import type { DnsVipProps } from "../constructs/dns-vip";
import { AGENTS_ON_HOST, ClusterClients, HetznerCluster, HetznerClusterProps } from "../constructs/hetzner-cluster";
import { DEFAULT_DASHBOARD_AUTH, IngressProps } from "../constructs/ingress";
import { DEFAULT_NAMESPACE_ADMISSION, NamespaceAdmission, namespaceAdmissionProblems } from "../constructs/nomad-job";
import type { RaftSnapshotsProps } from "../constructs/raft-snapshots";
import type { ConsulWorkloadIdentityProps } from "../constructs/acl";
import type { AllNamespacesPolicyOptions } from "../policies";
import { EnvironmentConfig, HetznerClusterConfig, LocalClusterConfig, NamespaceConfig, SnapshotsConfig } from "./types";

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

/** What the hosts stack's cluster tells the later stacks (HetznerCluster satisfies it). */
export type ClusterOutputs = Pick<
  HetznerCluster,
  "privateNetworkId" | "subnetCidr" | "privateAddresses" | "clientPublicIps" | "consulAgentAddresses" | "sshHosts"
>;

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

/** What the environment's Nomad clients offer jobs: from the Hetzner host pools, or the one dev agent. */
export function clusterClients(env: EnvironmentConfig): ClusterClients {
  const cluster = env.cluster;
  if (cluster.kind === "hetzner") return HetznerCluster.clientsOf(cluster);
  return { count: 1, drivers: cluster.drivers ?? DEV_AGENT_DRIVERS, hostNetworks: [] };
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
    nomadVersion: env.cluster.kind === "hetzner" ? env.cluster.nomadVersion : undefined,
    namespaceAdmission: Object.fromEntries(env.namespaces.map((ns) => [ns.name, namespaceAdmission(ns)])),
    managementOnlyNamespaces: managementOnlyNamespaces(env),
  };
}

/** What jobs in `ns` may use, its defaults applied. */
export function namespaceAdmission(ns: NamespaceConfig): NamespaceAdmission {
  return {
    taskDrivers: ns.taskDrivers ?? DEFAULT_NAMESPACE_ADMISSION.taskDrivers,
    addCapabilities: ns.addCapabilities ?? DEFAULT_NAMESPACE_ADMISSION.addCapabilities,
    hostNetworkMode: ns.hostNetworkMode ?? DEFAULT_NAMESPACE_ADMISSION.hostNetworkMode,
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

/** The hosts whose agents get tokens from the acl stack (HetznerCluster, or any hosts reached over SSH). */
export type AgentHosts = Pick<ClusterOutputs, "consulAgentAddresses" | "sshHosts">;

/** AclBootstrap's props: the cluster's endpoints; with hosts, every host's Consul agent. */
export function aclBootstrapProps(endpoints: ClusterEndpoints, cluster?: AgentHosts): AclBootstrapProps {
  return {
    ...endpoints,
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
    nomadAddress: env.cluster.kind === "hetzner" ? AGENTS_ON_HOST.nomadAddress : endpoints.nomadAddress,
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
  return env.dns.mode === "hetzner" && cluster !== undefined;
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
    hetzner: cluster && hetznerToken ? { networkId: cluster.privateNetworkId, apiToken: hetznerToken } : undefined,
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
    dashboardAllowedCidrs: env.cluster.kind === "hetzner" ? env.cluster.operatorCidrs : [LOCAL_BRIDGE_GATEWAY],
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
  const agents = cluster.kind === "hetzner" ? AGENTS_ON_HOST : { nomadAddress: cluster.nomadAddress, consulAddress: cluster.consulAddress };
  return { ...snapshots, ...agents, prefix: `${env.name}/`, ...keys };
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
