import { TerraformOutput, TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { globMatches, throwIfProblems } from "./core";

/**
 * Objects Nomad and Consul keep unique by name, and what a second one of a name does at
 * apply: Nomad upserts policies by name (terraform-provider-nomad's create is an upsert), so
 * the second silently replaces the first's rules and both resources then fight over it; Nomad
 * roles and Consul policies, roles and auth methods are refused with "already exists"; a job
 * is registered by id in its namespace, so the second submission replaces the first job.
 */
const KINDS = {
  nomad_acl_policy: { what: "Nomad ACL policy", atApply: "silently overwrite the other's rules at apply" },
  nomad_acl_role: { what: "Nomad ACL role", atApply: "be refused at apply (role names are unique)" },
  consul_acl_policy: { what: "Consul ACL policy", atApply: "be refused at apply (policy names are unique)" },
  consul_acl_role: { what: "Consul ACL role", atApply: "be refused at apply (role names are unique)" },
  consul_acl_auth_method: { what: "Consul ACL auth method", atApply: "be refused at apply (auth method names are unique)" },
  nomad_job: { what: "Nomad job", atApply: "replace the other job at every apply (a job id is unique in its namespace)" },
} as const;

export type UniqueNameType = keyof typeof KINDS;

/**
 * The names hashilab's own stacks create in every cluster they manage ("*" stands for a
 * namespace): the platform stack's operator, developer and anonymous policies, the operators
 * and developers roles and the Consul side of workload identity (ConsulWorkloadIdentity), and
 * the Consul policies of the agents' tokens the acl stack's bootstrap creates. Refused in a
 * cluster declared with `hashilabPlatformElsewhere`.
 */
export const HASHILAB_RESERVED_NAMES: Readonly<Record<UniqueNameType, readonly string[]>> = {
  nomad_acl_policy: ["operator", "developer", "anonymous"],
  nomad_acl_role: ["operators", "developers"],
  consul_acl_policy: ["policy-nomad-tasks", "policy-nomad-*-tasks", "consul-agents", "nomad-agents"],
  consul_acl_role: ["nomad-*-tasks"],
  consul_acl_auth_method: ["nomad-workloads"],
  nomad_job: [],
};

/** The cluster a set of stacks manages objects in. */
export interface ClusterScope {
  /** The cluster's name, e.g. the environment's: stacks of one App that declare the same name share one set of names. */
  readonly name: string;
  /**
   * hashilab's platform stack manages this cluster from another App (another repository or
   * Terraform state), which this synth cannot see: the names it creates
   * (HASHILAB_RESERVED_NAMES) are refused here.
   * @default false
   */
  readonly hashilabPlatformElsewhere?: boolean;
}

/** The construct that creates an object of a type and name. */
interface Claim {
  readonly owner: IConstruct;
}

/** Per App: the claims of its stacks by type and name, each list in creation order (a map: one lookup per claim, not a scan). */
const claimsByApp = new WeakMap<IConstruct, Map<string, Claim[]>>();
const declaredClusters = new WeakMap<IConstruct, ClusterScope>();

/**
 * Declares the cluster that the stacks at or below `scope` (a stack, or the App for all its
 * stacks) manage. Names of policies, roles and jobs must be unique per cluster, so they are
 * checked across every stack of the App that manages the same cluster. Without a declaration
 * all stacks of the App are one cluster; an App that manages several clusters (one per
 * environment) declares each stack's.
 */
export function declareCluster(scope: IConstruct, cluster: ClusterScope): void {
  declaredClusters.set(scope, cluster);
}

/** The cluster declared nearest above `construct`; undefined: the App's one undeclared cluster. */
function clusterOf(construct: IConstruct): ClusterScope | undefined {
  return [...construct.node.scopes].reverse().map((scope) => declaredClusters.get(scope)).find((cluster) => cluster !== undefined);
}

function describe(cluster: ClusterScope | undefined): string {
  return cluster === undefined ? "the App's (no declareCluster)" : `"${cluster.name}"`;
}

/**
 * Records that `owner` creates the `type` object `name`. Throws at once, naming both
 * constructs and `fix`, when another construct of the same stack creates one of that name;
 * fails synth when one in another stack of the same cluster does, or when the name is
 * hashilab's (HASHILAB_RESERVED_NAMES) in a cluster whose platform stack is elsewhere.
 */
export function claimUniqueName(owner: IConstruct, type: UniqueNameType, name: string, fix: string): void {
  const stack = TerraformStack.of(owner);
  const byName = claimsByApp.get(owner.node.root) ?? new Map<string, Claim[]>();
  claimsByApp.set(owner.node.root, byName);
  const key = `${type}\0${name}`;
  const claims = byName.get(key) ?? [];
  byName.set(key, claims);
  const { what, atApply } = KINDS[type];
  const first = claims.find((claim) => TerraformStack.of(claim.owner) === stack);
  if (first !== undefined) {
    throwIfProblems(owner, `${what} name "${name}" is taken`, [
      `${first.owner.node.path} in stack ${stack.node.id} already uses it; one of the two would ${atApply}; ${fix}`,
    ]);
  }
  claims.push({ owner });
  // Stacks declare their cluster after their constructors ran, so the cross-stack check waits for synth.
  owner.node.addValidation({
    validate: () => {
      const cluster = clusterOf(owner);
      const problems = claims
        .filter((claim) => TerraformStack.of(claim.owner) !== stack && sameCluster(clusterOf(claim.owner), cluster))
        .map(
          (claim) =>
            `${what} name "${name}" is also used by ${claim.owner.node.path} in stack ${TerraformStack.of(claim.owner).node.id}, ` +
            `which manages the same cluster ${describe(cluster)}; one of the two would ${atApply}; ${fix} ` +
            `(or declareCluster() each stack's own cluster if they manage different ones)`,
        );
      if (cluster?.hashilabPlatformElsewhere && HASHILAB_RESERVED_NAMES[type].some((pattern) => globMatches(pattern, name))) {
        problems.push(
          `${what} name "${name}" is reserved in cluster "${cluster.name}": hashilab's platform stack manages that cluster and ` +
            `creates it, so this one would ${atApply}; ${fix}`,
        );
      }
      return problems;
    },
  });
}

/** Whether `a` and `b` manage objects in one cluster (see declareCluster). */
export function inSameCluster(a: IConstruct, b: IConstruct): boolean {
  return a.node.root === b.node.root && sameCluster(clusterOf(a), clusterOf(b));
}

function sameCluster(a: ClusterScope | undefined, b: ClusterScope | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.name === b.name);
}

/** Terraform identifiers (hclsyntax): a letter or "_", then letters, digits, "_" and "-". */
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Fails synth when `output`'s name is not a Terraform identifier or another output of its
 * stack has the same name: Terraform keeps one of them, so the other value is unreachable.
 * `fix` names the prop to change.
 */
export function claimOutputName(output: TerraformOutput, fix: string): void {
  output.node.addValidation({
    validate: () => {
      const name = output.friendlyUniqueId;
      if (!OUTPUT_NAME.test(name)) {
        return [`output name "${name}" is not a Terraform identifier (a letter or "_", then letters, digits, "_" and "-"); ${fix}`];
      }
      return TerraformStack.of(output)
        .node.findAll()
        .filter((other): other is TerraformOutput => other !== output && TerraformOutput.isTerraformOutput(other) && other.friendlyUniqueId === name)
        .map((other) => `output name "${name}" is also the name of ${other.node.path}'s output; Terraform keeps only one value; ${fix}`);
    },
  });
}
