import { Token } from "cdktf";
import { ClusterFacts, factSource } from "../cluster-facts";
import { globMatches } from "../core";
import { Constraint, Job, TaskGroup } from "./model";

/**
 * The job and the cluster agree: what a job asks of the clients must be what the cluster's
 * facts (declared by the environment from the same props the agents' configuration is rendered
 * from, or by a consumer with declareClusterFacts) say the clients offer. Each rule says what
 * Nomad would do instead, and each fix names the fact's source in the reader's words
 * (factSource). Without declared facts nothing here applies.
 */

type Report = (where: string, message: string) => void;

const known = <T>(value: T | undefined): value is T => value !== undefined && !Token.isUnresolved(value);

/** The built-in node pool every client is in as well (nomad/structs/node_pool.go NodePoolAll). */
const ALL_NODES_POOL = "all";

export function clusterAgreementProblems(job: Job, facts: ClusterFacts, report: Report): void {
  const jobWhere = `job "${job.name}"`;
  checkPlacement(job, facts, (m) => report(jobWhere, m));
  checkStaticPortsAcrossGroups(job, facts, (m) => report(jobWhere, m));
  for (const group of job.groups) {
    const where = `${jobWhere} group "${group.name}"`;
    checkGroup(job, group, facts, (m) => report(where, m));
    for (const task of group.tasks) {
      if (!facts.drivers.includes(task.driver)) {
        report(
          `${where} task "${task.name}"`,
          `uses the ${task.driver} driver, which the clients do not enable (enabled: ${facts.drivers.join(", ")}); Nomad would find no client to place it on. ` +
            `Use an enabled driver, or add ${task.driver} to ${factSource(facts, "drivers")}.`,
        );
      }
    }
  }
}

/** Namespace, region, datacenters and node pool: where Nomad would register and place the job. */
function checkPlacement(job: Job, facts: ClusterFacts, report: (message: string) => void): void {
  const namespace = job.namespace ?? "default";
  if (known(namespace) && !facts.namespaces.includes(namespace)) {
    report(
      `namespace "${namespace}" is not declared (declared: ${facts.namespaces.join(", ")}); Nomad refuses a job in a namespace that does not exist. ` +
        `Use one of those, or add it to ${factSource(facts, "namespaces")}.`,
    );
  }
  // A job for another region is forwarded there (nomad/rpc.go forward): "No path to region".
  if (known(job.region) && job.region !== facts.region) {
    report(`region "${job.region}" is not the cluster's region "${facts.region}"; Nomad would find no path to it. Leave region unset, or change ${factSource(facts, "region")}.`);
  }
  // Clients are placed by glob (nomad/structs Node.IsInAnyDC): a list none matches places nothing.
  const datacenters = job.datacenters ?? ["*"];
  // An empty list is Nomad's own "Missing job datacenters" (Job.Validate), reported with Nomad's rules.
  if (datacenters.length > 0 && datacenters.every(known) && !datacenters.some((dc) => globMatches(dc, facts.datacenter))) {
    report(
      `datacenters ${JSON.stringify(datacenters)} do not include the clients' datacenter "${facts.datacenter}"; Nomad would place no allocation. ` +
        `Use ["${facts.datacenter}"] (or leave datacenters unset: "*"), or change ${factSource(facts, "datacenter")}.`,
    );
  }
  // nomad/job_endpoint_hook_node_pool.go: "job %q is in nonexistent node pool %q"; a job that
  // names none is in "default" (structs.NodePoolDefault).
  const pool = job.nodePool ?? "default";
  if (facts.nodePools && known(pool) && pool !== ALL_NODES_POOL && !facts.nodePools.includes(pool)) {
    report(
      `node pool "${pool}" has no clients (pools: ${[...facts.nodePools, ALL_NODES_POOL].join(", ")}); Nomad refuses a job in a nonexistent pool and places none in an empty one. ` +
        `Use one of those, or add it to ${factSource(facts, "nodePools")}.`,
    );
  }
}

function checkGroup(job: Job, group: TaskGroup, facts: ClusterFacts, report: (message: string) => void): void {
  const count = group.count ?? 1;
  const ports = group.network?.ports ?? [];
  // A system or sysbatch job runs once per client whatever its count.
  const perClient = job.type === "system" || job.type === "sysbatch";
  if (!perClient && known(count)) {
    const statics = ports.filter((p) => p.static !== undefined).map((p) => p.static);
    if (statics.length > 0 && count > facts.clientCount) {
      report(
        `count ${count} with static port(s) ${statics.join(", ")} needs ${count} clients (a static port fits once per client), ` +
          `but there are ${facts.clientCount} (${factSource(facts, "clientCount")}); the rest would never be placed. Lower count to ${facts.clientCount} or use dynamic ports.`,
      );
    }
    const distinct = [...(job.constraints ?? []), ...(group.constraints ?? [])].some(isDistinctHosts);
    if (distinct && count > facts.clientCount) {
      report(
        `count ${count} with a distinct_hosts constraint needs ${count} clients, but there are ${facts.clientCount} (${factSource(facts, "clientCount")}). ` +
          `Lower count to ${facts.clientCount} or drop the constraint.`,
      );
    }
  }
  for (const port of ports) {
    if (known(port.hostNetwork) && !facts.hostNetworks.includes(port.hostNetwork)) {
      const defined = facts.hostNetworks.length ? facts.hostNetworks.join(", ") : "none";
      report(
        `port "${port.label}" uses host_network "${port.hostNetwork}", which the clients do not define (defined: ${defined}); Nomad would find no client to place it on. ` +
          `Use a defined one, or define it in ${factSource(facts, "hostNetworks")}.`,
      );
    }
  }
  // A host volume no client has: the scheduler reports "missing compatible host volumes".
  for (const volume of group.volumes ?? []) {
    if ((volume.type ?? "host") !== "host" || !facts.hostVolumes || !known(volume.source) || facts.hostVolumes.includes(volume.source)) continue;
    const defined = facts.hostVolumes.length ? facts.hostVolumes.join(", ") : "none";
    report(
      `volume "${volume.name}" uses host volume "${volume.source}", which the clients do not define (defined: ${defined}); Nomad would find no client to place it on. ` +
        `Use a defined one, or define it in ${factSource(facts, "hostVolumes")}.`,
    );
  }
}

/**
 * The same static port in several groups of one job: each instance of each group needs it on
 * its own client, so the groups' counts add up.
 */
function checkStaticPortsAcrossGroups(job: Job, facts: ClusterFacts, report: (message: string) => void): void {
  if (job.type === "system" || job.type === "sysbatch") return;
  const byPort = new Map<number, { groups: string[]; instances: number }>();
  for (const group of job.groups) {
    const count = group.count ?? 1;
    if (!known(count)) continue;
    const statics = new Set((group.network?.ports ?? []).map((p) => p.static).filter((p): p is number => known(p)));
    for (const port of statics) {
      const entry = byPort.get(port) ?? { groups: [], instances: 0 };
      entry.groups.push(group.name);
      entry.instances += count;
      byPort.set(port, entry);
    }
  }
  for (const [port, { groups, instances }] of byPort) {
    if (groups.length > 1 && instances > facts.clientCount) {
      report(
        `groups ${groups.map((g) => `"${g}"`).join(", ")} all bind static port ${port}: their ${instances} instances need ${instances} clients, ` +
          `but there are ${facts.clientCount} (${factSource(facts, "clientCount")}). Use dynamic ports, or lower the counts.`,
      );
    }
  }
}

function isDistinctHosts(c: Constraint): boolean {
  return c.operator === "distinct_hosts" && c.value !== "false";
}
