import type { HcloudFirewallRule } from "../providers";
import { CONSUL_PORTS } from "./consul-config";
import { NOMAD_PORTS } from "./nomad-config";

const ANYWHERE = ["0.0.0.0/0", "::/0"];

/** One port (or range, "4646-4648") a host accepts, and from whom. */
export interface HostPort {
  readonly protocol: "tcp" | "udp";
  readonly port: string;
  readonly description: string;
}

/**
 * The ports every host accepts, by who may reach them: the one table the Hetzner firewall
 * and the hosts' own nftables rules (LAN hosts) are rendered from.
 */
export const HOST_PORTS = {
  /** SSH and the HTTPS APIs: the operator's CIDRs only. */
  operator: [
    { protocol: "tcp", port: "22", description: "SSH (operator; Terraform delivers secrets this way)" },
    { protocol: "tcp", port: String(NOMAD_PORTS.http), description: "Nomad HTTPS API (operator)" },
    { protocol: "tcp", port: String(CONSUL_PORTS.https), description: "Consul HTTPS API (operator)" },
  ],
  /**
   * Agent to agent (DESIGN.md "Ports"): Nomad HTTP, RPC and Serf, Consul server RPC, LAN and
   * WAN Serf, HTTPS; and the dynamic ports of tasks on the host network. On Hetzner the
   * private network carries them unfiltered.
   */
  cluster: [
    { protocol: "tcp", port: "4646-4648", description: "Nomad HTTPS, RPC, Serf" },
    { protocol: "udp", port: "4648", description: "Nomad Serf" },
    { protocol: "tcp", port: "8300-8302", description: "Consul server RPC, Serf LAN and WAN" },
    { protocol: "udp", port: "8301-8302", description: "Consul Serf LAN and WAN" },
    { protocol: "tcp", port: String(CONSUL_PORTS.https), description: "Consul HTTPS API" },
    { protocol: "tcp", port: "20000-32000", description: "Nomad's dynamic task ports" },
    { protocol: "udp", port: "20000-32000", description: "Nomad's dynamic task ports" },
  ],
  /** The ingress (Traefik) on the hosts that run workloads: anyone. */
  ingress: [
    { protocol: "tcp", port: "80", description: "HTTP ingress" },
    { protocol: "tcp", port: "443", description: "HTTPS ingress" },
  ],
} as const satisfies Record<string, readonly HostPort[]>;

/**
 * What the public interfaces accept on every host: SSH and the Nomad/Consul HTTPS APIs from
 * the operator only, and ICMP (path MTU discovery, ping). Hetzner firewalls do not filter
 * the private network, where all cluster traffic (RPC, Serf, Raft) flows.
 */
export function clusterFirewallRules(operatorCidrs: readonly string[]): HcloudFirewallRule[] {
  return [
    ...HOST_PORTS.operator.map(
      (p): HcloudFirewallRule => ({ direction: "in", protocol: p.protocol, port: p.port, sourceIps: [...operatorCidrs], description: p.description }),
    ),
    { direction: "in", protocol: "icmp", sourceIps: ANYWHERE, description: "ICMP" },
  ];
}

/** HTTP and HTTPS from anywhere, for the hosts that run the ingress (Nomad clients). */
export function ingressFirewallRules(): HcloudFirewallRule[] {
  return HOST_PORTS.ingress.map((p) => ({ direction: "in", protocol: p.protocol, port: p.port, sourceIps: ANYWHERE, description: p.description }));
}

export interface HostFirewallSettings {
  /** IPv4 CIDRs that may reach SSH and the HTTPS APIs. */
  readonly operatorCidrs: readonly string[];
  /** The cluster's hosts (addresses or CIDRs): every agent port is open to them, and only to them. */
  readonly clusterSources: readonly string[];
  /** The host runs workloads: the ingress ports are open to anyone. */
  readonly isClient: boolean;
  /** Further ports open to anyone, e.g. DNS (53) where the DNS VIP lands. @default none */
  readonly publicPorts?: readonly HostPort[];
}

/** One nft rule per protocol: `tcp dport { 22, 4646 }`. */
function portRules(ports: readonly HostPort[], source: string | undefined, comment: string): string[] {
  return (["tcp", "udp"] as const)
    .map((protocol) => ports.filter((p) => p.protocol === protocol).map((p) => p.port))
    .map((list, i) => (list.length === 0 ? undefined : `${source ? `ip saddr ${source} ` : ""}${["tcp", "udp"][i]} dport { ${list.join(", ")} } accept comment "${comment}"`))
    .filter((rule): rule is string => rule !== undefined);
}

/**
 * The host's own input firewall (nftables), for hosts no cloud firewall stands in front of:
 * SSH and the HTTPS APIs from the operator's CIDRs, every agent port from the cluster's hosts
 * (on a home LAN the subnet also holds phones and TVs), the ingress from anyone, and VRRP
 * between the hosts (keepalived's DNS VIP); all else is dropped. Only input: forwarded container traffic stays with the container firewall
 * (metadata-block.nft) and the runtimes' own chains. The file replaces its table, so loading
 * it again applies a change.
 */
export function renderHostFirewall(settings: HostFirewallSettings): string {
  const operators = `{ ${settings.operatorCidrs.join(", ")} }`;
  const cluster = `{ ${settings.clusterSources.join(", ")} }`;
  const anyone = [...(settings.isClient ? HOST_PORTS.ingress : []), ...(settings.publicPorts ?? [])];
  const rules = [
    "ct state established,related accept",
    "ct state invalid drop",
    'iifname "lo" accept',
    // Path MTU discovery, ping; IPv6 neighbour discovery needs ICMPv6.
    "meta l4proto { icmp, ipv6-icmp } accept",
    ...portRules(HOST_PORTS.operator, operators, "operator"),
    ...portRules(HOST_PORTS.cluster, cluster, "cluster"),
    `ip saddr ${cluster} ip protocol vrrp accept comment "keepalived (DNS VIP)"`,
    ...portRules(anyone, undefined, "anyone"),
  ];
  return [
    "#!/usr/sbin/nft -f",
    "# Written by hashilab: this host's input firewall (see renderHostFirewall).",
    "table inet hashilab_host",
    "delete table inet hashilab_host",
    "table inet hashilab_host {",
    "  chain input {",
    "    type filter hook input priority filter; policy drop;",
    ...rules.map((rule) => `    ${rule}`),
    "  }",
    "}",
    "",
  ].join("\n");
}
