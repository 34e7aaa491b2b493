export { AclBootstrap, TOKEN_NEVER_EXPIRES } from "./acl-bootstrap";
export type { AclBootstrapProps, AclTokenGenerations } from "./acl-bootstrap";
export { CONSUL_AGENT_RULES, CONSUL_HEALTH_GATE_RULES, CONSUL_ROLLOUT_RULES, NOMAD_AGENT_RULES, NOMAD_HEALTH_GATE_RULES } from "./agent-policies";
export { HealthGateTokenDelivery } from "./health-gate-token-delivery";
export type { HealthGateTokenDeliveryProps } from "./health-gate-token-delivery";
export { NomadConsulTokenDelivery } from "./nomad-token-delivery";
export type { NomadConsulTokenDeliveryProps } from "./nomad-token-delivery";
export { RolloutTokenDelivery } from "./rollout-token-delivery";
export type { RolloutTokenDeliveryProps } from "./rollout-token-delivery";
