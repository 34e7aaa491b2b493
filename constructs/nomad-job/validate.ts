import { Token } from "cdktf";
import { ClusterFacts } from "../cluster-facts";
import { checkAdmission } from "./admission";
import { clusterAgreementProblems } from "./cluster-agreement";
import { formatNs, GO_DURATION, NOMAD_NAME, parseGoDuration, terraformTextProblem } from "../core";
import { cronProblem } from "./cron";
import { Check, Constraint, isContainerTask, Job, Network, Restart, Service, Task, TaskGroup, Template, Update } from "./model";
import { TIME_ZONES, TZDATA_VERSION } from "./time-zones";
import { blockProblems } from "./validate-blocks";

/**
 * The synth-time rules for a job: Nomad's own validation (hashicorp/nomad v2.0.5,
 * nomad/structs/structs.go and services.go; each rule names the function it mirrors), what
 * the job parser needs, and rules against the cluster's facts. Each problem says where in the
 * job it is, what is wrong and how to fix it; the construct prefixes its path. Rules that need
 * cluster facts (namespaces, client count, drivers, host networks) are skipped when none are
 * declared. Values that are cdktf tokens are unknown until apply and are not checked.
 *
 * One function per block (checkJob, checkGroup, checkNetwork, checkService, checkTask,
 * checkTemplate, ...), each called once from here.
 */
export function validateJob(job: Job, facts: ClusterFacts | undefined): string[] {
  const problems: string[] = [];
  const report = (where: string, message: string) => problems.push(`${where}: ${message}`);
  // Names are quoted as JSON: a newline or quote in one must not break the one-line problem.
  const jobWhere = `job ${quoted(job.name)}`;

  checkJob(job, (m) => report(jobWhere, m));
  checkValues(job, "", false, (m) => report(jobWhere, m));
  checkAutoPromote(job, (m) => report(jobWhere, m));
  problems.push(...blockProblems(job));
  for (const group of job.groups ?? []) {
    const where = `${jobWhere} group ${quoted(group.name)}`;
    checkGroup(job, group, (m) => report(where, m));
    for (const task of group.tasks ?? []) checkTask(job, task, group, (m) => report(`${where} task ${quoted(task.name)}`, m));
  }
  problems.push(...admissionProblems(job, facts));
  // What the job needs from the cluster (namespace, drivers, clients, host networks and volumes).
  if (facts) clusterAgreementProblems(job, facts, report);
  return problems;
}

/**
 * What the project's admission policy (from `facts`, or the defaults) refuses a job's tasks to
 * ask of their hosts: part of validateJob, and the part that is not Nomad's rule.
 */
