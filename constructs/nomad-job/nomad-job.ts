import { Lazy, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { attachJobPolicy, AttachPolicyOptions, grantReadJobs, GrantReadJobsOptions, NomadAclPolicy } from "../acl";
import { clusterFactsOf } from "../cluster-facts";
import { claimUniqueName } from "../unique-names";
import { NomadPolicyRules } from "../../policies";
import { NomadJobResource } from "../providers";
import { rejectPlaintextSecrets } from "../secrets";
import { escapeTerraformTemplate, LastResult, throwIfProblems } from "../core";
import { Job, TaskGroup } from "./model";
import { renderJobHcl } from "./render-hcl";
import { validateCompleteJob, validateJob } from "./validate";
import { unknownFieldProblems } from "./validate-fields";

export interface NomadJobProps extends Omit<Job, "groups"> {
  /** Task groups; more can be added with `addGroup`. @default none */
  readonly groups?: readonly TaskGroup[];
  /**
   * Wait for the deployment to finish (and fail the apply if it fails) instead of returning once
   * Nomad accepted the job. Only service jobs have deployments.
   * @default true for service jobs, false otherwise
   */
  readonly waitForDeployment?: boolean;
  /**
   * Purge the job (rather than just stop it) when the construct is removed, so a removed job
   * leaves nothing behind and its name is free again at once.
   * @default true
   */
  readonly purgeOnDestroy?: boolean;
}

/**
 * A Nomad job: a typed model rendered to canonical HCL at synth time and submitted with a
 * `nomad_job` resource (child id "Default"). Groups added later with `addGroup` are included.
 *
 * Changing `name` or `namespace` replaces the job (the old one is stopped); any other change
 * is an in-place update whose plan diff is the changed HCL lines.
 */
export class NomadJob extends Construct {
  /** The job id Nomad knows it by. */
  public readonly jobId: string;
  /** The namespace the job runs in. */
  public readonly namespace: string;
  /** The `nomad_job` resource. */
  public readonly resource: NomadJobResource;
  private readonly job: Omit<Job, "groups">;
  private readonly groups: TaskGroup[];
  /** The last rendering: synth resolves the jobspec twice (prepareStack, then toTerraform). */
  private readonly rendering = new LastResult<string>();
  /** The last validateJob result: the synth-time validation repeats the constructor's. */
  private readonly validation = new LastResult<readonly string[]>();

  constructor(scope: Construct, id: string, props: NomadJobProps) {
    super(scope, id);
    const { groups = [], waitForDeployment, purgeOnDestroy, ...job } = props;
    this.job = job;
    this.groups = [...groups];
    this.jobId = props.name;
    this.namespace = props.namespace ?? "default";
    this.throwIfInvalid();
    if (!Token.isUnresolved(this.jobId) && !Token.isUnresolved(this.namespace)) {
      claimUniqueName(this, "nomad_job", `${this.namespace}/${this.jobId}`, "give one a distinct name or another namespace");
    }

    this.resource = new NomadJobResource(this, "Default", {
      jobspec: Lazy.stringValue({ produce: () => escapeTerraformTemplate(this.renderHcl()) }),
      detach: !(waitForDeployment ?? (props.type ?? "service") === "service"),
      deregisterOnDestroy: true,
      // A renamed job is a different job: stop the old one instead of leaving it running.
      deregisterOnIdChange: true,
      purgeOnDestroy: purgeOnDestroy ?? true,
    });
    this.node.addValidation({ validate: () => [...this.jobProblems(), ...validateCompleteJob(this.spec)] });
    // Any stack with a job is scanned, a consumer's own included: env, meta and templates are
    // where a secret is most easily pasted.
    rejectPlaintextSecrets(TerraformStack.of(this));
  }

  /** Adds a task group to the job. */
  public addGroup(group: TaskGroup): void {
    this.groups.push(group);
    this.throwIfInvalid();
  }

  /**
   * Lets this job's tasks read jobs and services in `namespaces` and use variables in its own
   * namespace (what a service-discovery job such as CoreDNS needs), through a policy bound to this job.
   */
  public grantReadJobs(namespaces: readonly string[], options?: GrantReadJobsOptions): NomadAclPolicy {
    return grantReadJobs(this, namespaces, options);
  }

  /** Binds an ACL policy with `rules` to this job's (or one group's or task's) workload identities. */
  public attachPolicy(id: string, rules: NomadPolicyRules, options?: AttachPolicyOptions): NomadAclPolicy {
    return attachJobPolicy(this, id, rules, options);
  }

  /** The job as it will be rendered (groups added so far included). */
  public get spec(): Job {
    return { ...this.job, groups: this.groups };
  }

  /** The jobspec Nomad receives, before it is escaped for Terraform; may contain cdktf tokens. */
  public renderHcl(): string {
    const spec = this.spec;
    // Keyed by the whole spec, so a group added or changed since still shows.
    return this.rendering.of(spec, () => renderJobHcl(spec));
  }

  private throwIfInvalid(): void {
    // Unknown fields first: the other rules read the fields they expect.
    const unknown = unknownFieldProblems(this.spec);
    throwIfProblems(this, "invalid Nomad job", unknown.length > 0 ? unknown : this.jobProblems());
  }

  /** validateJob of the spec and facts as they are now, kept while both stay the same. */
  private jobProblems(): readonly string[] {
    const spec = this.spec;
    const facts = clusterFactsOf(this);
    return this.validation.of([spec, facts], () => validateJob(spec, facts));
  }
}
