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
    // keepalived needs podman (seed 000); a single host without keepalived can use docker.
    driver: mode === "none" && !env.clients.drivers.includes("podman") ? "docker" : "podman",
    hostNetwork: hostNetwork(env, "private"),
  });
}

/**
 * Traefik (construct id "Ingress") on every client, routing the workload namespaces, with
 * public hostnames in the environment's Cloudflare zone (and a Cloudflare provider, token
 * from CLOUDFLARE_API_TOKEN) when it has one.
 */
export function addIngress(stack: TerraformStack, env: EnvironmentConfig, hosts?: HostsOutputs): Ingress {
  if (env.cloudflare) new CloudflareProvider(stack, "cloudflare", {});
  return new Ingress(stack, "Ingress", {
    namespaces: workloadNamespaces(env),
    namespace: INGRESS_NAMESPACE,
    instances: env.clients.count,
    hostNetwork: hostNetwork(env, "public"),
    publicZone: env.cloudflare,
    publicAddresses: hosts?.publicAddresses,
    domain: env.domain,
    dashboardAuth: { path: TRAEFIK_BASIC_AUTH.path, item: TRAEFIK_BASIC_AUTH.item },
    datacenters: [env.datacenter],
  });
}
