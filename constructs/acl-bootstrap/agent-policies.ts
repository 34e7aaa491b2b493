/**
 * The Consul ACL policies of the agents' own tokens (HCL rules, as Consul stores them).
 * Tokens of workloads are not here: Nomad workload identity logs them in (platform stack).
 */

/** Consul agents register their node and discover services (Consul's "Create an agent token"). */
export const CONSUL_AGENT_RULES = `node_prefix "" {
  policy = "write"
}

service_prefix "" {
  policy = "read"
}
`;

/**
 * Nomad servers and clients register themselves and deregister their workloads' services
 * (Nomad's "Integrate Consul ACL" minimum). Left out on purpose: `acl = "write"` (Nomad 1.7+
 * with workload identity makes no Consul ACL calls with the agent token beyond reading
 * itself, and acl:write could mint a management token) and `mesh = "write"` (only for
 * Consul Connect ingress/terminating gateways, which this project does not run).
 */
export const NOMAD_AGENT_RULES = `agent_prefix "" {
  policy = "read"
}

node_prefix "" {
  policy = "write"
}

service_prefix "" {
  policy = "write"
}
`;

/**
 * The health gate's tokens (hashilab-wait-healthy.sh on every host): GET
 * /v1/operator/autopilot/health needs operator:read on both (Consul
 * agent/consul/operator_autopilot_endpoint.go ServerHealth: OperatorReadAllowed; Nomad v2.0.5
 * nomad/operator_endpoint.go ServerHealth: AllowOperatorRead). The gate's other calls, the
 * status endpoints, need none. Operator read also lets a token read the Raft configuration,
 * autopilot's settings and (Nomad) the scheduler configuration; it cannot change anything.
 */
export const CONSUL_HEALTH_GATE_RULES = `operator = "read"
`;

export const NOMAD_HEALTH_GATE_RULES = `operator {
  policy = "read"
}
`;

/**
 * The rollout's Consul token, on server hosts only: `consul operator raft transfer-leader` (PUT
 * /v1/operator/raft/transfer-leader) and `list-peers` need operator write and read
 * (hashilab-rollout.sh; Consul 1.21 API docs "Transfer Raft Leadership"); `consul keyring
 * -install/-use/-remove/-list` need keyring write (hashilab-rotate-gossip.sh;
 * agent/consul/internal_endpoint.go KeyringOperation). A removed host leaves through
 * leave_on_terminate (hashilab-leave.sh), so no agent write.
 * The Nomad side of the rollout needs a management token: Nomad v2.0.5 transfers leadership only
 * for one (nomad/operator_endpoint.go TransferLeadershipToPeer: IsManagement), so the server
 * hosts get Nomad's management secret, which their Raft state holds anyway.
 */
export const CONSUL_ROLLOUT_RULES = `operator = "write"
keyring = "write"
`;