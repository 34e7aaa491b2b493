import { SynthesizedApp } from "./checkout";
import { unifiedDiff } from "./line-diff";
import { Masker } from "./mask";
import { cascade, PlannedResource } from "./rules/cascade";
import { replacingChanges } from "./rules/force-new";
import { isIgnored } from "./rules/ignore-changes";
import { withoutMetaArguments } from "./rules/meta-arguments";

/**
 * Attributes that hold rendered documents (HCL, YAML): shown as unified diffs of their
 * text. Any other multi-line string attribute is diffed the same way.
 */
export const TEXT_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  nomad_job: ["jobspec"],
  nomad_acl_policy: ["rules_hcl"],
  consul_acl_policy: ["rules"],
  hcloud_server: ["user_data"],
};

/**
 * Attributes that say what a created or deleted resource is, shown beside its documents:
 * a DNS record's name, type and content (where a public name will point).
 */
export const IDENTITY_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  cloudflare_dns_record: ["name", "type", "content"],
};

export type Action = "create" | "update" | "replace" | "delete";

export interface AttributeChange {
  /** e.g. "jobspec", "labels.role", "network[0].ip" */
  readonly path: string;
  /** Masked JSON of the old and new value (absent when the attribute is new / gone). */
  readonly before?: string;
  readonly after?: string;
  /** For document attributes: the unified diff of the masked, rendered text. */
  readonly textDiff?: string;
}

export interface ResourceChange {
  readonly stack: string;
  /** Terraform address, e.g. "nomad_job.it-tools". */
  readonly address: string;
  readonly type: string;
  /** The construct path from cdktf's metadata, e.g. "lab-workloads/ItTools/Job/Default". */
  readonly constructPath?: string;
  readonly action: Action;
  readonly attributes: readonly AttributeChange[];
  /** Attributes that force the replacement (action "replace"), and lifecycle triggers. */
  readonly replacedBecause: readonly string[];
  /** For an update without a change of its own: the values it reads that change. */
  readonly updatedBecause: readonly string[];
  /** Changed attributes Terraform does not apply (lifecycle.ignore_changes). */
  readonly ignoredPaths: readonly string[];
  /** A replacement that creates the new object before destroying the old one. */
  readonly createBeforeDestroy: boolean;
  /**
   * A deleted and a created resource of one type with the same configuration: most likely a
   * changed construct id. The address of the other side.
   */
  readonly renamedFrom?: string;
  readonly renamedTo?: string;
}

/** A change outside `resource`: an output, variable, provider, data source or backend block. */
export interface BlockChange {
  readonly action: "create" | "update" | "delete";
  /** e.g. "output.nomad_token", "provider.nomad", "terraform.backend" */
  readonly address: string;
}

/** A resource whose configuration differs but which Terraform leaves as it is. */
export interface IgnoredChange {
  readonly address: string;
  readonly constructPath?: string;
  /** The changed attribute paths Terraform ignores. */
  readonly paths: readonly string[];
  readonly reason: "lifecycle.ignore_changes" | "meta-arguments only";
}

export interface StackReview {
  readonly stack: string;
  readonly status: "added" | "removed" | "present";
  readonly changes: readonly ResourceChange[];
  /** Configuration changes Terraform does not apply. */
  readonly ignored: readonly IgnoredChange[];
  readonly otherChanges: readonly BlockChange[];
}

/** Compares two synthesized apps stack by stack and resource by resource. */
export function compareApps(before: SynthesizedApp, after: SynthesizedApp): StackReview[] {
  const masker = new Masker(before, after);
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.map((stack) => ({
    stack,
    status: !before[stack] ? "added" : !after[stack] ? "removed" : "present",
    ...compareStacks(stack, before[stack] ?? {}, after[stack] ?? {}, masker),
    otherChanges: compareBlocks(before[stack] ?? {}, after[stack] ?? {}),
  }));
}

/** Blocks other than resources, by `<kind>.<name>` (data sources by `data.<type>.<name>`). */
function blocksOf(stackJson: Record<string, any>): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const [kind, byName] of Object.entries<any>(stackJson)) {
    if (kind === "resource" || kind === "//" || !byName || typeof byName !== "object") continue;
    for (const [name, body] of Object.entries<any>(byName)) {
      if (kind === "data") {
        for (const [dataName, dataBody] of Object.entries<any>(body)) blocks.set(`data.${name}.${dataName}`, JSON.stringify(withoutMetadata(dataBody)));
      } else {
        blocks.set(`${kind}.${name}`, JSON.stringify(body));
      }
    }
  }
  return blocks;
}

