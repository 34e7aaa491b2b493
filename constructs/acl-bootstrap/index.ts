export { AclBootstrap } from "./acl-bootstrap";
export type { AclBootstrapProps } from "./acl-bootstrap";
export { CONSUL_AGENT_RULES, NOMAD_AGENT_RULES } from "./agent-policies";
export { NomadConsulTokenDelivery } from "./nomad-token-delivery";
export type { NomadConsulTokenDeliveryProps } from "./nomad-token-delivery";
