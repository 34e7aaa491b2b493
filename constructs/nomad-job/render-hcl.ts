import { formatHcl, HclAttribute, HclBlock, HclBody, HclExpr, HclObject, isIdentifier } from "./hcl";
import {
  Affinity,
  Artifact,
  Check,
  ConfigMap,
  ConfigValue,
  Constraint,
  ContainerConfig,
  Identity,
  Job,
  Migrate,
  Network,
  Periodic,
  Parameterized,
  Reschedule,
  Restart,
  Scaling,
  Service,
  Spread,
  Task,
  TaskGroup,
  Template,
  Update,
  Volume,
  VolumeMount,
} from "./model";

/**
 * Renders a job as canonical HCL: attributes in a fixed order (the order of the Nomad docs),
 * then blocks, unset fields left out. The text is what Nomad parses; it is not yet escaped for
 * Terraform (see escape.ts).
 */
export function renderJobHcl(job: Job): string {
  return formatHcl([jobBlock(job)]);
}

type Entry = readonly [string, HclExpr | undefined];
type Item = HclAttribute | HclBlock | undefined;

/** Attributes for the entries that are set, in the given order. */
function attrs(...entries: Entry[]): HclAttribute[] {
  return entries.filter((e): e is readonly [string, HclExpr] => e[1] !== undefined).map(([name, value]) => ({ name, value }));
}

function block(type: string, labels: readonly string[], ...items: (Item | readonly Item[])[]): HclBlock {
  const body = items.flat().filter((i): i is HclAttribute | HclBlock => i !== undefined);
  return { type, labels, body };
}

function optional<T>(value: T | undefined, render: (v: T) => HclBlock): HclBlock | undefined {
  return value === undefined ? undefined : render(value);
}

/** An empty tag list means the same as none; leaving it out keeps the jobspec minimal. */
function nonEmpty<T>(values: readonly T[] | undefined): readonly T[] | undefined {
  return values?.length ? values : undefined;
}

function each<T>(values: readonly T[] | undefined, render: (v: T) => HclBlock): HclBlock[] {
  return (values ?? []).map(render);
}

/**
 * A string map (env, meta) as a block of attributes, or as an object attribute when a key is
 * not an HCL identifier (e.g. "discovery.type"), which Nomad's docs prescribe for such keys.
 */
function stringMap(name: string, map: Readonly<Record<string, string>> | undefined): Item {
  if (map === undefined) return undefined;
  const keys = Object.keys(map).sort();
  const sorted: HclObject = Object.fromEntries(keys.map((k) => [k, map[k]]));
  if (keys.every(isIdentifier)) return block(name, [], attrs(...keys.map((k) => [k, map[k]] as const)));
  return { name, value: sorted };
}

function jobBlock(job: Job): HclBlock {
  return block(
    "job",
    [job.name],
    attrs(
      ["namespace", job.namespace],
      ["type", job.type],
      ["region", job.region],
      ["datacenters", job.datacenters],
      ["node_pool", job.nodePool],
      ["priority", job.priority],
    ),
    stringMap("meta", job.meta),
    optional(job.periodic, periodicBlock),
    optional(job.parameterized, parameterizedBlock),
    each(job.constraints, constraintBlock),
    each(job.affinities, affinityBlock),
    each(job.spreads, spreadBlock),
    optional(job.update, updateBlock),
    each(job.groups, groupBlock),
  );
}

function periodicBlock(p: Periodic): HclBlock {
  return block(
    "periodic",
    [],
    attrs(["crons", p.crons], ["time_zone", p.timeZone], ["prohibit_overlap", p.prohibitOverlap], ["enabled", p.enabled]),
  );
}

function parameterizedBlock(p: Parameterized): HclBlock {
  return block("parameterized", [], attrs(["payload", p.payload], ["meta_required", p.metaRequired], ["meta_optional", p.metaOptional]));
}

function constraintBlock(c: Constraint): HclBlock {
  return block("constraint", [], attrs(["attribute", c.attribute], ["operator", c.operator], ["value", c.value]));
}

function affinityBlock(a: Affinity): HclBlock {
  return block("affinity", [], attrs(["attribute", a.attribute], ["operator", a.operator], ["value", a.value], ["weight", a.weight]));
}

