import { attr, block, formatHcl, present } from "../core";
import { AgentHostSettings, hostCertificateFiles } from "./agent-config";
import { HOST_PATHS } from "./host-paths";

/** Ports Consul listens on: plain HTTP and plain gRPC are off, only their TLS variants. */
export const CONSUL_PORTS = { https: 8501, grpcTls: 8503 } as const;

export type ConsulAgentSettings = AgentHostSettings;

/** The agent configuration of one host (agent.hcl). Holds no secret: the gossip key is a separate, delivered file. */
export function renderConsulAgentConfig(settings: ConsulAgentSettings): string {
  const server = settings.server;
  return formatHcl(present([
    attr("datacenter", settings.datacenter),
    // No fixed node_id: rendered into running hosts it would change every agent's ID at the next
    // delivery, and Consul refuses a live name under a new ID ("Node name ... is reserved").
    // A restore into new hosts reconciles IDs instead (scripts/ops/restore.sh).
    attr("node_name", settings.nodeName),
    attr("data_dir", HOST_PATHS.consulDataDir),
    attr("bind_addr", settings.privateIp),
    attr("advertise_addr", settings.privateIp),
    // DNS and gRPC for the local Nomad agent and its Envoy sidecars stay on loopback; the
    // HTTPS API is also public for the operator (the Hetzner firewall admits only their CIDRs).
    attr("client_addr", "127.0.0.1"),
    block("addresses", [], [attr("https", "0.0.0.0")]),
    block("ports", [], [
      attr("http", -1),
      attr("https", CONSUL_PORTS.https),
      attr("grpc", -1),
      attr("grpc_tls", CONSUL_PORTS.grpcTls),
    ]),
    attr("retry_join", settings.serverIps),
    server ? attr("server", true) : undefined,
    server ? attr("bootstrap_expect", server.bootstrapExpect) : undefined,
    server ? block("ui_config", [], [attr("enabled", true)]) : undefined,
    server ? block("connect", [], [attr("enabled", true)]) : undefined,
    block("acl", [], [
      attr("enabled", true),
      attr("default_policy", "deny"),
      // Agent tokens set through the API (`consul acl set-agent-token`) survive restarts.
      attr("enable_token_persistence", true),
    ]),
    block("tls", [], [
      block("defaults", [], [
        ...hostCertificateFiles(),
        attr("verify_incoming", true),
        attr("verify_outgoing", true),
      ]),
      block("internal_rpc", [], [attr("verify_server_hostname", true)]),
      // API clients (operators, Terraform, Nomad) authenticate with ACL tokens, not certificates.
      block("https", [], [attr("verify_incoming", false)]),
      block("grpc", [], [attr("verify_incoming", false)]),
    ]),
  ]));
}

/**
 * The gossip encryption file. `key` is a Terraform reference to the generated key, so the
 * synthesized JSON holds `${random_bytes...}`, never the key; the file is delivered over SSH.
 * Consul persists the key in its keyring on first start (rotation: docs/operations.md).
 */
export function renderConsulGossipConfig(key: string): string {
  return formatHcl([attr("encrypt", key)]);
}