export function admissionProblems(job: Job, facts: ClusterFacts | undefined): string[] {
  const problems: string[] = [];
  for (const group of job.groups ?? []) {
    for (const task of group.tasks ?? []) {
      const where = `job ${quoted(job.name)} group ${quoted(group.name)} task ${quoted(task.name)}`;
      checkAdmission(task, group, job.namespace ?? "default", facts, (m) => problems.push(`${where}: ${m}`));
    }
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

/** A duration field's length in ns when it is set and known, else undefined. */
function ns(value: string | undefined): number | undefined {
  return known(value) ? parseGoDuration(value) : undefined;
}

const JOB_TYPES = ["service", "batch", "system", "sysbatch"];

function checkJob(job: Job, report: Report): void {
  // Job.Validate: "Missing job ID", "Job ID contains a space", "... a null character".
  if (known(job.name) && (job.name === "" || job.name.includes(" ") || job.name.includes("\0"))) {
    report(`the job name must be non-empty, without spaces or NUL characters (Nomad's Job.Validate). Use e.g. "it-tools".`);
  }
  const type = job.type ?? "service";
  if (known(type) && !JOB_TYPES.includes(type)) report(`type "${type}" is not a Nomad job type. Use one of ${JOB_TYPES.join(", ")} (Job.Validate).`);
  const namespace = job.namespace ?? "default";
  if (known(namespace) && !NOMAD_NAME.test(namespace)) {
    report(`namespace "${namespace}" is not a Nomad namespace name: use 1-128 letters, digits and dashes (Namespace.Validate).`);
  }
  for (const dc of job.datacenters ?? []) {
    if (known(dc) && dc === "") report(`datacenters has an empty name (Job.Validate: "Job datacenter must be non-empty string"). Remove it.`);
  }
  // The job endpoint refuses priorities outside 1..job_max_priority (100 unless the servers raise it).
  if (known(job.priority) && !(Number.isInteger(job.priority) && job.priority >= 1 && job.priority <= 100)) {
    report(`priority ${job.priority} is outside 1-100 (Nomad's job endpoint). Use a whole number from 1 to 100; 50 is the default.`);
  }
  const batchLike = type === "batch" || type === "sysbatch";
  // Job.Validate: periodic and parameterized only for batch and sysbatch.
  if (job.periodic && job.periodic.enabled !== false && !batchLike) report(`periodic needs type "batch" or "sysbatch", not "${type}". Set type: "batch".`);
  if (job.parameterized && !batchLike) report(`parameterized needs type "batch" or "sysbatch". Set type: "batch".`);
  if (job.periodic) checkPeriodic(job.periodic, report);
  if (job.parameterized) checkParameterized(job.parameterized, report);
  if (type === "system") checkNoSpreadOrAffinity(job, "the job", report);
  checkConstraints(job.constraints, "", report);
  checkAffinities(job, report);
  duplicates((job.groups ?? []).map((g) => g.name)).forEach((n) => report(`has two groups named "${n}". Group names must be unique (Job.Validate).`));
}

/** PeriodicConfig.Validate: "Must specify a spec", a time zone time.LoadLocation knows, cron specs cronexpr parses. */
function checkPeriodic(periodic: NonNullable<Job["periodic"]>, report: Report): void {
  if (periodic.enabled === false) return;
  if ((periodic.crons ?? []).length === 0) report(`periodic has no crons. Add a cron expression such as "0 3 * * *".`);
  for (const cron of periodic.crons ?? []) {
    const problem = known(cron) ? cronProblem(cron) : undefined;
    if (problem) report(`periodic cron "${cron}" ${problem}. A cron has 5 fields, e.g. "0 3 * * *" (03:00 daily), or is "@daily".`);
  }
  const zone = periodic.timeZone;
  if (known(zone) && !TIME_ZONES.has(zone)) {
    const near = [...TIME_ZONES].find((z) => z.toLowerCase() === zone.toLowerCase());
    report(
      `periodic time zone "${zone}" is not an IANA time zone the servers know (tzdata ${TZDATA_VERSION}; names are case-sensitive). ` +
        (near ? `Use "${near}".` : `Use a name such as "Europe/Berlin" or "UTC".`),
    );
  }
}

/** ParameterizedJobConfig.Validate: a meta key is required or optional, not both. */
function checkParameterized(parameterized: NonNullable<Job["parameterized"]>, report: Report): void {
  const optional = new Set(parameterized.metaOptional ?? []);
  const both = (parameterized.metaRequired ?? []).filter((key) => optional.has(key));
  if (both.length > 0) report(`parameterized meta ${names(both)} is both required and optional (ParameterizedJobConfig.Validate). Keep it in one list.`);
}

/** Job.Validate, TaskGroup.Validate, Task.Validate: "System jobs may not have an affinity block" (or a spread block). */
function checkNoSpreadOrAffinity(placement: { affinities?: readonly unknown[]; spreads?: readonly unknown[] }, where: string, report: Report): void {
  if (placement.affinities !== undefined) report(`${where} has affinities, which system jobs may not have (Nomad places them on every node). Remove them.`);
  if (placement.spreads !== undefined) report(`${where} has spreads, which system jobs may not have. Remove them.`);
}

const SET_OPERATORS = ["set_contains", "set_contains_all", "set_contains_any"];
const COMPARISONS = ["=", "==", "is", "!=", "not", "<", "<=", ">", ">="];
const CONSTRAINT_OPERATORS = [...COMPARISONS, ...SET_OPERATORS, "regexp", "version", "semver", "distinct_hosts", "distinct_property", "is_set", "is_not_set"];

/** Constraint.Validate: a known operator, an attribute unless distinct_hosts, a value where the operator compares. */
function checkConstraints(constraints: readonly Constraint[] | undefined, where: string, report: Report, taskLevel = false): void {
  (constraints ?? []).forEach((c, i) => {
    const what = `${where}constraint ${i + 1}`;
    const operator = c.operator ?? "=";
    if (!known(operator)) return;
    if (!CONSTRAINT_OPERATORS.includes(operator)) {
      report(`${what} has operator "${operator}", which Nomad does not know. Use one of ${CONSTRAINT_OPERATORS.join(", ")}.`);
      return;
    }
    if (operator !== "distinct_hosts" && (c.attribute === undefined || c.attribute === "")) {
      report(`${what} (operator "${operator}") has no attribute. Set attribute, e.g. "\${attr.kernel.name}".`);
    }
    const hasValue = c.value !== undefined && c.value !== "";
    if ((COMPARISONS.includes(operator) || SET_OPERATORS.includes(operator)) && !hasValue) report(`${what} (operator "${operator}") has no value. Set value.`);
    if ((operator === "is_set" || operator === "is_not_set") && hasValue) report(`${what}: operator "${operator}" takes no value. Remove value.`);
    if (operator === "distinct_property" && hasValue && known(c.value) && !/^[1-9]\d*$/.test(c.value as string)) {
      report(`${what}: distinct_property's value is how many allocations may share a property value, a whole number from 1; got "${c.value}".`);
    }
    // Task.Validate: "Constraint %d has disallowed Operand at task level".
    if (taskLevel && (operator === "distinct_hosts" || operator === "distinct_property")) {
      report(`${what} uses ${operator}, which Nomad allows on the job or group only. Move it to the group.`);
    }
  });
}

/** Affinity.Validate: weight from -100 to 100 and not 0; Spread.Validate: weight 1-100, distinct targets summing to at most 100%. */
function checkAffinities(placement: { affinities?: Job["affinities"]; spreads?: Job["spreads"] }, report: Report): void {
  for (const a of placement.affinities ?? []) {
    if (known(a.weight) && (a.weight === 0 || a.weight < -100 || a.weight > 100)) {
      report(`affinity on "${a.attribute}" has weight ${a.weight}; Nomad takes -100 to 100 without 0 (leave it out for 50).`);
    }
  }
  for (const s of placement.spreads ?? []) {
    if (known(s.weight) && (s.weight <= 0 || s.weight > 100)) report(`spread on "${s.attribute}" has weight ${s.weight}; Nomad takes 1 to 100 (leave it out for 50).`);
    const targets = s.targets ?? [];
    duplicates(targets.map((t) => t.value)).forEach((v) => report(`spread on "${s.attribute}" has target "${v}" twice. Give each value once.`));
    const sum = targets.reduce((total, t) => total + (known(t.percent) ? t.percent : 0), 0);
    if (targets.some((t) => known(t.percent) && (t.percent < 0 || t.percent > 100))) report(`spread on "${s.attribute}" has a target percent outside 0-100.`);
    else if (sum > 100) report(`spread on "${s.attribute}" targets add up to ${sum}%; Nomad allows at most 100%.`);
  }
}

/**
 * Nomad auto-promotes a deployment only when every group with canaries sets auto_promote; a
 * mix waits for a manual promotion forever (until progress_deadline fails it). Nomad only
 * warns (Job.Warnings); hashilab refuses, because nothing reads the warning of a Terraform apply.
 */
function checkAutoPromote(job: Job, report: Report): void {
  const canaryGroups = (job.groups ?? []).map((g) => ({ name: g.name, update: effectiveUpdate(job.update, g.update) })).filter((g) => (g.update.canary ?? 0) > 0);
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

function checkGroup(job: Job, group: TaskGroup, report: Report): void {
  const type = job.type ?? "service";
  const count = group.count ?? 1;
  const tasks = group.tasks ?? [];
  // TaskGroup.Validate: a name without NUL, a count of at least 0, tasks, unique task names, one leader.
  if (known(group.name) && (group.name === "" || group.name.includes("\0"))) report(`the group name must be non-empty without NUL characters (TaskGroup.Validate). Name the group, e.g. "web".`);
  if (known(count) && count < 0) report(`count ${count} is negative (TaskGroup.Validate). Use 0 or more.`);
  // Job.Validate: "Count cannot exceed 1 with system scheduler".
  if (type === "system" && known(count) && count > 1) report(`count ${count}: a system job runs one allocation per node, so its count may be at most 1. Remove count.`);
  // TaskGroup.Validate runs after the connect admission hook (job_endpoint_hook_connect.go
  // groupConnectHook), which injects a task for each sidecar_service and gateway: a group of a
  // lone gateway is valid.
  const injected = (group.services ?? []).some((s) => s.connect?.sidecarService !== undefined || s.connect?.gateway !== undefined);
  if (tasks.length === 0 && !injected) report(`has no tasks. Add at least one task, or a Connect gateway or sidecar service (Nomad injects its task).`);
  duplicates(tasks.map((t) => t.name)).forEach((n) => report(`has two tasks named "${n}". Task names must be unique in a group.`));
  const leaders = tasks.filter((t) => t.leader === true).map((t) => t.name);
  if (leaders.length > 1) report(`marks tasks ${names(leaders)} as leader; only one task may be the leader (TaskGroup.Validate).`);
  if (type === "system") checkNoSpreadOrAffinity(group, "the group", report);
  checkConstraints(group.constraints, "", report);
  checkAffinities(group, report);
  // TaskGroup.Validate: update only for service and system jobs, migrate only for service jobs, no reschedule for system/sysbatch.
  if (group.update && type !== "service" && type !== "system") report(`has an update block, which ${type} jobs do not allow. Remove it.`);
  if (group.migrate && type !== "service") report(`has a migrate block, which ${type} jobs do not allow. Remove it.`);
  if (group.reschedule && (type === "system" || type === "sysbatch")) report(`has a reschedule block, which ${type} jobs do not allow. Remove it.`);
  checkUpdate(effectiveUpdate(job.update, group.update), type, report);
  checkRestart(group.restart, type, "restart", report);
  checkReschedule(group.reschedule, report);
  checkMigrate(group.migrate, report);
  // EphemeralDisk.Validate: "minimum DiskMB value is 10".
  const diskMb = group.ephemeralDisk?.sizeMb;
  if (known(diskMb) && diskMb < 10) report(`ephemeralDisk.sizeMb ${diskMb} is below Nomad's minimum of 10.`);
  if (known(group.shutdownDelay) && (ns(group.shutdownDelay) ?? 0) < 0) report(`shutdownDelay "${group.shutdownDelay}" is negative (Job.Validate). Use 0s or more.`);
  const volumes = new Set((group.volumes ?? []).map((v) => v.name));
  for (const task of tasks) {
    for (const mount of task.volumeMounts ?? []) {
      // Task.Validate: "Volume Mount references undefined volume".
      if (known(mount.volume) && !volumes.has(mount.volume)) report(`task "${task.name}" mounts volume "${mount.volume}", which the group does not declare. Add a volume of that name.`);
    }
  }
  if (group.network) checkNetwork(group.network, report);
  checkScaling(group, report);
  checkGroupServices(group, report);
}

/**
 * ScalingPolicy.Validate and TaskGroup.validateScalingPolicy: 0 <= min <= max, and the group's
 * count within them (min defaults to the count: api ScalingPolicy.Canonicalize).
 */
function checkScaling(group: TaskGroup, report: Report): void {
  const scaling = group.scaling;
  if (!scaling) return;
  const count = group.count ?? 1;
  const min = scaling.min ?? count;
  // jobspec2 hcl_conversions.go: a group's scaling block requires max.
  if (scaling.max === undefined) {
    if (!scaling.type) report(`scaling has no max; Nomad's job parser requires it ("argument \"max\" is required"). Set max.`);
    return;
  }
  if (![count, min, scaling.max].every((v) => known(v))) return;
  if (min < 0) report(`scaling.min ${min} is negative (ScalingPolicy.Validate).`);
  const max = scaling.max;
  if (scaling.min !== undefined && max < min) report(`scaling.max ${scaling.max} is below min ${min} (ScalingPolicy.Validate).`);
  else if (count > max) report(`count ${count} is above scaling.max ${max} (TaskGroup.validateScalingPolicy). Raise max or lower count.`);
  else if (count < min) report(`count ${count} is below scaling.min ${min} (TaskGroup.validateScalingPolicy). Lower min or raise count.`);
}

/** The Nomad agent's own ports (http, rpc, serf: its defaults): a static port there collides with the agent on every client. */
const NOMAD_AGENT_PORTS = [4646, 4647, 4648];

/** TaskGroup.validateNetworks: unique labels, static ports once per host network and at most 65535, `to` from -1 to 65535, a DNS hostname. */
function checkNetwork(network: Network, report: Report): void {
  const ports = network.ports ?? [];
  duplicates(ports.map((p) => p.label)).forEach((l) => report(`declares port "${l}" twice. Port labels must be unique.`));
  const seen = new Map<string, string>();
  for (const port of ports) {
    const s = port.static;
    if (known(s)) {
      if (!Number.isInteger(s) || s < 1 || s > 65535) report(`port "${port.label}" has static ${s}, outside 1-65535. Use a port from 1 to 65535, or leave static out for a dynamic one.`);
      else if (NOMAD_AGENT_PORTS.includes(s)) report(`port "${port.label}" has static ${s}, which the Nomad agent itself listens on on every client. Pick another port.`);
      const key = `${s}@${port.hostNetwork ?? "default"}`;
      const other = seen.get(key);
      if (other !== undefined) report(`ports "${other}" and "${port.label}" both reserve static port ${s} (TaskGroup.validateNetworks: "Static port already reserved"). Use distinct ports.`);
      else seen.set(key, port.label);
    }
    if (known(port.to) && (!Number.isInteger(port.to) || port.to < -1 || port.to > 65535)) {
      report(`port "${port.label}" maps to ${port.to}, outside -1-65535 (TaskGroup.validateNetworks). Use the port the task listens on.`);
    }
  }
  const hostname = network.hostname;
  if (known(hostname) && !hostname.includes("${") && !isDomainName(hostname)) {
    report(`network hostname "${hostname}" is not a valid DNS name (TaskGroup.validateNetworks, dns.IsDomainName). Use letters, digits, dashes and dots.`);
  }
}

/** miekg/dns IsDomainName, as Nomad calls it: labels of 1-63 bytes, 255 bytes in all; it accepts any byte but "." splits labels. */
function isDomainName(name: string): boolean {
  const labels = name.replace(/\.$/, "").split(".");
  return name.length > 0 && Buffer.byteLength(name) <= 255 && (name === "." || labels.every((l) => l.length > 0 && Buffer.byteLength(l) <= 63));
}

/** RestartPolicy.Validate, on the policy Nomad merges from the job type's defaults and the group's (and the task's) fields. */
const RESTART_DEFAULTS: Readonly<Record<string, Required<Pick<Restart, "attempts" | "interval" | "delay" | "mode">>>> = {
  service: { attempts: 2, interval: "30m", delay: "15s", mode: "fail" },
  system: { attempts: 2, interval: "30m", delay: "15s", mode: "fail" },
  batch: { attempts: 3, interval: "24h", delay: "15s", mode: "fail" },
  sysbatch: { attempts: 3, interval: "24h", delay: "15s", mode: "fail" },
};

function checkRestart(restart: Restart | undefined, type: string, what: string, report: Report, base?: Restart): void {
  if (restart === undefined) return;
  const merged = { ...(RESTART_DEFAULTS[type] ?? RESTART_DEFAULTS.service), ...base, ...restart };
  if (![merged.attempts, merged.interval, merged.delay, merged.mode].every((v) => known(v))) return;
  if (merged.attempts < 0) report(`${what}.attempts ${merged.attempts} is negative. Use 0 or more.`);
  if (merged.attempts === 0 && merged.mode !== "fail") report(`${what} has mode "${merged.mode}" with 0 attempts, which Nomad calls ambiguous (RestartPolicy.Validate). Set attempts or mode "fail".`);
  const interval = parseGoDuration(merged.interval);
  const delay = parseGoDuration(merged.delay);
  if (interval === undefined || delay === undefined) return;
  if (interval < 5e9) report(`${what}.interval "${merged.interval}" is below Nomad's minimum of 5s (RestartPolicy.Validate).`);
  else if (merged.attempts * delay > interval) {
    report(
      `${what}: ${merged.attempts} attempts ${formatNs(delay)} apart do not fit in an interval of ${formatNs(interval)} (RestartPolicy.Validate). ` +
        `Lengthen interval to at least ${formatNs(merged.attempts * delay)}, or lower attempts or delay.`,
    );
  }
}

/** ReschedulePolicy.Validate (the fields given): attempts with unlimited is ambiguous; delay and max_delay at least 5s; interval at least 15s. */
function checkReschedule(reschedule: TaskGroup["reschedule"], report: Report): void {
  if (!reschedule) return;
  if (known(reschedule.attempts) && reschedule.attempts > 0 && reschedule.unlimited === true) {
    report(`reschedule sets attempts ${reschedule.attempts} and unlimited, which Nomad calls ambiguous. Set one of them.`);
  }
  const delay = ns(reschedule.delay);
  if (delay !== undefined && delay < 5e9) report(`reschedule.delay "${reschedule.delay}" is below Nomad's minimum of 5s.`);
  const maxDelay = ns(reschedule.maxDelay);
  if (maxDelay !== undefined && maxDelay < 5e9) report(`reschedule.maxDelay "${reschedule.maxDelay}" is below Nomad's minimum of 5s.`);
  if (delay !== undefined && maxDelay !== undefined && maxDelay < delay) report(`reschedule.maxDelay "${reschedule.maxDelay}" is below delay "${reschedule.delay}".`);
  const interval = ns(reschedule.interval);
  if (interval !== undefined && reschedule.unlimited !== true && interval < 15e9) report(`reschedule.interval "${reschedule.interval}" is below Nomad's minimum of 15s.`);
}

/** UpdateStrategy.Validate on the job's and group's update merged over Nomad's defaults. */
const UPDATE_DEFAULTS = { minHealthyTime: "10s", healthyDeadline: "5m", progressDeadline: "10m", stagger: "30s" };

function checkUpdate(update: Update, type: string, report: Report): void {
  if (Object.keys(update).length === 0 || (type !== "service" && type !== "system")) return;
  if (known(update.maxParallel) && update.maxParallel < 0) report(`update.maxParallel ${update.maxParallel} is negative. Use 0 or more.`);
  if (known(update.canary) && update.canary < 0) report(`update.canary ${update.canary} is negative. Use 0 or more.`);
  if (update.autoPromote === true && (update.canary ?? 0) === 0) report(`update.autoPromote needs canaries (UpdateStrategy.Validate). Set canary, or drop autoPromote.`);
  const min = ns(update.minHealthyTime ?? UPDATE_DEFAULTS.minHealthyTime);
  const healthy = ns(update.healthyDeadline ?? UPDATE_DEFAULTS.healthyDeadline);
  const progress = ns(update.progressDeadline ?? UPDATE_DEFAULTS.progressDeadline);
  const stagger = ns(update.stagger ?? UPDATE_DEFAULTS.stagger);
  if (healthy !== undefined && healthy <= 0) report(`update.healthyDeadline must be above 0.`);
  if (stagger !== undefined && stagger <= 0) report(`update.stagger must be above 0.`);
  if (min !== undefined && healthy !== undefined && min >= healthy) {
    report(`update.minHealthyTime ${formatNs(min)} must be below healthyDeadline ${formatNs(healthy)} (UpdateStrategy.Validate).`);
  }
  if (healthy !== undefined && progress !== undefined && progress !== 0 && healthy >= progress) {
    report(`update.healthyDeadline ${formatNs(healthy)} must be below progressDeadline ${formatNs(progress)} (UpdateStrategy.Validate), or set progressDeadline to "0".`);
  }
}

/** MigrateStrategy.Validate: min_healthy_time at most healthy_deadline. */
function checkMigrate(migrate: TaskGroup["migrate"], report: Report): void {
  if (!migrate) return;
  const min = ns(migrate.minHealthyTime ?? "10s");
  const healthy = ns(migrate.healthyDeadline ?? "5m");
  if (known(migrate.maxParallel) && migrate.maxParallel < 0) report(`migrate.maxParallel ${migrate.maxParallel} is negative.`);
  if (min !== undefined && healthy !== undefined && min > healthy) report(`migrate.minHealthyTime must not exceed healthyDeadline (MigrateStrategy.Validate).`);
}

/**
 * TaskGroup.validateServices: services are unique by (name, port) within the group's own and
 * within each task's list, not merely named (a default name with another port is another
 * service); one provider per group; then each service's own rules.
 */
function checkGroupServices(group: TaskGroup, report: Report): void {
  const groupServices = group.services ?? [];
  const tasks = group.tasks ?? [];
  const allServices = [...groupServices, ...tasks.flatMap((t) => t.services ?? [])];
  const providers = new Set(allServices.map((s) => s.provider ?? "consul"));
  if (providers.size > 1) {
    report(`mixes service providers (${[...providers].sort().join(", ")}). Nomad needs one provider per group: set the same provider on every service.`);
  }
  const labels = portLabels(group);
  const taskNames = new Set(tasks.map((t) => t.name));
  checkUniqueServices(groupServices, "the group", report);
  for (const service of groupServices) {
    checkService(service, labels, "group", report);
    if (service.task !== undefined && known(service.task) && !taskNames.has(service.task)) report(`${serviceName(service)} names task "${service.task}", which the group does not have.`);
    for (const check of service.checks ?? []) {
      // TaskGroup.validateScriptChecksInGroupServices.
      if (check.type === "script" && service.task === undefined && check.task === undefined) {
        report(`${serviceName(service)} has a script check but no task to run it in. Set task on the service or the check.`);
      }
      if (check.task !== undefined && known(check.task) && !taskNames.has(check.task)) report(`${serviceName(service)}'s check names task "${check.task}", which the group does not have.`);
    }
  }
}

/** The port labels of the group's network (validateServices reads tgNetworks[0].PortLabels()). */
function portLabels(group: TaskGroup): Set<string> {
  return new Set(group.network ? networkPortLabels(group.network) : []);
}

/** NetworkResource.PortLabels: its ports and its legacy reserved_ports. */
function networkPortLabels(network: Network): string[] {
  return [...(network.ports ?? []), ...(network.reservedPorts ?? [])].map((p) => p.label);
}

function checkUniqueServices(services: readonly Service[], where: string, report: Report): void {
  const keys = services.map((s) => `${s.name ?? "(default name)"}|${s.port ?? ""}`);
  for (const key of duplicates(keys)) {
    const [name, port] = key.split("|");
    report(
      `${where} has two services named ${name === "(default name)" ? "by default" : `"${name}"`}${port ? ` on port "${port}"` : ""} ` +
        `(TaskGroup.validateServices: services are unique by name and port). Give one a name of its own.`,
    );
  }
}

function serviceName(service: Service): string {
  return service.name ? `service "${service.name}"` : "an unnamed service";
}

/** Service.ValidateName: an RFC 1123 label after Nomad's runtime interpolations (`${...}`) are set aside. */
const SERVICE_NAME = /^(?:[a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])$/i;
/** helper/args envRe: what ReplaceEnvWithPlaceHolder replaces before the name check. */
const NOMAD_ENV = /\$\{[a-zA-Z0-9_\-.]+\}/g;

/** Service.Validate and the checks' validateCommon / validateNomad / validateConsul. */
function checkService(service: Service, portLabels: Set<string>, scope: "group" | "task", report: Report): void {
  const name = serviceName(service);
  if (known(service.name) && !SERVICE_NAME.test(service.name.replace(NOMAD_ENV, "ENV-VAR"))) {
    report(
      `${name} is not a valid service name (Service.ValidateName): up to 63 letters, digits and dashes, not starting or ending with a dash` +
        `${service.name.includes("_") ? `; write "${service.name.replace(/_/g, "-")}"` : ""}.`,
    );
  }
  // Task services: validateServices. Group services: TaskGroup.validateServices does not check
  // the label, but the client refuses an unknown one when it registers the service
  // (serviceregistration/address.go: "port label not found"); it interpolates the label first
  // (taskenv.InterpolateService), so a runtime reference such as "${NOMAD_PORT_api}" is left to it.
  const runtime = scope === "group" && typeof service.port === "string" && service.port.includes("${");
  if (typeof service.port === "string" && known(service.port) && !runtime && !/^\d+$/.test(service.port) && !portLabels.has(service.port)) {
    report(`${name} uses port "${service.port}", which the group's network does not declare. Add the port or fix the label.`);
  }
  const mode = service.addressMode ?? "auto";
  if (service.address !== undefined && mode !== "auto") report(`${name} sets address with addressMode "${mode}"; Nomad allows address only with "auto" (Service.Validate).`);
  if (scope === "group" && mode === "driver") report(`${name} is a group service with addressMode "driver", which only task services may use (TaskGroup.validateServices).`);
  if (scope === "task" && mode === "alloc") report(`${name} is a task service with addressMode "alloc", which only group services may use (validateServices).`);
  const provider = service.provider ?? "consul";
  duplicates((service.checks ?? []).map((c) => c.name ?? "")).forEach((c) => report(`${name} has two checks named ${c ? `"${c}"` : "by default"}. Name each check.`));
  for (const check of service.checks ?? []) checkCheck(check, service, provider, scope, report);
}

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"];

/** ServiceCheck.validateCommon, validateNomad and validateConsul (nomad/structs/services.go). */
function checkCheck(check: Check, service: Service, provider: string, scope: "group" | "task", report: Report): void {
  const name = `${serviceName(service)} check${check.name ? ` "${check.name}"` : ""}`;
  if (provider === "nomad" && check.type !== "http" && check.type !== "tcp") {
    report(`${serviceName(service)} has a "${check.type}" check, but the nomad provider only runs http and tcp checks. Use http/tcp or provider "consul".`);
  }
  if (check.type === "http") {
    if (check.path === undefined || check.path === "") report(`${serviceName(service)} has an http check without a path. Set path, e.g. "/".`);
    else if (known(check.path) && /^[a-z][a-z0-9+.-]*:/i.test(check.path)) report(`${name} path "${check.path}" is an absolute URL; Nomad wants a path such as "/health" (validateCommon).`);
    if (provider === "nomad" && known(check.method) && !HTTP_METHODS.includes(check.method)) report(`${name} method "${check.method}" is not an HTTP method Nomad's checks send. Use e.g. "GET".`);
  }
  if (check.type === "script" && (check.command === undefined || check.command === "")) report(`${name} is a script check without a command. Set command.`);
  // validateCommon: interval and timeout of at least 1s (minCheckInterval, minCheckTimeout).
  for (const field of ["interval", "timeout"] as const) {
    const value = ns(check[field]);
    if (value !== undefined && value < 1e9) report(`${name} ${field} "${check[field]}" is below Nomad's minimum of 1s (validateCommon). Use "1s" or more.`);
  }
  const needsPort = check.type !== "script";
  if (needsPort && check.port === undefined && service.port === undefined) report(`${name} needs a port, but neither it nor the service has one (Service.validateCheckPort). Set port.`);
  if (provider === "nomad" && check.addressMode === "driver") report(`${name} uses addressMode "driver", which only Consul checks may (validateNomad).`);
  if (scope === "task" && check.addressMode === "alloc") report(`${name} uses addressMode "alloc", which only group services' checks may.`);
  if (check.checkRestart) {
    if (check.onUpdate === "ignore") report(`${name} has onUpdate "ignore" with checkRestart, which Nomad does not combine (validateCommon). Drop one.`);
    if (check.onUpdate === "ignore_warnings" && check.checkRestart.ignoreWarnings !== true) {
      report(`${name} has onUpdate "ignore_warnings" with checkRestart that does not ignore warnings (validateCommon). Set checkRestart.ignoreWarnings.`);
    }
    if (provider === "nomad" && check.checkRestart.ignoreWarnings === true) report(`${name}: checkRestart.ignoreWarnings works with Consul checks only (validateNomad).`);
    if (known(check.checkRestart.limit) && check.checkRestart.limit < 0) report(`${name} checkRestart.limit is negative (CheckRestart.Validate).`);
  }
  if (provider === "nomad" && check.onUpdate === "ignore_warnings") report(`${name}: onUpdate "ignore_warnings" works with Consul checks only (validateNomad).`);
}

function checkTask(job: Job, task: Task, group: TaskGroup, report: Report): void {
  const type = job.type ?? "service";
  // Task.Validate: a name, not "alloc", without slashes or NUL.
  if (known(task.name)) {
    if (task.name === "") report(`the task has no name. Name it, e.g. "web".`);
    else if (task.name === "alloc") report(`a task cannot be named "alloc" (Task.Validate: the allocation directory has that name). Rename it.`);
    else if (/[/\\]/.test(task.name)) report(`task names cannot contain slashes (Task.Validate: the name is a directory). Use e.g. "${task.name.replace(/[/\\]+/g, "-")}".`);
    else if (task.name.includes("\0")) report(`task names cannot contain NUL characters.`);
  }
  if (type === "system") checkNoSpreadOrAffinity(task as { affinities?: readonly unknown[] }, "the task", report);
  checkConstraints(task.constraints, "", report, true);
  checkResources(task, report);
  checkLogs(task, group, report);
  checkRestart(task.restart, type, "restart", report, group.restart);
  checkTaskTimes(task, job, group, report);
  const services = task.services ?? [];
  checkUniqueServices(services, "the task", report);
  const labels = portLabels(group);
  // validateServices (COMPAT(0.13)): a task's services may also use the ports of its legacy
  // resources { network { ... } } blocks.
  const serviceLabels = new Set([...labels, ...(task.resources?.networks ?? []).flatMap(networkPortLabels)]);
  for (const service of services) {
    checkService(service, serviceLabels, "task", report);
    // validateServices: "may only specify task the service belongs to".
    if (service.task !== undefined && service.task !== task.name) report(`${serviceName(service)} names task "${service.task}", but a task's service belongs to its own task. Remove task.`);
  }
  const templates = task.templates ?? [];
  for (const template of templates) checkTemplate(template, report);
  for (const artifact of task.artifacts ?? []) checkArtifact(artifact, report);
  // Task.Validate: "Template %d has same destination as %d".
  duplicates(templates.map((t) => t.destination)).forEach((d) => report(`has two templates writing "${d}" (Task.Validate). Give each its own destination.`));
  const configPorts = isContainerTask(task) ? (task.config?.ports ?? []) : [];
  for (const port of configPorts) {
    if (known(port) && !labels.has(port)) report(`config.ports names "${port}", which the group's network does not declare. Add the port or fix the label.`);
  }
}

/** Resources.Validate and MeetsMinResources: cpu at least 1 MHz (or cores), memory at least 10 MB, not cpu and cores both. */
function checkResources(task: Task, report: Report): void {
  const r = task.resources;
  if (!r) return;
  if (known(r.cpuMhz) && r.cpuMhz < 1 && !(known(r.cores) && r.cores > 0)) report(`cpuMhz ${r.cpuMhz} is below Nomad's minimum of 1 (Resources.MeetsMinResources).`);
  if (known(r.cores) && r.cores < 0) report(`cores ${r.cores} is negative (Resources.Validate).`);
  if (known(r.cores) && r.cores > 0 && known(r.cpuMhz) && r.cpuMhz > 0) report(`sets both cpuMhz and cores; Nomad takes one or the other (Resources.Validate).`);
  const memory = r.memoryMb ?? 300;
  if (known(memory) && memory < 10) report(`memoryMb ${memory} is below Nomad's minimum of 10 (Resources.MeetsMinResources).`);
  const memoryMax = r.memoryMaxMb;
  // MemoryNoLimit (-1) is Nomad's "no limit".
  if (known(memoryMax) && known(memory) && memoryMax !== -1 && memoryMax < memory) {
    report(`memoryMaxMb ${memoryMax} is below memoryMb ${memory}. memory_max is the upper limit: make it >= memoryMb or leave it out.`);
  }
  const secrets = r.secretsMb;
  if (known(secrets) && known(memory) && !(Number.isInteger(secrets) && secrets >= 1 && secrets <= memory)) {
    report(`secretsMb ${secrets} must be a whole number of MB from 1 to memoryMb (${memory}): the secrets tmpfs is counted in the task's memory.`);
  }
}

/** LogConfig.Validate: at least 1 file of 1 MB, and the logs smaller than the group's ephemeral disk. */
function checkLogs(task: Task, group: TaskGroup, report: Report): void {
  const maxFiles = task.logs?.maxFiles ?? 10;
  const maxSize = task.logs?.maxFileSizeMb ?? 10;
  const disk = group.ephemeralDisk?.sizeMb ?? 300;
  if (![maxFiles, maxSize, disk].every((v) => known(v))) return;
  if (maxFiles < 1) report(`logs.maxFiles ${maxFiles} is below Nomad's minimum of 1 (LogConfig.Validate).`);
  if (maxSize < 1) report(`logs.maxFileSizeMb ${maxSize} is below Nomad's minimum of 1 (LogConfig.Validate).`);
  if (maxFiles >= 1 && maxSize >= 1 && disk <= maxFiles * maxSize) {
    report(`logs take up to ${maxFiles * maxSize} MB, not less than the group's ephemeral disk of ${disk} MB (LogConfig.Validate). Raise ephemeralDisk.sizeMb or lower the logs.`);
  }
}

/** Task.Validate: kill_timeout and shutdown_delay not negative; kill_timeout within the group's progress_deadline. */
function checkTaskTimes(task: Task, job: Job, group: TaskGroup, report: Report): void {
  const kill = ns(task.killTimeout);
  if (kill !== undefined && kill < 0) report(`killTimeout "${task.killTimeout}" is negative (Task.Validate). Use 0s or more.`);
  const delay = ns(task.shutdownDelay);
  if (delay !== undefined && delay < 0) report(`shutdownDelay "${task.shutdownDelay}" is negative (Task.Validate). Use 0s or more.`);
  const update = effectiveUpdate(job.update, group.update);
  const progress = ns(update.progressDeadline ?? UPDATE_DEFAULTS.progressDeadline);
  if ((job.type ?? "service") === "service" && Object.keys(update).length > 0 && kill !== undefined && progress !== undefined && progress > 0 && kill > progress) {
    report(`killTimeout ${formatNs(kill)} is longer than the group's progressDeadline ${formatNs(progress)} (Task.Validate). Shorten it or lengthen progressDeadline.`);
  }
}

/**
 * Template.Validate: data or source, a destination that stays inside the allocation directory
 * (helper/escapingfs PathEscapesAllocViaRelative: the path is joined to the task directory,
 * so "/etc/app.conf" is the task's own etc/app.conf, and only ".." can climb out), octal
 * perms, a signal for change_mode "signal" (not with env), a splay of 0 or more, wait min <= max.
 */
function checkTemplate(template: Template, report: Report): void {
  const dest = template.destination;
  if (dest === undefined || dest === "") report(`a template has no destination. Set destination, e.g. "local/app.conf".`);
  else if (known(dest) && escapesAllocation(dest)) {
    report(`template destination "${dest}" climbs out of the allocation directory (Template.Validate). Write under local/, secrets/ or alloc/ (e.g. "local/${lastSegment(dest)}").`);
  }
  // Nomad's Template.Validate needs one; with both, the client's consul-template refuses the
  // template at runtime (template/template.go: "cannot specify both 'source' and 'contents'").
  if ((template.data === undefined) === (template.source === undefined)) {
    report(`template "${dest}" needs exactly one of data or source${template.data !== undefined ? " (with both, consul-template on the client refuses it)" : ""}.`);
  }
  const perms = template.perms;
  if (known(perms) && !/^[0-7]{1,4}$/.test(perms)) report(`template "${dest}" perms "${perms}" is not an octal mode up to 7777 (Template.Validate), e.g. "0644".`);
  if (template.changeMode === "signal") {
    if (!template.changeSignal) report(`template "${dest}" has changeMode "signal" without changeSignal. Set e.g. "SIGHUP".`);
    if (template.env === true) report(`template "${dest}" is read as environment variables, which a signal cannot reload (Template.Validate). Use changeMode "restart".`);
  }
  const splay = ns(template.splay);
  if (splay !== undefined && splay < 0) report(`template "${dest}" splay "${template.splay}" is negative.`);
  const min = ns(template.wait?.min);
  const max = ns(template.wait?.max);
  if (min !== undefined && max !== undefined && min > max) report(`template "${dest}" wait.min "${template.wait?.min}" is above wait.max "${template.wait?.max}" (WaitConfig.Validate).`);
}

/** TaskArtifact.Validate: a source, and a destination inside the allocation directory (as a template's). */
function checkArtifact(artifact: NonNullable<Task["artifacts"]>[number], report: Report): void {
  if (artifact.source === undefined || artifact.source === "") report(`an artifact has no source. Set source, e.g. "https://example.com/app.tar.gz".`);
  const dest = artifact.destination;
  if (known(dest) && escapesAllocation(dest)) {
    report(`artifact destination "${dest}" climbs out of the allocation directory (TaskArtifact.Validate). Use e.g. "local/".`);
  }
}

/** Go's filepath.Join + Clean of /alloc-dir/alloc-id/task/<path>, then whether the result left alloc-id. */
function escapesAllocation(path: string): boolean {
  const stack = ["alloc-dir", "alloc-id", "task"];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") stack.pop();
    else stack.push(part);
  }
  return stack.length < 2 || stack[0] !== "alloc-dir" || stack[1] !== "alloc-id";
}

function lastSegment(path: string): string {
  return path.split("/").filter((p) => p && p !== "..").pop() ?? "file";
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
const OPAQUE_FIELDS = new Set(["config", "env", "meta", "labels", "extra", "policy", "options", "headers", "header"]);

/**
 * Every value of the model, wherever it is: what HCL and Nomad can take at all.
 * - null: the HCL writer has no null; leaving a field out gives Nomad's default.
 * - numbers: NaN and Infinity have no HCL form (they would render as "${NaN}"); the typed
 *   fields are Go ints, which refuse a fraction (jobspec2's decoder).
 * - strings: HCL and Terraform normalize text to Unicode NFC (hclsyntax, cty.StringVal), so a
 *   string in another form would reach Nomad changed; a lone UTF-16 surrogate has no UTF-8 form.
 * - durations: time.ParseDuration's syntax (no "d" unit) and no negative value, which no
 *   Nomad duration field takes.
 */
function checkValues(value: unknown, path: string, opaque: boolean, report: Report): void {
  if (Array.isArray(value)) {
    value.forEach((item) => checkValues(item, path, opaque, report));
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [key, field] of Object.entries(value)) {
    const where = `${path}${key}`;
    if (opaque || OPAQUE_FIELDS.has(key)) checkText(key, `${where} key`, report);
    if (field === null) report(`${where} is null. Leave the field out for Nomad's default.`);
    else if (typeof field === "number") checkNumber(field, where, opaque || OPAQUE_FIELDS.has(key), report);
    else if (typeof field === "string") {
      checkText(field, where, report);
      if (!opaque && DURATION_FIELDS.has(key) && known(field)) checkDuration(field, where, report);
    } else if (!opaque && (key === "groups" || key === "tasks") && Array.isArray(field)) {
      const kind = key === "groups" ? "group" : "task";
      for (const item of field as { name: string }[]) checkValues(item, `${path}${kind} "${item?.name}" `, false, report);
    } else if (Array.isArray(field) && field.some((item) => typeof item !== "object" || item === null)) {
      field.forEach((item, i) => {
        if (item === null) report(`${where}[${i}] is null. Remove it.`);
        else if (typeof item === "number") checkNumber(item, `${where}[${i}]`, opaque || OPAQUE_FIELDS.has(key), report);
        else if (typeof item === "string") checkText(item, `${where}[${i}]`, report);
        else checkValues(item, `${where}.`, opaque || OPAQUE_FIELDS.has(key), report);
      });
    } else {
      checkValues(field, `${where}.`, opaque || OPAQUE_FIELDS.has(key), report);
    }
  }
}

function checkNumber(value: number, where: string, opaque: boolean, report: Report): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isFinite(value)) report(`${where} is ${value}, which is no number HCL can write. Use a finite number.`);
  else if (!opaque && !Number.isInteger(value)) report(`${where} is ${value}; Nomad takes a whole number here.`);
}

function checkText(value: string, where: string, report: Report): void {
  if (Token.isUnresolved(value)) return;
  const problem = terraformTextProblem(where, value);
  if (problem) report(problem);
}

function checkDuration(value: string, where: string, report: Report): void {
  const length = parseGoDuration(value);
  if (length === undefined || !GO_DURATION.test(value)) {
    const days = /^(\d+)d$/.exec(value);
    report(`${where} "${value}" is not a duration. Write a number with a unit, e.g. "10s", "5m", "1h30m"${days ? ` ("${Number(days[1]) * 24}h" for ${days[1]} days: Go has no "d")` : ""}.`);
  } else if (length < 0) {
    report(`${where} "${value}" is negative; Nomad takes no negative durations. Use "${value.slice(1)}" or "0s".`);
  }
}

/** A name for a message: as written when known, a placeholder for a value known only at apply time. */
function quoted(name: string | undefined): string {
  return name !== undefined && Token.isUnresolved(name) ? "(set at apply time)" : JSON.stringify(name ?? "");
}

function duplicates(values: readonly string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

function names(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}
