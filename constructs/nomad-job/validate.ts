import { Token } from "cdktf";
import { ClusterFacts } from "../cluster-facts";
import { checkAdmission, DEFAULT_NAMESPACE_ADMISSION } from "./admission";
import { GO_DURATION } from "../core";
import { cronProblem } from "./cron";
import { blockProblems } from "./validate-blocks";
import { Constraint, isContainerTask, Job, Service, Task, TaskGroup, Update } from "./model";

/**
 * The synth-time rules for a job. Each problem says where in the job it is, what is wrong and
 * how to fix it; the construct prefixes its path. Rules that need cluster facts (namespaces,
 * client count, drivers, host networks) are skipped when none are declared. Values that are
 * cdktf tokens are unknown until apply and are not checked.
 */
export function validateJob(job: Job, facts: ClusterFacts | undefined): string[] {
  const problems: string[] = [];
  const report = (where: string, message: string) => problems.push(`${where}: ${message}`);
  const jobWhere = `job "${job.name}"`;

  checkJob(job, facts, (m) => report(jobWhere, m));
  checkDurations(job, "", (m) => report(jobWhere, m));
  checkAutoPromote(job, (m) => report(jobWhere, m));
  problems.push(...blockProblems(job));
  for (const group of job.groups) {
    const where = `${jobWhere} group "${group.name}"`;
    checkGroup(job, group, facts, (m) => report(where, m));
    for (const task of group.tasks) checkTask(job, task, group, facts, (m) => report(`${where} task "${task.name}"`, m));
  }
  return problems;
}

/** Rules that only hold once the job is complete (constructors may add groups later). */
export function validateCompleteJob(job: Job): string[] {
  if (job.groups.length > 0) return [];
  return [`job "${job.name}": has no groups. Add one with addGroup(...) or the groups prop.`];
}

type Report = (message: string) => void;

const known = <T>(value: T | undefined): value is T => value !== undefined && !Token.isUnresolved(value);

function checkJob(job: Job, facts: ClusterFacts | undefined, report: Report): void {
  if (known(job.name) && !/^[^\s\0]+$/.test(job.name)) {
    report(`the job name must be non-empty without spaces. Use e.g. "it-tools".`);
  }
  const namespace = job.namespace ?? "default";
  if (facts && known(namespace) && !facts.namespaces.includes(namespace)) {
    report(
      `namespace "${namespace}" is not declared by the environment (declared: ${facts.namespaces.join(", ")}). ` +
        `Use one of those or add it to the environment's namespaces.`,
    );
  }
  const batchLike = job.type === "batch" || job.type === "sysbatch";
  if (job.periodic && !batchLike) report(`periodic needs type "batch" or "sysbatch", not "${job.type ?? "service"}". Set type: "batch".`);
  if (job.parameterized && !batchLike) report(`parameterized needs type "batch" or "sysbatch". Set type: "batch".`);
  if (job.periodic && job.periodic.crons.length === 0) report(`periodic has no crons. Add a cron expression such as "0 3 * * *".`);
  for (const cron of job.periodic?.crons ?? []) {
    const problem = known(cron) ? cronProblem(cron) : undefined;
    if (problem) report(`periodic cron "${cron}" ${problem}. Use 5 fields, e.g. "0 3 * * *" (03:00 daily), or "@daily".`);
  }
  duplicates(job.groups.map((g) => g.name)).forEach((n) => report(`has two groups named "${n}". Group names must be unique.`));
}

/**
 * Nomad auto-promotes a deployment only when every group with canaries sets auto_promote; a
 * mix waits for a manual promotion forever (until progress_deadline fails it).
 */
function checkAutoPromote(job: Job, report: Report): void {
  const canaryGroups = job.groups.map((g) => ({ name: g.name, update: effectiveUpdate(job.update, g.update) })).filter((g) => (g.update.canary ?? 0) > 0);
  const promoting = canaryGroups.filter((g) => g.update.autoPromote === true).map((g) => g.name);
  const manual = canaryGroups.filter((g) => g.update.autoPromote !== true).map((g) => g.name);
  if (promoting.length > 0 && manual.length > 0) {
    report(
      `auto_promote is set on groups ${names(promoting)} but not on ${names(manual)}, which also have canaries; ` +
        `Nomad then never promotes automatically. Set autoPromote on every group with canaries, or on none.`,
    );
  }
}