function spreadBlock(s: Spread): HclBlock {
  return block(
    "spread",
    [],
    attrs(["attribute", s.attribute], ["weight", s.weight]),
    (s.targets ?? []).map((t) => block("target", [t.value], attrs(["percent", t.percent]))),
  );
}

function updateBlock(u: Update): HclBlock {
  return block(
    "update",
    [],
    attrs(
      ["max_parallel", u.maxParallel],
      ["health_check", u.healthCheck],
      ["min_healthy_time", u.minHealthyTime],
      ["healthy_deadline", u.healthyDeadline],
      ["progress_deadline", u.progressDeadline],
      ["auto_revert", u.autoRevert],
      ["auto_promote", u.autoPromote],
      ["canary", u.canary],
      ["stagger", u.stagger],
    ),
  );
}

function restartBlock(r: Restart): HclBlock {
  return block(
    "restart",
    [],
    attrs(["attempts", r.attempts], ["interval", r.interval], ["delay", r.delay], ["mode", r.mode], ["render_templates", r.renderTemplates]),
  );
}

function rescheduleBlock(r: Reschedule): HclBlock {
  return block(
    "reschedule",
    [],
    attrs(
      ["attempts", r.attempts],
      ["interval", r.interval],
      ["delay", r.delay],
      ["delay_function", r.delayFunction],
      ["max_delay", r.maxDelay],
      ["unlimited", r.unlimited],
    ),
  );
}

function migrateBlock(m: Migrate): HclBlock {
  return block(
    "migrate",
    [],
    attrs(
      ["max_parallel", m.maxParallel],
      ["health_check", m.healthCheck],
      ["min_healthy_time", m.minHealthyTime],
      ["healthy_deadline", m.healthyDeadline],
    ),
  );
}

function groupBlock(g: TaskGroup): HclBlock {
  return block(
    "group",
    [g.name],
    attrs(["count", g.count], ["shutdown_delay", g.shutdownDelay]),
    stringMap("meta", g.meta),
    each(g.constraints, constraintBlock),
    each(g.affinities, affinityBlock),
    each(g.spreads, spreadBlock),
    optional(g.network, networkBlock),
    each(g.volumes, volumeBlock),
    optional(g.ephemeralDisk, (d) => block("ephemeral_disk", [], attrs(["size", d.sizeMb], ["migrate", d.migrate], ["sticky", d.sticky]))),
    optional(g.update, updateBlock),
    optional(g.migrate, migrateBlock),
    optional(g.restart, restartBlock),
    optional(g.reschedule, rescheduleBlock),
    optional(g.scaling, scalingBlock),
    each(g.services, serviceBlock),
    each(g.tasks, taskBlock),
  );
}

function networkBlock(n: Network): HclBlock {
  return block(
    "network",
    [],
    attrs(["mode", n.mode], ["hostname", n.hostname]),
    (n.ports ?? []).map((p) => block("port", [p.label], attrs(["static", p.static], ["to", p.to], ["host_network", p.hostNetwork]))),
    optional(n.dns, (d) => block("dns", [], attrs(["servers", d.servers], ["searches", d.searches], ["options", d.options]))),
  );
}

function volumeBlock(v: Volume): HclBlock {
  return block(
    "volume",
    [v.name],
    attrs(
      ["type", v.type],
      ["source", v.source],
      ["read_only", v.readOnly],
      ["access_mode", v.accessMode],
      ["attachment_mode", v.attachmentMode],
      ["per_alloc", v.perAlloc],
    ),
  );
}

function scalingBlock(s: Scaling): HclBlock {
  return block(
    "scaling",
    [],
    attrs(["enabled", s.enabled], ["min", s.min], ["max", s.max]),
    optional(s.policy, (p) => block("policy", [], configBody(p))),
  );
}

function serviceBlock(s: Service): HclBlock {
  return block(
    "service",
    [],
    attrs(
      ["name", s.name],
      ["provider", s.provider],
      ["port", s.port],
      ["task", s.task],
      ["tags", nonEmpty(s.tags)],
      ["canary_tags", nonEmpty(s.canaryTags)],
      ["address_mode", s.addressMode],
      ["address", s.address],
    ),
    stringMap("meta", s.meta),
    each(s.checks, checkBlock),
  );
}

