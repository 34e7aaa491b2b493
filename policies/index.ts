export * from "./builtin";
export * from "./consul-policy";
export * from "./hcl";
export * from "./nomad-capabilities";
export * from "./nomad-policy";