function effectiveUpdate(job: Update | undefined, group: Update | undefined): Update {
  return { ...job, ...group };
}

function checkGroup(job: Job, group: TaskGroup, facts: ClusterFacts | undefined, report: Report): void {
  const count = group.count ?? 1;
  const ports = group.network?.ports ?? [];
  if (group.tasks.length === 0) report(`has no tasks. Add at least one task.`);
  duplicates(group.tasks.map((t) => t.name)).forEach((n) => report(`has two tasks named "${n}". Task names must be unique in a group.`));
  duplicates(ports.map((p) => p.label)).forEach((l) => report(`declares port "${l}" twice. Port labels must be unique.`));

  if (facts && known(count)) {
    const statics = ports.filter((p) => p.static !== undefined).map((p) => p.static);
    if (statics.length > 0 && count > facts.clientCount) {
      report(
        `count ${count} with static port(s) ${statics.join(", ")} needs ${count} clients (a static port fits once per client), ` +
          `but the environment has ${facts.clientCount}. Lower count to ${facts.clientCount} or use dynamic ports.`,
      );
    }
    const distinct = [...(job.constraints ?? []), ...(group.constraints ?? [])].some(isDistinctHosts);
    if (distinct && count > facts.clientCount) {
      report(
        `count ${count} with a distinct_hosts constraint needs ${count} clients, but the environment has ${facts.clientCount}. ` +
          `Lower count to ${facts.clientCount} or drop the constraint.`,
      );
    }
  }
  for (const port of ports) {
    if (facts && known(port.hostNetwork) && !facts.hostNetworks.includes(port.hostNetwork)) {
      const defined = facts.hostNetworks.length ? facts.hostNetworks.join(", ") : "none";
      report(`port "${port.label}" uses host_network "${port.hostNetwork}", which the clients do not define (defined: ${defined}). Use a defined one or define it on the clients.`);
    }
  }

  const groupServices = group.services ?? [];
  if (groupServices.length > 1 && groupServices.some((s) => s.name === undefined)) {
    report(`has ${groupServices.length} services and not all are named. Give every service of a group a name.`);
  }
  const allServices = [...groupServices, ...group.tasks.flatMap((t) => t.services ?? [])];
  const providers = new Set(allServices.map((s) => s.provider ?? "consul"));
  if (providers.size > 1) {
    report(`mixes service providers (${[...providers].sort().join(", ")}). Nomad needs one provider per group: set the same provider on every service.`);
  }
  const labels = new Set(ports.map((p) => p.label));
  for (const service of allServices) checkService(service, labels, report);
}

function checkService(service: Service, portLabels: Set<string>, report: Report): void {
  const name = service.name ? `service "${service.name}"` : "an unnamed service";
  if (typeof service.port === "string" && known(service.port) && !/^\d+$/.test(service.port) && !portLabels.has(service.port)) {
    report(`${name} uses port "${service.port}", which the group's network does not declare. Add the port or fix the label.`);
  }
  for (const check of service.checks ?? []) {
    if ((service.provider ?? "consul") === "nomad" && check.type !== "http" && check.type !== "tcp") {
      report(`${name} has a "${check.type}" check, but the nomad provider only runs http and tcp checks. Use http/tcp or provider "consul".`);
    }
    if (check.type === "http" && check.path === undefined) report(`${name} has an http check without a path. Set path, e.g. "/".`);
  }
}

