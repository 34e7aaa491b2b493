import { IConstruct } from "constructs";
import type { NamespaceAdmission } from "./nomad-job";
import type { VolumeProvider } from "./volumes";

/**
 * The audience of the workload identities Nomad's agents sign for Consul, which Consul's
 * `nomad-workloads` auth method (ConsulWorkloadIdentity) must accept: "consul.io", as
 * `nomad setup consul` writes it.
 */
export const CONSUL_WORKLOAD_AUDIENCE = "consul.io";

/** Task drivers a Nomad client can run. */
// `string & {}`: a plugin driver by its name, while the built-in ones still autocomplete.
/** The task drivers built into Nomad, and nomad-driver-podman, which the hosts install. */
export const BUILT_IN_TASK_DRIVERS = ["docker", "podman", "exec", "raw_exec", "java"] as const;
/** A built-in driver, or a plugin's name. */
export type TaskDriver = (typeof BUILT_IN_TASK_DRIVERS)[number] | (string & {});

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
  /**
   * Node pools the clients are in (a client without `node_pool` is in "default"); jobs may use
   * these or the built-in "all".
   * @default unknown: a job's node pool is not checked
   */
  readonly nodePools?: readonly string[];
  /**
   * Host volumes the clients define (`client.host_volume` blocks, or dynamic host volumes):
   * a group's `type = "host"` volume must name one.
   * @default unknown: host volumes are not checked
   */
  readonly hostVolumes?: readonly string[];
  /**
   * How the cluster provides apps' persistent volumes (Hetzner Cloud Volumes through CSI, or
   * Nomad dynamic host volumes on the clients' disks).
   * @default none: an app that asks for a volume fails synth
   */
  readonly volumeProvider?: VolumeProvider;
  /**
   * Where each fact is set, in the words of whoever declared the facts, e.g. "the environment's
   * cluster.drivers": synth errors name it as the field to change.
   * @default "<fact> in declareClusterFacts(...)"
   */
  readonly sources?: ClusterFactSources;
}

/** Where a fact of ClusterFacts is set, per fact, for the fix in a synth error. */
export type ClusterFactSources = Partial<Readonly<Record<Exclude<keyof ClusterFacts, "sources">, string>>>;

/** The field a reader changes to change `fact`, in the API they declared the facts with. */
export function factSource(facts: ClusterFacts, fact: keyof ClusterFactSources): string {
  return facts.sources?.[fact] ?? `${fact} in declareClusterFacts(...)`;
}

const declared = new WeakMap<IConstruct, ClusterFacts>();

/** Declares the cluster facts for `scope` and everything below it. */
export function declareClusterFacts(scope: IConstruct, facts: ClusterFacts): void {
  declared.set(scope, facts);
}

/**
 * Declares, for `scope` and everything below it, that the clients also offer `hostVolumes`:
 * dynamic host volumes this deploy creates (Nomad registers them on the node that holds them).
 */
export function declareCreatedHostVolumes(scope: IConstruct, hostVolumes: readonly string[]): void {
  const facts = clusterFactsOf(scope);
  if (!facts?.hostVolumes) return;
  declareClusterFacts(scope, { ...facts, hostVolumes: [...facts.hostVolumes, ...hostVolumes] });
}

/** The facts declared on the nearest ancestor of `construct` (or itself), if any. */
export function clusterFactsOf(construct: IConstruct): ClusterFacts | undefined {
  for (const scope of [...construct.node.scopes].reverse()) {
    const facts = declared.get(scope);
    if (facts) return facts;
  }
  return undefined;
}
