export * from "./model";
export { NomadJob, NomadJobProps } from "./nomad-job";
export { renderJobHcl } from "./render-hcl";