function checkTask(job: Job, task: Task, group: TaskGroup, facts: ClusterFacts | undefined, report: Report): void {
  if (facts && !facts.drivers.includes(task.driver)) {
    report(
      `uses the ${task.driver} driver, which the clients do not enable (enabled: ${facts.drivers.join(", ")}). ` +
        `Use an enabled driver or enable ${task.driver} on the clients.`,
    );
  }
  const namespace = job.namespace ?? "default";
  const admission = facts?.namespaceAdmission?.[namespace];
  checkAdmission(task, group, namespace, admission ?? DEFAULT_NAMESPACE_ADMISSION, admission !== undefined, report);
  const services = task.services ?? [];
  if (services.filter((s) => s.name === undefined).length > 1) {
    report(`has ${services.length} services and more than one without a name. Name all but at most one.`);
  }
  const memory = task.resources?.memoryMb ?? 300;
  const memoryMax = task.resources?.memoryMaxMb;
  if (known(memoryMax) && known(memory) && memoryMax < memory) {
    report(`memoryMaxMb ${memoryMax} is below memoryMb ${memory}. memory_max is the upper limit: make it >= memoryMb or leave it out.`);
  }
  const secrets = task.resources?.secretsMb;
  if (known(secrets) && known(memory) && !(Number.isInteger(secrets) && secrets >= 1 && secrets <= memory)) {
    report(`secretsMb ${secrets} must be a whole number of MB from 1 to memoryMb (${memory}): the secrets tmpfs is counted in the task's memory.`);
  }
  for (const template of task.templates ?? []) {
    if (known(template.destination) && !isSandboxed(template.destination)) {
      report(
        `template destination "${template.destination}" is outside the task's directories. ` +
          `Write under local/, secrets/ or alloc/ (e.g. "local/${lastSegment(template.destination)}").`,
      );
    }
    if ((template.data === undefined) === (template.source === undefined)) {
      report(`template "${template.destination}" needs exactly one of data or source.`);
    }
  }
  const labels = new Set((group.network?.ports ?? []).map((p) => p.label));
  const configPorts = isContainerTask(task) ? (task.config.ports ?? []) : [];
  for (const port of configPorts) {
    if (known(port) && !labels.has(port)) report(`config.ports names "${port}", which the group's network does not declare. Add the port or fix the label.`);
  }
}

const SANDBOX_DIRS = ["local/", "secrets/", "alloc/", "${NOMAD_TASK_DIR}/", "${NOMAD_SECRETS_DIR}/", "${NOMAD_ALLOC_DIR}/"];

function isSandboxed(destination: string): boolean {
  const path = destination.replace(/^\.\//, "");
  return SANDBOX_DIRS.some((dir) => path.startsWith(dir)) && !path.split("/").includes("..");
}

function lastSegment(path: string): string {
  return path.split("/").filter(Boolean).pop() ?? "file";
}

function isDistinctHosts(c: Constraint): boolean {
  return c.operator === "distinct_hosts" && c.value !== "false";
}

/** Field names that hold a Go duration, wherever they appear in the model. */
const DURATION_FIELDS = new Set([
  "minHealthyTime",
  "healthyDeadline",
  "progressDeadline",
  "stagger",
  "interval",
  "delay",
  "maxDelay",
  "shutdownDelay",
  "killTimeout",
  "timeout",
  "grace",
  "splay",
  "ttl",
  "min",
  "max",
]);
/** Free-form maps whose keys are not model fields. */
const OPAQUE_FIELDS = new Set(["config", "env", "meta", "labels", "extra", "policy", "options", "headers", "header", "scaling"]);

function checkDurations(value: unknown, path: string, report: Report): void {
  if (Array.isArray(value)) {
    value.forEach((item) => checkDurations(item, path, report));
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [key, field] of Object.entries(value)) {
    if (OPAQUE_FIELDS.has(key)) continue;
    if (DURATION_FIELDS.has(key) && typeof field === "string") {
      if (known(field) && !GO_DURATION.test(field)) {
        report(`${path}${key} "${field}" is not a duration. Write a number with a unit, e.g. "10s", "5m", "1h30m".`);
      }
    } else if (key === "groups" || key === "tasks") {
      const kind = key === "groups" ? "group" : "task";
      for (const item of field as { name: string }[]) checkDurations(item, `${path}${kind} "${item.name}" `, report);
    } else {
      checkDurations(field, `${path}${key}.`, report);
    }
  }
}

function duplicates(values: readonly string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

function names(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}
