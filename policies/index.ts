export * from "./builtin";
export * from "./consul-policy";
export * from "./nomad-capabilities";
export * from "./nomad-policy";
export * from "./nomad-version";
