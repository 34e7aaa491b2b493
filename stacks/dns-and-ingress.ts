import { TerraformStack, TerraformVariable } from "cdktf";
import { EnvironmentConfig, managementOnlyNamespaces } from "../environments";
import { DnsVip, DnsVipHetznerProps } from "../constructs/dns-vip";
import { Ingress } from "../constructs/ingress";
import { CloudflareProvider } from "../constructs/providers";
import { TRAEFIK_BASIC_AUTH } from "./platform-stack";

/** What the workloads stack needs from the hosts stack (Hetzner environments). */
export interface HostsOutputs {
  /** The private network's id: the DNS VIP is an alias IP on it. */
  readonly privateNetworkId: string;
  /** The hosts' private addresses (fixed at synth time): the DNS VIP must not be one of them. */
  readonly privateAddresses: readonly string[];
  /** Public IPv4 addresses of the hosts Traefik runs on: public hostnames point here. */
  readonly publicAddresses: readonly string[];
}

const DNS_NAMESPACE = "dns";
const INGRESS_NAMESPACE = "ingress";

/** The namespaces whose services DNS answers for and Traefik routes: all but the two infrastructure and the management-only ones. */
function workloadNamespaces(env: EnvironmentConfig): string[] {
  const excluded = [DNS_NAMESPACE, INGRESS_NAMESPACE, ...managementOnlyNamespaces(env)];
  return env.namespaces.map((ns) => ns.name).filter((ns) => !excluded.includes(ns));
}

/** The host network a port should bind on, when the clients define it. */
function hostNetwork(env: EnvironmentConfig, name: string): string | undefined {
  return env.clients.hostNetworks.includes(name) ? name : undefined;
}

/**
 * DnsVip for the environment's lab domain (construct id "Dns"): on every client (at most 3)
 * with the environment's VIP mode. On Hetzner the VIP moves as an alias IP of the hosts
 * stack's network, with a token from TF_VAR_hcloud_dns_token.
 */
export function addDnsVip(stack: TerraformStack, env: EnvironmentConfig, hosts?: HostsOutputs): DnsVip {
  const cluster = env.cluster;
  const mode = env.vipMode;
  const dns = env.dns ?? {};
  const subnetCidr = dns.vipCidr ?? (cluster.kind === "hetzner" ? cluster.subnetCidr : undefined);
  let hetzner: DnsVipHetznerProps | undefined;
  if (mode === "hetzner" && hosts) {
    const apiToken = new TerraformVariable(stack, "hcloud_dns_token", {
      type: "string",
      sensitive: true,
      description: "Hetzner Cloud API token (read/write) keepalived uses to move the DNS VIP between hosts",
    });
    hetzner = { networkId: hosts.privateNetworkId, apiToken };
  }
  return new DnsVip(stack, "Dns", {
    domain: env.domain,
    mode,
    vip: dns.vip,
    subnetCidr,
    hostAddresses: hosts?.privateAddresses ?? [],
    virtualRouterId: dns.virtualRouterId,
    hetzner,
    namespaces: workloadNamespaces(env),
    upstreams: dns.upstreams,
    instances: dns.instances ?? (mode === "none" ? 1 : Math.min(env.clients.count, 3)),
    namespace: DNS_NAMESPACE,
    datacenters: [env.datacenter],
    // keepalived needs NET_ADMIN, NET_RAW and NET_BROADCAST, outside docker's default set; a single host without keepalived can use docker.
    driver: mode === "none" && !env.clients.drivers.includes("podman") ? "docker" : "podman",
    hostNetwork: hostNetwork(env, "private"),
  });
}

/**
 * Where a browser on the machine running local agents reaches the dashboard from: the CNI
 * portmap plugin Nomad's bridge networking uses masquerades connections from loopback, so they
 * arrive from the bridge's gateway (Nomad's default bridge_network_subnet is 172.26.64.0/20).
 */
const LOCAL_BRIDGE_GATEWAY = "172.26.64.1/32";

/**
 * Traefik (construct id "Ingress") on every client, routing the workload namespaces, with
 * public hostnames in the environment's Cloudflare zone (and a Cloudflare provider, token
 * from CLOUDFLARE_API_TOKEN) when it has one. The developer namespace gets a Traefik of its
 * own that answers only for `<namespace>.<domain>`, whether or not developers may submit
 * jobs directly. The dashboard listens on the private host network only, for the operators'
 * CIDRs and SSH tunnels to the host.
 */
export function addIngress(stack: TerraformStack, env: EnvironmentConfig, hosts?: HostsOutputs): Ingress {
  if (env.cloudflare) new CloudflareProvider(stack, "cloudflare", {});
  const namespaces = workloadNamespaces(env);
  const developerNamespace = env.access?.developerNamespace ?? "dev";
  return new Ingress(stack, "Ingress", {
    namespaces,
    isolatedNamespaces: namespaces.includes(developerNamespace) ? [developerNamespace] : [],
    namespace: INGRESS_NAMESPACE,
    instances: env.clients.count,
    hostNetwork: hostNetwork(env, "public"),
    publicZone: env.cloudflare,
    publicAddresses: hosts?.publicAddresses,
    domain: env.domain,
    dashboardAuth: { path: TRAEFIK_BASIC_AUTH.path, item: TRAEFIK_BASIC_AUTH.item },
    dashboardHostNetwork: hostNetwork(env, "private"),
    dashboardAllowedCidrs: env.cluster.kind === "hetzner" ? env.cluster.operatorCidrs : [LOCAL_BRIDGE_GATEWAY],
    datacenters: [env.datacenter],
  });
}
