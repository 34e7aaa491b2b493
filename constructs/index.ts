/** The package root: re-exports only. */
export * from "./nomad-job";
export * from "./nomad-service";
export * from "./acl-bootstrap";
