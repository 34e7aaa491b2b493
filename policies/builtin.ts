import { ConsulPolicyRules } from "./consul-policy";
import { NamespaceCapability } from "./nomad-capabilities";
import { NamespaceRule, NomadPolicyRules } from "./nomad-policy";

/** What a job needs to see other jobs and their services (the capabilities of CoreDNS's dns-read-jobs policy). */
export const READ_JOBS: readonly NamespaceCapability[] = ["read-job", "list-jobs", "read-job-scaling"];

export interface ReadJobsOptions {
  /**
   * The namespace the reading job runs in. It also gets list access to every variable
   * there and full access below `variablesPath`.
   */
  readonly ownNamespace: string;
  /** Variables the job may read, write, destroy and list. @default `app/<ownNamespace>/*` */
  readonly variablesPath?: string;
  /** Also allow /v1/agent/self and other agent reads. @default false */
  readonly agentRead?: boolean;
}

/**
 * CoreDNS's `dns-read-jobs`: read-only job access in `namespaces`, plus variables in the
 * job's own namespace. With namespaces ["default", "lab", "public"] and ownNamespace "dns"
 * this is exactly the policy of the CoreDNS-on-Nomad setup DnsVip reproduces.
 */
export function readJobsPolicy(namespaces: readonly string[], options: ReadJobsOptions): NomadPolicyRules {
  const own = options.ownNamespace;
  return {
    namespaces: [
      ...namespaces.filter((ns) => ns !== own).map((name) => ({ name, capabilities: READ_JOBS })),
      {
        name: own,
        // The original policy lists these in another order; kept so the text matches it.
        capabilities: ["list-jobs", "read-job", "read-job-scaling"],
        variables: [
          { path: "*", capabilities: ["list"] },
          { path: options.variablesPath ?? `app/${own}/*`, capabilities: ["write", "read", "destroy", "list"] },
        ],
      },
    ],
    agent: options.agentRead ? "read" : undefined,
  };
}

/** Options of the developer policy. */
export interface DeveloperPolicyOptions {
  /**
   * Also `submit-job`: the policy of Nomad's own developer tutorials. On clients running
   * docker this is root on the hosts (the driver cannot forbid `devices`): an explicit opt-in.
   * @default false: read, dispatch and read logs; jobs arrive through the reviewed deploy
   */
  readonly submitJobs?: boolean;
}

/** A developer's policy: read one namespace, dispatch its parameterized jobs, read their logs; submitting is an opt-in. */
export function developerPolicy(namespace = "dev", options: DeveloperPolicyOptions = {}): NomadPolicyRules {
  const capabilities: NamespaceCapability[] = options.submitJobs ? ["submit-job", "dispatch-job", "read-logs"] : ["dispatch-job", "read-logs"];
  return { namespaces: [{ name: namespace, policy: "read", capabilities }] };
}

/** Options of the policies that reach every namespace. */
export interface AllNamespacesPolicyOptions {
  /**
   * Namespaces the policy denies, variables included, although it reaches every other one:
   * those of jobs that hold management tokens (e.g. the Raft snapshot job's).
   * @default none
   */
  readonly managementOnly?: readonly string[];
  /**
   * Namespaces of the cluster's infrastructure jobs (DNS, ingress): the policy may read their
   * jobs and logs, never their variables, files or allocations (their secrets, e.g. a cloud
   * token, are for those jobs alone).
   * @default none
   */
  readonly infrastructure?: readonly string[];
}

/**
 * Denies a namespace and every variable in it. A namespace rule alone does not cover
 * variables: Nomad matches them by `<namespace>` + `<path>` globs of their own (acl/acl.go
 * matchingVariablesCapabilitySet), so `namespace "*"`'s `path "*"` would still reach them.
 * An exact namespace rule wins over "*", `<name>` + `*` is a closer variables glob than
 * `*` + `*`, and a "deny" in the winning rule grants nothing.
 */
export function denyNamespace(name: string): NamespaceRule {
  return { name, policy: "deny", variables: [{ path: "*", capabilities: ["deny"] }] };
}

/**
 * Reads an infrastructure namespace's jobs and logs and nothing of its secrets: no variables
 * (denied as in denyNamespace), no `read-fs`, `alloc-exec` or submitting (an exact rule wins
 * over the glob that grants them elsewhere).
 */
