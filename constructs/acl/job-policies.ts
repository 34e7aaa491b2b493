import { NomadPolicyRules, ReadJobsOptions, readJobsPolicy } from "../../policies";
import { nameFromId } from "../core";
import { NomadJobResource } from "../providers";
import { AclBindableJob, NomadAclPolicy } from "./nomad-acl-policy";

/** How a job-bound policy is named and scoped. */
export interface AttachPolicyOptions {
  /** The policy's name in Nomad (unique in the cluster). @default `<job id>-<id in kebab-case>`, e.g. restic-repository for id Repository */
  readonly policyName?: string;
  /** @default none */
  readonly description?: string;
  /** Only this group's tasks get the rules. @default every group */
  readonly group?: string;
  /** Only this task (of `group`) gets the rules. @default every task of the group */
  readonly task?: string;
}

export interface GrantReadJobsOptions extends AttachPolicyOptions, Omit<ReadJobsOptions, "ownNamespace"> {}

/** A job that policies can be attached to: its `nomad_job` resource is created after them. */
export interface PolicyAttachableJob extends AclBindableJob {
  readonly resource: NomadJobResource;
}

/**
 * Creates a policy with `rules` bound to `job`'s workload identities, as a child of the job;
 * like any job-bound NomadAclPolicy, Terraform creates it before the job so the first
 * allocations already have it.
 */
export function attachJobPolicy(job: PolicyAttachableJob, id: string, rules: NomadPolicyRules, options: AttachPolicyOptions = {}): NomadAclPolicy {
  return new NomadAclPolicy(job, id, {
    policyName: options.policyName ?? `${job.jobId}-${nameFromId(job, id, "policyName")}`,
    description: options.description,
    rules,
    job: { job, group: options.group, task: options.task },
  });
}

/** The read-jobs policy of a service-discovery job (e.g. CoreDNS) for `job`: read jobs and services in `namespaces`, variables in its own namespace. */
export function grantReadJobs(job: PolicyAttachableJob, namespaces: readonly string[], options: GrantReadJobsOptions = {}): NomadAclPolicy {
  const { variablesPath, agentRead, ...attach } = options;
  return attachJobPolicy(job, "ReadJobs", readJobsPolicy(namespaces, { ownNamespace: job.namespace, variablesPath, agentRead }), {
    description: `Lets job ${job.jobId} read jobs and services in ${namespaces.join(", ")}`,
    ...attach,
  });
}
