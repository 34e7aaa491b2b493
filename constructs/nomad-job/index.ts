export * from "./model";
export { NomadJob, NomadJobProps } from "./nomad-job";
export { renderJobHcl } from "./render-hcl";
export { DEFAULT_NAMESPACE_ADMISSION, namespaceAdmissionProblems } from "./admission";
export type { NamespaceAdmission } from "./admission";
export { jobSpecFromHcl } from "./import/from-hcl";
export type { JobSpecFromHclOptions } from "./import/from-hcl";