export function readOnlyNamespace(name: string): NamespaceRule {
  return { name, policy: "read", capabilities: ["read-logs"], variables: [{ path: "*", capabilities: ["deny"] }] };
}

/** The rules every all-namespaces policy appends: infrastructure read-only, management-only denied. */
function carveOuts(options: AllNamespacesPolicyOptions): NamespaceRule[] {
  return [...(options.infrastructure ?? []).map(readOnlyNamespace), ...(options.managementOnly ?? []).map(denyNamespace)];
}

/** Options of the operator policy. */
export interface OperatorPolicyOptions extends AllNamespacesPolicyOptions {
  /**
   * Also submit jobs (`policy = "write"`) and exec into unisolated tasks (`alloc-node-exec`)
   * in the application namespaces. Root on the hosts, as DeveloperPolicyOptions.submitJobs.
   * @default false
   */
  readonly submitJobs?: boolean;
}

/** What an operator may do to the allocations of application namespaces without submitting jobs. */
const OPERATE_ALLOCATIONS: readonly NamespaceCapability[] = ["read-logs", "read-fs", "alloc-exec", "alloc-lifecycle", "dispatch-job", "scale-job"];

/**
 * Day-to-day cluster operation without the management token: in the application namespaces
 * read jobs, operate their allocations (logs, files, exec into their isolated tasks, restart,
 * scale, dispatch) and manage their variables; drain and mark nodes, node pools; read agents
 * and the Raft, autopilot and scheduler state. Infrastructure namespaces are read-only and
 * management-only ones denied. Not submitting jobs unless `submitJobs`, not ACLs, not the
 * gossip keyring (agent write), and not `operator write`: it includes saving a Raft snapshot
 * (nomad/operator_endpoint.go SnapshotSave checks only AllowOperatorOperation), which holds
 * every ACL token and the keyring, so it is management in all but name.
 */
export function operatorPolicy(options: OperatorPolicyOptions = {}): NomadPolicyRules {
  return {
    namespaces: [
      {
        name: "*",
        policy: options.submitJobs ? "write" : "read",
        capabilities: options.submitJobs ? ["alloc-node-exec"] : OPERATE_ALLOCATIONS,
        variables: [{ path: "*", capabilities: ["write", "read", "destroy", "list"] }],
      },
      ...carveOuts(options),
    ],
    hostVolumes: [{ name: "*", policy: "read" }],
    nodePools: [{ name: "*", policy: "write" }],
    agent: "read",
    node: "write",
    operator: "read",
    plugin: "read",
  };
}

/**
 * The rules of Nomad's `anonymous` policy (requests without a token). "deny" states the
 * default explicitly; "read" lets anyone on the network browse jobs and nodes, except in the
 * `managementOnly` namespaces.
 */
export function anonymousPolicy(access: "deny" | "read", options: AllNamespacesPolicyOptions = {}): NomadPolicyRules {
  const denied = (options.managementOnly ?? []).map(denyNamespace);
  if (access === "read") return { namespaces: [{ name: "*", policy: "read" }, ...denied], node: "read" };
  return { namespaces: [{ name: "*", policy: "deny" }, ...denied], node: "deny", agent: "deny", operator: "deny" };
}

/**
 * Traefik's Nomad provider lists and reads services and watches the service event stream
 * of each namespace it routes for; Nomad allows all three with `read-job`
 * (traefik/traefik#9677, Nomad's AllowServiceRegistrationReadList and event ACLs).
 */
export function traefikPolicy(namespaces: readonly string[]): NomadPolicyRules {
  return { namespaces: namespaces.map((name) => ({ name, capabilities: ["read-job"] })) };
}

/**
 * The Consul rules of Nomad tasks' workload identity. Without a namespace: the policy
 * `nomad setup consul` creates (`policy-nomad-tasks`), reading every node, service and key.
 * With one: keys only under `<namespace>/`; nodes and services stay readable everywhere for
 * discovery across namespaces, the reads Consul's own service identities grant every service
 * (structs aclPolicyTemplateServiceIdentity: `service_prefix ""` and `node_prefix ""` read).
 */
export function nomadTasksConsulPolicy(namespace?: string): ConsulPolicyRules {
  return { nodePrefix: { "": "read" }, servicePrefix: { "": "read" }, keyPrefix: { [namespace === undefined ? "" : `${namespace}/`]: "read" } };
}
