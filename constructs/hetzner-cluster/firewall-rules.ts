import type { HcloudFirewallRule } from "../providers";
import { CONSUL_PORTS } from "./consul-config";
import { NOMAD_PORTS } from "./nomad-config";

const ANYWHERE = ["0.0.0.0/0", "::/0"];

/**
 * What the public interfaces accept on every host: SSH and the Nomad/Consul HTTPS APIs from
 * the operator only, and ICMP (path MTU discovery, ping). Hetzner firewalls do not filter
 * the private network, where all cluster traffic (RPC, Serf, Raft) flows.
 */
export function clusterFirewallRules(operatorCidrs: readonly string[]): HcloudFirewallRule[] {
  const fromOperator = (port: number, description: string): HcloudFirewallRule => ({
    direction: "in",
    protocol: "tcp",
    port: String(port),
    sourceIps: [...operatorCidrs],
    description,
  });
  return [
    fromOperator(22, "SSH (operator; Terraform delivers secrets this way)"),
    fromOperator(NOMAD_PORTS.http, "Nomad HTTPS API (operator)"),
    fromOperator(CONSUL_PORTS.https, "Consul HTTPS API (operator)"),
    { direction: "in", protocol: "icmp", sourceIps: ANYWHERE, description: "ICMP" },
  ];
}

/** HTTP and HTTPS from anywhere, for the hosts that run the ingress (Nomad clients). */
export function ingressFirewallRules(): HcloudFirewallRule[] {
  return [80, 443].map((port) => ({
    direction: "in",
    protocol: "tcp",
    port: String(port),
    sourceIps: ANYWHERE,
    description: port === 80 ? "HTTP ingress" : "HTTPS ingress",
  }));
}
