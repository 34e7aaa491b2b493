import { TerraformResource, TerraformStack } from "cdktf";
import { Construct, IConstruct } from "constructs";
import { NamespaceRule, NomadPolicyRules, nomadPolicyProblems, renderNomadPolicy } from "../../policies";
import { clusterFactsOf, factSource } from "../cluster-facts";
import { addDependsOn, escapeTerraformTemplate, globMatches, nameFromId, throwIfProblems } from "../core";
import { NomadAclPolicyResource } from "../providers";
import { claimUniqueName } from "../unique-names";
import { aclNameProblems, descriptionProblems } from "./nomad-acl-rules";

/** What a workload policy needs to know about the job it is bound to (a NomadJob satisfies it). */
export interface AclBindableJob extends IConstruct {
  /** The Nomad job ID. */
  readonly jobId: string;
  /** The namespace the job runs in. */
  readonly namespace: string;
}

/** Binds a policy to a job's workload identities (`job_acl`), optionally to one group or task. */
export interface JobAclBinding {
  readonly job: AclBindableJob;
  /** Only this task group's tasks. @default every group of the job */
  readonly group?: string;
  /** Only this task of `group`. @default every task of the group */
  readonly task?: string;
}

export interface NomadAclPolicyProps {
  /**
   * The policy's name in Nomad, unique in the stack (and the cluster), e.g. "read-jobs".
   * "anonymous" is reserved for the `anonymous` policy (set `anonymous` instead).
   * @default the construct id in kebab-case ("anonymous" with `anonymous`)
   */
  readonly policyName?: string;
  /**
   * This is Nomad's `anonymous` policy, which Nomad applies to every request without a
   * token, from anyone who reaches the API. Its rules may only read, and never variables,
   * unless `allowAnonymousWrites`.
   * @default false
   */
  readonly anonymous?: boolean;
  /**
   * Let the anonymous policy grant more than reading jobs, nodes and volumes: every
   * unauthenticated caller gets it. Needed by almost no cluster.
   * @default false
   */
  readonly allowAnonymousWrites?: boolean;
  /**
   * Let the rules grant `operator { policy = "write" }`, which includes saving a Raft snapshot:
   * every ACL token and the variables' keyring, so the holder can become management. Only for
   * tokens you would hand the management token anyway.
   * @default false
   */
  readonly allowOperatorWrite?: boolean;
  /** @default none */
  readonly description?: string;
  readonly rules: NomadPolicyRules;
  /**
   * Grants the rules to a job's tasks through workload identity instead of to tokens.
   * The job must be in the same stack, so Terraform manages both.
   * @default not bound: attach the policy to roles or tokens
   */
  readonly job?: JobAclBinding;
}

/** A Nomad ACL policy (`nomad_acl_policy`) from typed rules, validated at synth. */
export class NomadAclPolicy extends Construct {
  readonly policyName: string;
  readonly rules: NomadPolicyRules;
  /** The rendered rules, as Nomad stores them. */
  readonly rulesHcl: string;
  /** The job whose workload identities get the rules, if bound. */
  readonly boundJob?: AclBindableJob;
  readonly resource: NomadAclPolicyResource;

  constructor(scope: Construct, id: string, props: NomadAclPolicyProps) {
    super(scope, id);
    this.policyName = props.policyName ?? (props.anonymous ? ANONYMOUS : nameFromId(this, id, "policyName"));
    this.rules = props.rules;
    this.boundJob = props.job?.job;
    const facts = clusterFactsOf(this);
    const nomadVersion = facts?.nomadVersion;
    const nomadVersionSource = facts && factSource(facts, "nomadVersion");
    const problems = [
      ...this.nameProblems(),
      ...nomadPolicyProblems(props.rules, { nomadVersion, nomadVersionSource }),
      ...this.namespaceProblems(),
      ...this.managementOnlyProblems(),
      ...this.anonymousProblems(props),
      ...this.operatorWriteProblems(props),
    ];
    problems.push(...descriptionProblems(props.description));
    if (props.job) problems.push(...this.bindingProblems(props.job));
    throwIfProblems(this, `invalid Nomad ACL policy "${this.policyName}"`, problems);
    claimUniqueName(this, "nomad_acl_policy", this.policyName, "give one a distinct policyName");
    this.rulesHcl = renderNomadPolicy(props.rules);
    const job = props.job;
    this.resource = new NomadAclPolicyResource(this, "Resource", {
      name: this.policyName,
      // Free text to Nomad: Terraform must not read "${" or "%{" in it as its own.
      description: props.description === undefined ? undefined : escapeTerraformTemplate(props.description),
      rulesHcl: escapeTerraformTemplate(this.rulesHcl),
      jobAcl: job && { namespace: job.job.namespace, jobId: job.job.jobId, group: job.group, task: job.task },
    });
    // The job's first allocations must already have the policy: Terraform creates it first.
    const jobResource = job && jobResourceOf(job.job);
    if (jobResource && TerraformStack.of(jobResource) === TerraformStack.of(this)) addDependsOn(jobResource, this.resource);
  }

  private nameProblems(): string[] {
    return aclNameProblems("policy", this.policyName, " (set policyName)");
  }

  /**
   * A rule that reaches a management-only namespace (by name or glob) must leave it denied:
   * only management tokens may reach the jobs holding them. Exact rules win over globs, and
   * variables are matched on their own, so the fix is denyNamespace(name).
   */
  private managementOnlyProblems(): string[] {
    const rules = this.rules.namespaces ?? [];
    return (clusterFactsOf(this)?.managementOnlyNamespaces ?? [])
      .filter((ns) => rules.some((rule) => globMatches(rule.name, ns)))
      .filter((ns) => !rules.some((rule) => rule.name === ns && isDenied(rule)))
      .map(
        (ns) =>
          `a rule reaches namespace "${ns}", which is management-only (its jobs hold management tokens); ` +
          `add denyNamespace("${ns}") from hashilab/policies to the rules, or grant on the namespaces you mean`,
      );
  }

