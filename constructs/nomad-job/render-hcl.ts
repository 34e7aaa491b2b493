import { block, formatHcl, HclAttribute, HclBlock, HclBody, HclBodyItem, HclExpr, HclObject, isIdentifier } from "../core";
import { Check, ConfigMap, ConfigValue, Constraint, ContainerConfig, Job, Network, Placement, Service, Task, TaskGroup, Template } from "./model";

/**
 * Renders a job as canonical HCL: attributes in a fixed order (the order of the Nomad docs),
 * then blocks, unset fields left out. The text is what Nomad parses; it is not yet escaped for
 * Terraform (see core/terraform-escape.ts).
 */
export function renderJobHcl(job: Job): string {
  return formatHcl([jobBlock(job)]);
}

/** A model field's HCL name: snake_case without the unit (cpuMhz → cpu, maxFileSizeMb → max_file_size). */
function hclName(field: string): string {
  return field.replace(/(Mhz|Mb)$/, "").replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The fields of `value` that are set, as attributes in the order given. */
function fields<T extends object>(value: T, order: readonly (keyof T & string)[]): HclAttribute[] {
  return order.filter((f) => value[f] !== undefined).map((f) => ({ name: hclName(f), value: value[f] as HclExpr }));
}

/** A block of just the given scalar fields, or nothing when `value` is unset. */
function simple<T extends object>(type: string, value: T | undefined, order: readonly (keyof T & string)[]): HclBlock | undefined {
  return value === undefined ? undefined : block(type, [], fields(value, order));
}

function optional<T>(value: T | undefined, render: (v: T) => HclBlock): HclBlock | undefined {
  return value === undefined ? undefined : render(value);
}

function each<T>(values: readonly T[] | undefined, render: (v: T) => HclBlock): HclBlock[] {
  return (values ?? []).map(render);
}

/**
 * A string map (env, meta) as a block of attributes, or as an object attribute when a key is
 * not an HCL identifier (e.g. "discovery.type"), which Nomad's docs prescribe for such keys.
 * Keys are sorted: a map has no order worth keeping.
 */
function stringMap(name: string, map: Readonly<Record<string, string | readonly string[]>> | undefined): HclBodyItem {
  if (map === undefined) return undefined;
  const keys = Object.keys(map).sort();
  const sorted: HclObject = Object.fromEntries(keys.map((k) => [k, map[k]]));
  if (keys.every(isIdentifier)) return block(name, [], keys.map((k) => ({ name: k, value: map[k] })));
  return { name, value: sorted };
}

function jobBlock(job: Job): HclBlock {
  return block(
    "job",
    [job.name],
    fields(job, ["namespace", "type", "region", "datacenters", "nodePool", "priority"]),
    stringMap("meta", job.meta),
    simple("periodic", job.periodic, ["crons", "timeZone", "prohibitOverlap", "enabled"]),
    simple("parameterized", job.parameterized, ["payload", "metaRequired", "metaOptional"]),
    placementBlocks(job),
    simple("update", job.update, UPDATE_FIELDS),
    each(job.groups, groupBlock),
  );
}

const UPDATE_FIELDS = [
  "maxParallel",
  "healthCheck",
  "minHealthyTime",
  "healthyDeadline",
  "progressDeadline",
  "autoRevert",
  "autoPromote",
  "canary",
  "stagger",
] as const;

function constraintBlock(c: Constraint): HclBlock {
  return block("constraint", [], fields(c, ["attribute", "operator", "value"]));
}

function placementBlocks(p: Placement): HclBlock[] {
  return [
    ...each(p.constraints, constraintBlock),
    ...each(p.affinities, (a) => block("affinity", [], fields(a, ["attribute", "operator", "value", "weight"]))),
    ...each(p.spreads, (s) =>
      block(
        "spread",
        [],
        fields(s, ["attribute", "weight"]),
        (s.targets ?? []).map((t) => block("target", [t.value], fields(t, ["percent"]))),
      ),
    ),
  ];
}

function groupBlock(g: TaskGroup): HclBlock {
  return block(
    "group",
    [g.name],
    fields(g, ["count", "shutdownDelay"]),
    stringMap("meta", g.meta),
    placementBlocks(g),
    optional(g.network, networkBlock),
    each(g.volumes, (v) =>
      block("volume", [v.name], fields(v, ["type", "source", "readOnly", "accessMode", "attachmentMode", "perAlloc"])),
    ),
    simple("ephemeral_disk", g.ephemeralDisk, ["sizeMb", "migrate", "sticky"]),
    simple("update", g.update, UPDATE_FIELDS),
    simple("migrate", g.migrate, ["maxParallel", "healthCheck", "minHealthyTime", "healthyDeadline"]),
    simple("restart", g.restart, RESTART_FIELDS),
    simple("reschedule", g.reschedule, ["attempts", "interval", "delay", "delayFunction", "maxDelay", "unlimited"]),
    optional(g.scaling, (s) =>
      block("scaling", [], fields(s, ["enabled", "min", "max"]), optional(s.policy, (p) => block("policy", [], configBody(p)))),
    ),
    each(g.services, serviceBlock),
    each(g.tasks, taskBlock),
  );
}

const RESTART_FIELDS = ["attempts", "interval", "delay", "mode", "renderTemplates"] as const;

function networkBlock(n: Network): HclBlock {
  return block(
    "network",
    [],
    fields(n, ["mode", "hostname"]),
    (n.ports ?? []).map((p) => block("port", [p.label], fields(p, ["static", "to", "hostNetwork"]))),
    simple("dns", n.dns, ["servers", "searches", "options"]),
  );
}

function serviceBlock(s: Service): HclBlock {
  // An empty tag list means the same as none; leaving it out keeps the jobspec minimal.
  const tags = { tags: s.tags?.length ? s.tags : undefined, canaryTags: s.canaryTags?.length ? s.canaryTags : undefined };
  return block(
    "service",
    [],
    fields(s, ["name", "provider", "port", "task"]),
    fields(tags, ["tags", "canaryTags"]),
    fields(s, ["addressMode", "address"]),
    stringMap("meta", s.meta),
    each(s.checks, checkBlock),
  );
}

function checkBlock(c: Check): HclBlock {
  return block(
    "check",
    [],
    fields(c, ["name", "type", "port", "protocol", "method", "path", "command", "args", "task", "addressMode", "interval", "timeout", "onUpdate"]),
    stringMap("header", c.header),
    simple("check_restart", c.checkRestart, ["limit", "grace", "ignoreWarnings"]),
  );
}

function taskBlock(t: Task): HclBlock {
  const config = t.driver === "docker" || t.driver === "podman" ? containerConfig(t.config) : t.config;
  return block(
    "task",
    [t.name],
    fields(t, ["driver", "user", "leader", "killTimeout", "killSignal", "shutdownDelay"]),
    simple("lifecycle", t.lifecycle, ["hook", "sidecar"]),
    each(t.constraints, constraintBlock),
    optional(config, (c) => block("config", [], configBody(c))),
    each(t.artifacts, (a) =>
      block(
        "artifact",
        [],
        fields(a, ["source", "destination", "mode", "chown"]),
        stringMap("options", a.options),
        stringMap("headers", a.headers),
      ),
    ),
    each(t.volumeMounts, (v) => block("volume_mount", [], fields(v, ["volume", "destination", "readOnly", "propagationMode"]))),
    simple("csi_plugin", t.csiPlugin, ["id", "type", "mountDir", "stagePublishBaseDir", "healthTimeout"]),
    each(t.identities, (i) => block("identity", [], fields(i, ["name", "aud", "env", "file", "ttl", "changeMode", "changeSignal"]))),
    stringMap("env", t.env),
    stringMap("meta", t.meta),
    each(t.services, serviceBlock),
    each(t.templates, templateBlock),
    simple("restart", t.restart, RESTART_FIELDS),
    simple("resources", t.resources, ["cpuMhz", "cores", "memoryMb", "memoryMaxMb", "secretsMb"]),
    simple("logs", t.logs, ["maxFiles", "maxFileSizeMb", "disabled"]),
  );
}

/** The docker/podman options in the drivers' own (snake_case) names, typed ones first. */
function containerConfig(c: ContainerConfig): ConfigMap {
  const order = ["image", "command", "entrypoint", "args", "ports", "networkMode", "forcePull", "privileged", "workDir", "capAdd", "capDrop", "volumes", "labels"] as const;
  const typed = order.filter((f) => c[f] !== undefined).map((f): [string, ConfigValue] => [hclName(f), c[f] as ConfigValue]);
  return { ...Object.fromEntries(typed), ...c.extra };
}

/** Free-form config: scalars and tuples of scalars as attributes, objects as nested blocks. */
function configBody(config: ConfigMap): HclBody {
  const items: (HclAttribute | HclBlock)[] = [];
  for (const [name, value] of Object.entries(config)) {
    if (isConfigMap(value)) {
      items.push(configMapItem(name, value));
    } else if (Array.isArray(value) && value.length > 0 && value.every(isConfigMap)) {
      items.push(...value.map((v) => configMapItem(name, v)));
    } else {
      items.push({ name, value: value as HclExpr });
    }
  }
  // Attributes before blocks, each in insertion order: the layout people write.
  return [...items.filter((i) => !("body" in i)), ...items.filter((i) => "body" in i)];
}

function configMapItem(name: string, map: ConfigMap): HclAttribute | HclBlock {
  if (Object.keys(map).every(isIdentifier)) return block(name, [], configBody(map));
  return { name, value: map as HclObject };
}

function isConfigMap(value: ConfigValue): value is ConfigMap {
  return typeof value === "object" && !Array.isArray(value);
}

function templateBlock(t: Template): HclBlock {
  return block(
    "template",
    [],
    fields(t, [
      "source",
      "destination",
      "env",
      "perms",
      "uid",
      "gid",
      "changeMode",
      "changeSignal",
      "splay",
      "leftDelimiter",
      "rightDelimiter",
      "errorOnMissingKey",
      // Last: a heredoc closes the aligned group above it.
      "data",
    ]),
    simple("wait", t.wait, ["min", "max"]),
  );
}
