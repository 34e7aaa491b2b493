/**
 * The differences between an imported-and-rendered jobspec and its original that do not change
 * what Nomad runs: the one list, applied to both parsed trees (hcl2json) before they are
 * compared. Each entry says why Nomad reads both forms the same.
 */
export const NORMALISATIONS = [
  "order: blocks of one type and map keys are compared regardless of order (Nomad keys groups, tasks and labeled blocks by name; hcl2json sorts map keys)",
  "a string map written as a block or as an attribute is the same (`meta { a = 1 }` and `meta = { a = 1 }`): jobspec2 decodes both (decodeAsAttribute); in free-form config (driver config, scaling policy, gateway) nothing is merged: there a block is a list of objects (hclutil.BlocksAsAttrs) and the trees must match as they are",
  "an empty tags or canary_tags list is the same as none (api Service: nil and empty tags register alike)",
  "periodic `cron = x` is `crons = [x]` (api PeriodicConfig: Spec is one entry of Specs)",
  "`$${x}` is `${x}` for a name that is not a variable: jobspec2 leaves an undefined variable as written (types.config.go UndefinedVariable)",
  "variables are bound: `var.x` in the original is its value (the importer binds variables at import)",
  "constraint and affinity shorthands are their operator form (`distinct_hosts = true` is operator \"distinct_hosts\", value \"true\"): jobspec2 hcl_conversions.go decodeConstraint/decodeAffinity",
  "a number and its decimal string are the same (`static = \"8080\"`, `PORT = 8080` in env): Nomad's decoder converts between them to the field's type (gohcl, cty convert; meta and env are map[string]string)",
  "variable, variables and locals blocks are compared through their values only (see above)",
] as const;

type Tree = unknown;

/** Constraint and affinity shorthand attributes. */
const SHORTHANDS = ["distinct_hosts", "distinct_property", "version", "semver", "regexp", "set_contains", "set_contains_any", "set_contains_all"];

/** The `job` part of a parsed jobspec with every normalisation applied. */
export function normaliseJobTree(parsed: Record<string, unknown>): Tree {
  const variables: Record<string, unknown> = {};
  for (const [name, [body]] of Object.entries((parsed.variable ?? {}) as Record<string, Record<string, unknown>[]>)) variables[name] = body.default;
  for (const body of (parsed.variables ?? []) as Record<string, unknown>[]) Object.assign(variables, body);
  return normalise(parsed.job, variables);
}

/** Blocks whose bodies are free-form: kept as Nomad reads them, one list entry per block. */
const FREE_FORM = new Set(["config", "policy", "gateway"]);

function normalise(value: Tree, variables: Record<string, unknown>, freeForm = false): Tree {
  if (typeof value === "string") return normaliseString(value, variables);
  if (Array.isArray(value)) {
    const items = value.map((v) => normalise(v, variables, freeForm));
    return !freeForm && items.length === 1 && isObject(items[0]) ? items[0] : items;
  }
  if (typeof value === "number") return value;
  if (!isObject(value)) return value;
  const out: Record<string, Tree> = {};
  for (const [key, v] of Object.entries(value)) {
    if ((key === "tags" || key === "canary_tags") && Array.isArray(v) && v.length === 0) continue;
    if (freeForm) out[key] = normalise(v, variables, true);
    else if (key === "cron") out.crons = [normalise(v, variables)];
    else if (key === "constraint" || key === "affinity") out[key] = normalise(Array.isArray(v) ? v.map(operatorForm) : operatorForm(v), variables);
    else if (FREE_FORM.has(key)) out[key] = Array.isArray(v) && v.length === 1 ? normalise(v[0], variables, true) : normalise(v, variables, true);
    else out[key] = normalise(v, variables);
  }
  return out;
}

function normaliseString(text: string, variables: Record<string, unknown>): Tree {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const whole = /^\$\{\s*var\.([A-Za-z_][\w-]*)\s*\}$/.exec(text);
  if (whole && whole[1] in variables) return normalise(variables[whole[1]], variables);
  return text
    .replace(/\$\{\s*var\.([A-Za-z_][\w-]*)\s*\}/g, (all, name: string) => (name in variables ? String(variables[name]) : all))
    .replace(/\$\$\{/g, "${");
}

function operatorForm(block: Tree): Tree {
  if (!isObject(block)) return block;
  const short = SHORTHANDS.find((name) => name in block);
  if (short === undefined) return block;
  const rest = { ...block };
  for (const name of SHORTHANDS) delete rest[name];
  if (short === "distinct_hosts") return { ...rest, operator: short, value: String(block[short]) };
  if (short === "distinct_property") return { ...rest, operator: short, attribute: block[short] };
  return { ...rest, operator: short, value: block[short] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
