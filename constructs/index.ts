/** The package root: re-exports only. */
export * from "./core";
export * from "./nomad-job";
export * from "./nomad-service";
export * from "./cluster-facts";
export * from "./unique-names";
export * from "./hetzner-cluster";
export * from "./acl-bootstrap";
export * from "./acl";
export * from "./access";
export * from "./nomad-variable";
export * from "../policies";
export * from "./raft-snapshots";
export * from "./dns-vip";
export * from "./ingress";
export * from "./public-hostname";
export * from "./secrets";
export * from "./volumes";