function compareBlocks(before: Record<string, any>, after: Record<string, any>): BlockChange[] {
  const a = blocksOf(before);
  const b = blocksOf(after);
  return [...new Set([...a.keys(), ...b.keys()])]
    .sort()
    .filter((address) => a.get(address) !== b.get(address))
    .map((address) => ({ address, action: !a.has(address) ? "create" : !b.has(address) ? "delete" : "update" }));
}

function resourcesOf(stackJson: Record<string, any>): Map<string, { type: string; body: any }> {
  const map = new Map<string, { type: string; body: any }>();
  for (const [type, byName] of Object.entries<any>(stackJson.resource ?? {})) {
    for (const [name, body] of Object.entries<any>(byName)) map.set(`${type}.${name}`, { type, body });
  }
  return map;
}

function compareStacks(stack: string, before: Record<string, any>, after: Record<string, any>, masker: Masker): { changes: ResourceChange[]; ignored: IgnoredChange[] } {
  const a = resourcesOf(before);
  const b = resourcesOf(after);
  const addresses = [...new Set([...a.keys(), ...b.keys()])].sort();
  const planned = new Map<string, PlannedResource & { attributes: AttributeChange[]; ignoredPaths: string[]; metaOnly: boolean }>();
  for (const address of addresses) {
    const old = a.get(address);
    const now = b.get(address);
    const type = (now ?? old)!.type;
    const all = compareAttributes(type, withoutMetaArguments(old?.body), withoutMetaArguments(now?.body), masker);
    // ignore_changes applies to updates only: a created or deleted resource is what it is.
    const applied = old && now ? all.filter((c) => !isIgnored(now.body, c.path)) : all;
    const action = !old ? "create" : !now ? "delete" : applied.length > 0 ? "update" : "none";
    const metaOnly = Boolean(old && now) && all.length === 0 && JSON.stringify(withoutMetadata(old!.body)) !== JSON.stringify(withoutMetadata(now!.body));
    const changed = new Set(applied.map((c) => c.path.split(/[.[]/)[0]));
    const reasons = action === "update" ? replacingChanges(type, [...changed], withoutMetadata(old?.body), withoutMetadata(now?.body)) : [];
    planned.set(address, {
      type,
      before: withoutMetadata(old?.body),
      after: withoutMetadata(now?.body),
      action: reasons.length > 0 ? "replace" : action,
      changed,
      reasons,
      attributes: applied,
      ignoredPaths: all.filter((c) => !applied.includes(c)).map((c) => c.path),
      metaOnly,
    });
  }
  cascade(planned);
  const changes: ResourceChange[] = [];
  const ignored: IgnoredChange[] = [];
  for (const [address, p] of planned) {
    const constructPath = (b.get(address) ?? a.get(address))!.body?.["//"]?.metadata?.path;
    if (p.action === "none") {
      if (p.ignoredPaths.length > 0) ignored.push({ address, constructPath, paths: p.ignoredPaths, reason: "lifecycle.ignore_changes" });
      else if (p.metaOnly) ignored.push({ address, constructPath, paths: [], reason: "meta-arguments only" });
      continue;
    }
    changes.push({
      stack,
      address,
      type: p.type,
      constructPath,
      action: p.action,
      // A created or deleted resource lists only its documents (jobspec, policy, user-data), in
      // full, and what identifies it (a DNS record's name, type and content).
      attributes:
        p.action === "create" || p.action === "delete"
          ? p.attributes.filter((c) => [...(TEXT_ATTRIBUTES[p.type] ?? []), ...(IDENTITY_ATTRIBUTES[p.type] ?? [])].includes(c.path))
          : p.attributes,
      replacedBecause: p.action === "replace" ? p.reasons : [],
      updatedBecause: p.action === "update" ? p.reasons : [],
      ignoredPaths: p.ignoredPaths,
      createBeforeDestroy: p.action === "replace" && p.after?.lifecycle?.create_before_destroy === true,
    });
  }
  return { changes: markRenames(changes, a, b), ignored };
}

/**
 * Pairs a deleted resource with a created one of the same type and configuration, when the
 * pairing is unambiguous: exactly one of each, and a configuration that says something (an
 * empty random_uuid matches every other one).
 */
function markRenames(
  changes: ResourceChange[],
  before: Map<string, { type: string; body: any }>,
  after: Map<string, { type: string; body: any }>,
): ResourceChange[] {
  const config = (r: { type: string; body: any } | undefined) => {
    const body = withoutMetadata(r?.body) ?? {};
    return Object.keys(body).length === 0 ? undefined : `${r?.type} ${JSON.stringify(body)}`;
  };
  const group = (action: Action, resources: Map<string, { type: string; body: any }>) => {
    const byConfig = new Map<string, string[]>();
    for (const c of changes) {
      const key = c.action === action ? config(resources.get(c.address)) : undefined;
      if (key) byConfig.set(key, [...(byConfig.get(key) ?? []), c.address]);
    }
    return byConfig;
  };
  const created = group("create", after);
  const renamed = new Map<string, string>();
  for (const [key, deleted] of group("delete", before)) {
    const targets = created.get(key);
    if (deleted.length === 1 && targets?.length === 1) {
      renamed.set(deleted[0], targets[0]);
      renamed.set(targets[0], deleted[0]);
    }
  }
  return changes.map((c) => {
    const other = renamed.get(c.address);
    if (!other) return c;
    return c.action === "create" ? { ...c, renamedFrom: other } : { ...c, renamedTo: other };
  });
}

function withoutMetadata(body: any): any {
  if (body === undefined) return undefined;
  const { ["//"]: _metadata, ...rest } = body;
  return rest;
}

function isText(type: string, path: string, value: unknown): boolean {
  return (TEXT_ATTRIBUTES[type] ?? []).includes(path) || (typeof value === "string" && value.includes("\n"));
}

function compareAttributes(type: string, before: any, after: any, masker: Masker): AttributeChange[] {
  const flatBefore = flatten(type, before ?? {});
  const flatAfter = flatten(type, after ?? {});
  const paths = [...new Set([...flatBefore.keys(), ...flatAfter.keys()])].sort();
  const changes: AttributeChange[] = [];
  for (const path of paths) {
    const x = flatBefore.get(path);
    const y = flatAfter.get(path);
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (isText(type, path, x) || isText(type, path, y)) {
      const textDiff = unifiedDiff(renderText(x, masker), renderText(y, masker));
      changes.push({ path, textDiff: textDiff || "(only sensitive values changed)" });
    } else {
      const [before, after] = showPair(x, y, masker);
      changes.push({ path, before, after });
    }
  }
  return changes;
}

/** Leaf values by path; document attributes stay whole. */
function flatten(type: string, value: any, prefix = "", out = new Map<string, unknown>()): Map<string, unknown> {
  if (prefix && (isText(type, prefix, value) || value === null || typeof value !== "object")) {
    out.set(prefix, value);
  } else if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, value);
    value.forEach((v, i) => flatten(type, v, `${prefix}[${i}]`, out));
  } else {
    const entries = Object.entries(value);
    if (prefix && entries.length === 0) out.set(prefix, value);
    for (const [k, v] of entries) flatten(type, v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

/**
 * The text as Nomad/Consul/cloud-init receive it: masked, with Terraform's `$${`/`%%{`
 * escapes undone. Interpolations that remain (`${...}`) are Terraform references,
 * resolved at apply time.
 */
function renderText(value: unknown, masker: Masker): string {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return masker.maskString(text).replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

const MAX_VALUE_CHARS = 120;

/** Context kept before the first difference of two long values. */
const CONTEXT_CHARS = 30;

/**
 * Masked JSON of an old and a new value, each cut to MAX_VALUE_CHARS; long values that share
 * a prefix start shortly before their first difference, so the change is what shows.
 */
function showPair(x: unknown, y: unknown, masker: Masker): [string | undefined, string | undefined] {
  const a = x === undefined ? undefined : JSON.stringify(masker.mask(x));
  const b = y === undefined ? undefined : JSON.stringify(masker.mask(y));
  let start = 0;
  if (a !== undefined && b !== undefined) {
    let common = 0;
    while (common < a.length && common < b.length && a[common] === b[common]) common++;
    start = Math.max(0, common - CONTEXT_CHARS);
  }
  const cut = (text: string | undefined) => {
    if (text === undefined) return undefined;
    const shown = (start > 0 ? "…" : "") + text.slice(start);
    return shown.length > MAX_VALUE_CHARS ? `${shown.slice(0, MAX_VALUE_CHARS - 1)}…` : shown;
  };
  return [cut(a), cut(b)];
}

/** Whether the review found any difference at all (resources or other blocks). */
export function hasChanges(stacks: readonly StackReview[]): boolean {
  return stacks.some((s) => s.changes.length > 0 || s.otherChanges.length > 0);
}

/** Counts of resource changes by action across stacks. */
export function summarize(stacks: readonly StackReview[]): Record<Action, number> {
  const counts: Record<Action, number> = { create: 0, update: 0, replace: 0, delete: 0 };
  for (const s of stacks) for (const c of s.changes) counts[c.action]++;
  return counts;
}
