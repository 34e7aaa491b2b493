import { IConstruct } from "constructs";
import type { NamespaceAdmission } from "./nomad-job";

/**
 * The audience of the workload identities Nomad's agents sign for Consul, which Consul's
 * `nomad-workloads` auth method (ConsulWorkloadIdentity) must accept: "consul.io", as
 * `nomad setup consul` writes it.
 */
export const CONSUL_WORKLOAD_AUDIENCE = "consul.io";

/** Task drivers a Nomad client can run. */
// `string & {}`: a plugin driver by its name, while the built-in ones still autocomplete.
export type TaskDriver = "docker" | "podman" | "exec" | "raw_exec" | "java" | (string & {});

/**
 * What constructs may assume about the cluster their jobs and policies land on. Synth-time
 * checks (undeclared namespace, static port with count > clients, driver not enabled, ...)
 * use these; where no facts are declared those checks are skipped, so a library user can
 * compose constructs without describing a cluster first.
 */
export interface ClusterFacts {
  /** Namespaces that exist (created by the platform stack). */
  readonly namespaces: readonly string[];
  /** Number of Nomad clients that run workloads. */
  readonly clientCount: number;
  /** Drivers every client enables. */
  readonly drivers: readonly TaskDriver[];
  /** Host networks (`client.host_network` names) every client defines. */
  readonly hostNetworks: readonly string[];
  /** The Nomad datacenter jobs run in. */
  readonly datacenter: string;
  /** The Nomad region. */
  readonly region: string;
  /**
   * The Nomad release the servers run, e.g. "1.10.5": ACL policies may only use capabilities
   * its parser accepts.
   * @default unknown: policies may use every capability some Nomad release accepts
   */
  readonly nomadVersion?: string;
  /**
   * What jobs in each declared namespace may use (drivers, added capabilities, the host's
   * network): the admission policy's per-namespace allowances.
   * @default every namespace gets DEFAULT_NAMESPACE_ADMISSION
   */
  readonly namespaceAdmission?: Readonly<Record<string, NamespaceAdmission>>;
  /**
   * Namespaces only management tokens may reach: a policy that grants on a glob matching one
   * must deny it explicitly.
   * @default none
   */
  readonly managementOnlyNamespaces?: readonly string[];
}

const declared = new WeakMap<IConstruct, ClusterFacts>();

/** Declares the cluster facts for `scope` and everything below it. */
export function declareClusterFacts(scope: IConstruct, facts: ClusterFacts): void {
  declared.set(scope, facts);
}

/** The facts declared on the nearest ancestor of `construct` (or itself), if any. */
export function clusterFactsOf(construct: IConstruct): ClusterFacts | undefined {
  for (const scope of [...construct.node.scopes].reverse()) {
    const facts = declared.get(scope);
    if (facts) return facts;
  }
  return undefined;
}