  /**
   * `operator write` lets a token save a Raft snapshot (Nomad 2.0.5 nomad/operator_endpoint.go
   * SnapshotSave checks only AllowOperatorOperation, true for "write" in acl/acl.go), and a
   * snapshot holds every ACL token's secret and the keyring (nomad/fsm.go): management by
   * another name.
   */
  private operatorWriteProblems(props: NomadAclPolicyProps): string[] {
    if (this.rules.operator !== "write" || props.allowOperatorWrite) return [];
    return [
      `operator "write" lets the token save a Raft snapshot, which holds every ACL token and the keyring (so it is management in all but name); ` +
        `use operator "read" and the management token for Raft, autopilot and scheduler changes, or set allowOperatorWrite`,
    ];
  }

  /** The reserved name, and what an unauthenticated caller may be given. */
  private anonymousProblems(props: NomadAclPolicyProps): string[] {
    if (!props.anonymous) {
      return this.policyName === ANONYMOUS
        ? [`policy name "${ANONYMOUS}" is reserved: Nomad applies that policy to every request without a token; name the policy otherwise, or set anonymous: true if this is meant to be it`]
        : [];
    }
    const problems: string[] = [];
    if (this.policyName !== ANONYMOUS) problems.push(`anonymous is set, so the policy must be named "${ANONYMOUS}" (drop policyName)`);
    if (props.job) problems.push(`the anonymous policy cannot be bound to a job; drop job`);
    if (!props.allowAnonymousWrites) {
      problems.push(...anonymousWrites(this.rules).map((grant) => `${grant} is more than reading for anonymous callers; remove it, or set allowAnonymousWrites (documented in docs/access.md)`));
    }
    return problems;
  }

  /** Literal namespace names must be declared; globs must match at least one declared namespace. */
  private namespaceProblems(): string[] {
    const facts = clusterFactsOf(this);
    const declared = facts?.namespaces;
    if (!facts || !declared) return [];
    return (this.rules.namespaces ?? [])
      .map((rule) => rule.name)
      .filter((name) => !declared.some((ns) => globMatches(name, ns)))
      .map(
        (name) =>
          `namespace "${name}" is not declared in this environment (declared: ${declared.join(", ")}); ` +
          `add it to ${factSource(facts, "namespaces")} or fix the rule`,
      );
  }

  private bindingProblems(binding: JobAclBinding): string[] {
    const problems: string[] = [];
    const jobStack = TerraformStack.of(binding.job);
    const ownStack = TerraformStack.of(this);
    if (jobStack !== ownStack) {
      problems.push(
        `it is bound to job "${binding.job.jobId}" (${binding.job.node.path}) of stack ${jobStack.node.id}, ` +
          `but the policy is in stack ${ownStack.node.id}, which does not manage that job; ` +
          `create the policy in the job's stack, e.g. with the job's attachPolicy()`,
      );
    }
    if (binding.task !== undefined && binding.group === undefined) {
      problems.push(`it is bound to task "${binding.task}" without its group; set group too (Nomad requires it)`);
    }
    return problems;
  }
}

const ANONYMOUS = "anonymous";

/** The Terraform resource that submits a bindable job, when it has one (a NomadJob's `resource`). */
function jobResourceOf(job: AclBindableJob): TerraformResource | undefined {
  const resource = (job as { readonly resource?: unknown }).resource;
  return resource instanceof TerraformResource ? resource : undefined;
}

/** Namespace capabilities that only read (Nomad's "read" policy plus volume reads). */
const READ_CAPABILITIES: ReadonlySet<string> = new Set([
  "deny", "list-jobs", "parse-job", "read-job", "read-job-scaling", "list-scaling-policies",
  "read-scaling-policy", "csi-list-volume", "csi-read-volume", "host-volume-read",
]);
const READ_LEVELS: ReadonlySet<string | undefined> = new Set([undefined, "deny", "read"]);

function isDenied(rule: NamespaceRule): boolean {
  return rule.policy === "deny" && (rule.variables ?? []).some((v) => v.path === "*" && v.capabilities.includes("deny"));
}

/** Each grant in `rules` beyond reading, as "<where> <what>"; variables count as more (they hold secrets). */
function anonymousWrites(rules: NomadPolicyRules): string[] {
  const grants: string[] = [];
  for (const ns of rules.namespaces ?? []) {
    if (!READ_LEVELS.has(ns.policy)) grants.push(`namespace "${ns.name}" policy "${ns.policy}"`);
    for (const capability of ns.capabilities ?? []) {
      if (!READ_CAPABILITIES.has(capability)) grants.push(`namespace "${ns.name}" capability "${capability}"`);
    }
    for (const variable of ns.variables ?? []) {
      for (const capability of variable.capabilities) {
        if (capability !== "deny") grants.push(`namespace "${ns.name}" variables "${variable.path}" capability "${capability}"`);
      }
    }
  }
  for (const rule of [...(rules.hostVolumes ?? []), ...(rules.nodePools ?? [])]) {
    if (!READ_LEVELS.has(rule.policy) || (rule.capabilities ?? []).some((c) => !READ_CAPABILITIES.has(c))) grants.push(`rule "${rule.name}"`);
  }
  for (const [block, level] of Object.entries({ agent: rules.agent, node: rules.node, operator: rules.operator, quota: rules.quota, plugin: rules.plugin })) {
    if (level !== undefined && level !== "deny" && level !== "read" && level !== "list") grants.push(`${block} "${level}"`);
  }
  return grants;
}

