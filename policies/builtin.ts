import { ConsulPolicyRules } from "./consul-policy";
import { NamespaceCapability } from "./nomad-capabilities";
import { NamespaceRule, NomadPolicyRules } from "./nomad-policy";

/** What a job needs to see other jobs and their services: seed 000's dns-read-jobs capabilities. */
export const READ_JOBS: readonly NamespaceCapability[] = ["read-job", "list-jobs", "read-job-scaling"];

export interface ReadJobsOptions {
  /**
   * The namespace the reading job runs in. It also gets list access to every variable
   * there and full access below `variablesPath`.
   */
  readonly ownNamespace: string;
  /** Variables the job may read, write, destroy and list. @default `app/<ownNamespace>/*` */
  readonly variablesPath?: string;
  /** Also allow /v1/agent/self and other agent reads. @default false (the seed's rules) */
  readonly agentRead?: boolean;
}

/**
 * Seed 000's `dns-read-jobs`: read-only job access in `namespaces`, plus variables in the
 * job's own namespace. With namespaces ["default", "lab", "public"] and ownNamespace "dns"
 * this is exactly the seed's policy.
 */
export function readJobsPolicy(namespaces: readonly string[], options: ReadJobsOptions): NomadPolicyRules {
  const own = options.ownNamespace;
  return {
    namespaces: [
      ...namespaces.filter((ns) => ns !== own).map((name) => ({ name, capabilities: READ_JOBS })),
      {
        name: own,
        // The seed lists these in another order; kept so the policy text matches it.
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

/** Seed 002's developer policy: read a namespace, submit and dispatch jobs there, read their logs. */
export function developerPolicy(namespace = "dev"): NomadPolicyRules {
  return { namespaces: [{ name: namespace, policy: "read", capabilities: ["submit-job", "dispatch-job", "read-logs"] }] };
}

/** Options of the policies that reach every namespace. */
export interface AllNamespacesPolicyOptions {
  /**
   * Namespaces the policy denies, variables included, although it reaches every other one:
   * those of jobs that hold management tokens (e.g. the Raft snapshot job's).
   * @default none
   */
  readonly managementOnly?: readonly string[];
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
 * Day-to-day cluster operation without the management token: everything in every namespace
 * (jobs, exec on any driver, variables) except the `managementOnly` ones, nodes, agents,
 * operator APIs, volumes and plugins. ACL changes stay with Terraform's management token.
 */
export function operatorPolicy(options: AllNamespacesPolicyOptions = {}): NomadPolicyRules {
  return {
    namespaces: [
      {
        name: "*",
        policy: "write",
        capabilities: ["alloc-node-exec"],
        variables: [{ path: "*", capabilities: ["write", "read", "destroy", "list"] }],
      },
      ...(options.managementOnly ?? []).map(denyNamespace),
    ],
    hostVolumes: [{ name: "*", policy: "write" }],
    nodePools: [{ name: "*", policy: "write" }],
    agent: "write",
    node: "write",
    operator: "write",
    quota: "write",
    plugin: "write",
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
