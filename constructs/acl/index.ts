export * from "./consul-workload-identity";
export * from "./job-policies";
export * from "./nomad-acl-policy";
export * from "./nomad-acl-role";
export * from "./nomad-acl-token";