function checkBlock(c: Check): HclBlock {
  return block(
    "check",
    [],
    attrs(
      ["name", c.name],
      ["type", c.type],
      ["port", c.port],
      ["protocol", c.protocol],
      ["method", c.method],
      ["path", c.path],
      ["command", c.command],
      ["args", c.args],
      ["task", c.task],
      ["address_mode", c.addressMode],
      ["interval", c.interval],
      ["timeout", c.timeout],
      ["on_update", c.onUpdate],
    ),
    optional(c.header, (h) => block("header", [], attrs(...Object.keys(h).sort().map((k) => [k, h[k]] as const)))),
    optional(c.checkRestart, (r) =>
      block("check_restart", [], attrs(["limit", r.limit], ["grace", r.grace], ["ignore_warnings", r.ignoreWarnings])),
    ),
  );
}

function taskBlock(t: Task): HclBlock {
  const config = t.driver === "docker" || t.driver === "podman" ? containerConfig(t.config) : t.config;
  return block(
    "task",
    [t.name],
    attrs(["driver", t.driver], ["user", t.user], ["leader", t.leader], ["kill_timeout", t.killTimeout], ["kill_signal", t.killSignal], [
      "shutdown_delay",
      t.shutdownDelay,
    ]),
    optional(t.lifecycle, (l) => block("lifecycle", [], attrs(["hook", l.hook], ["sidecar", l.sidecar]))),
    each(t.constraints, constraintBlock),
    optional(config, (c) => block("config", [], configBody(c))),
    each(t.artifacts, artifactBlock),
    each(t.volumeMounts, volumeMountBlock),
    each(t.identities, identityBlock),
    stringMap("env", t.env),
    stringMap("meta", t.meta),
    each(t.services, serviceBlock),
    each(t.templates, templateBlock),
    optional(t.restart, restartBlock),
    optional(t.resources, (r) =>
      block("resources", [], attrs(["cpu", r.cpuMhz], ["cores", r.cores], ["memory", r.memoryMb], ["memory_max", r.memoryMaxMb])),
    ),
    optional(t.logs, (l) => block("logs", [], attrs(["max_files", l.maxFiles], ["max_file_size", l.maxFileSizeMb], ["disabled", l.disabled]))),
  );
}

/** The docker/podman options in the drivers' own (snake_case) names, typed ones first. */
function containerConfig(c: ContainerConfig): ConfigMap {
  const typed: Record<string, ConfigValue | undefined> = {
    image: c.image,
    command: c.command,
    entrypoint: c.entrypoint,
    args: c.args,
    ports: c.ports,
    network_mode: c.networkMode,
    force_pull: c.forcePull,
    privileged: c.privileged,
    work_dir: c.workDir,
    cap_add: c.capAdd,
    cap_drop: c.capDrop,
    volumes: c.volumes,
    labels: c.labels,
  };
  const defined = Object.entries(typed).filter((e): e is [string, ConfigValue] => e[1] !== undefined);
  return { ...Object.fromEntries(defined), ...c.extra };
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
    attrs(
      ["source", t.source],
      ["destination", t.destination],
      ["env", t.env],
      ["perms", t.perms],
      ["change_mode", t.changeMode],
      ["change_signal", t.changeSignal],
      ["splay", t.splay],
      ["left_delimiter", t.leftDelimiter],
      ["right_delimiter", t.rightDelimiter],
      ["error_on_missing_key", t.errorOnMissingKey],
      // Last: a heredoc closes the aligned group above it.
      ["data", t.data],
    ),
    optional(t.wait, (w) => block("wait", [], attrs(["min", w.min], ["max", w.max]))),
  );
}

function identityBlock(i: Identity): HclBlock {
  return block(
    "identity",
    [],
    attrs(
      ["name", i.name],
      ["aud", i.aud],
      ["env", i.env],
      ["file", i.file],
      ["ttl", i.ttl],
      ["change_mode", i.changeMode],
      ["change_signal", i.changeSignal],
    ),
  );
}

function artifactBlock(a: Artifact): HclBlock {
  return block(
    "artifact",
    [],
    attrs(["source", a.source], ["destination", a.destination], ["mode", a.mode], ["chown", a.chown]),
    stringMap("options", a.options),
    stringMap("headers", a.headers),
  );
}

function volumeMountBlock(v: VolumeMount): HclBlock {
  return block(
    "volume_mount",
    [],
    attrs(["volume", v.volume], ["destination", v.destination], ["read_only", v.readOnly], ["propagation_mode", v.propagationMode]),
  );
}
