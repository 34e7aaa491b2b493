import { throwIfProblems } from "../../core";
import { ConfigMap, ConfigValue } from "../model";
import { NomadJobProps } from "../nomad-job";
import { AFFINITY_SCHEMA, BlockSchema, CONSTRAINT_SCHEMA, CONTAINER_CONFIG, FieldSpec, JOB } from "../schema";
import { SourceLines } from "./source-lines";

export interface JobSpecFromHclOptions {
  /** The file name errors name. @default "jobspec.nomad.hcl" */
  readonly fileName?: string;
  /**
   * Values for the jobspec's `variable` blocks, as `nomad job run -var` would give them; a
   * Terraform variable's token (`variable.stringValue`, `variable.numberValue`) binds one to
   * Terraform, which fills it in at deploy.
   * @default each variable's default
   */
  readonly variables?: Readonly<Record<string, ConfigValue>>;
}

/**
 * Reads an HCL jobspec into the props of a `NomadJob`, with HashiCorp's own HCL parser
 * (`@cdktf/hcl2json`):
 *
 *     new NomadJob(stack, "Plex", await jobSpecFromHcl(readFileSync("plex.nomad.hcl", "utf8")));
 *
 * HCL2 variables are bound here, to their defaults or to `options.variables` (literals, or
 * Terraform variables' tokens): the typed job holds values, and a value fixed at synth shows in
 * the reviewed jobspec diff (docs/job-model.md says why not the `nomad_job` hcl2 vars). Runtime interpolations (`${NOMAD_*}`, `${attr.*}`,
 * `${node.*}`, `${meta.*}`) and Go templates are kept as Nomad receives them. Anything the
 * model cannot represent (an unknown block, `locals`, an expression over variables) is an
 * error naming the block and its line.
 */
export async function jobSpecFromHcl(hcl: string, options: JobSpecFromHclOptions = {}): Promise<NomadJobProps> {
  const fileName = options.fileName ?? "jobspec.nomad.hcl";
  // Loaded on first use: the parser is a WebAssembly module that synth alone never needs.
  const { parse } = await import("@cdktf/hcl2json");
  const tree = (await parse(fileName, hcl)) as Record<string, unknown>;
  const reader = new JobReader(fileName, new SourceLines(hcl));
  const job = reader.read(tree, options.variables ?? {});
  throwIfProblems(undefined, `cannot import ${fileName}`, reader.problems);
  return job as unknown as NomadJobProps;
}

type Body = Readonly<Record<string, unknown>>;

interface Where {
  /** e.g. `job "web" group "app" task "server"` */
  readonly path: string;
  /** The 1-based line the block starts on. */
  readonly line: number;
}

class JobReader {
  public readonly problems: string[] = [];
  private variables: Readonly<Record<string, ConfigValue>> = {};
  /** Declared without a value: reported once, at the declaration. */
  private readonly undefinedVariables = new Set<string>();

  constructor(
    private readonly fileName: string,
    private readonly source: SourceLines,
  ) {}

  public read(tree: Body, given: Readonly<Record<string, ConfigValue>>): Body | undefined {
    const top: Where = { path: "the file", line: 1 };
    this.variables = this.readVariables(tree, given, top);
    for (const key of Object.keys(tree).filter((k) => !["job", "variable", "variables"].includes(k))) {
      this.report(
        { path: key, line: this.source.find(1, key) },
        key === "locals"
          ? "locals are not imported: write each local's value where it is used, or make it a variable with a default"
          : `is not part of a jobspec; remove it`,
      );
    }
    const jobs = Object.entries((tree.job ?? {}) as Body);
    if (jobs.length !== 1 || (jobs[0][1] as unknown[]).length !== 1) {
      this.report(top, `has ${jobs.length} job blocks; a jobspec has exactly one: import each job from its own file`);
      return undefined;
    }
    const [name, [body]] = jobs[0] as [string, Body[]];
    return this.block(body, JOB, { path: `job "${name}"`, line: this.source.find(1, "job", name) }, name);
  }

  private readVariables(tree: Body, given: Readonly<Record<string, ConfigValue>>, top: Where): Record<string, ConfigValue> {
    const values: Record<string, ConfigValue> = {};
    for (const [name, [body]] of Object.entries((tree.variable ?? {}) as Record<string, Body[]>)) {
      const where = { path: `variable "${name}"`, line: this.source.find(1, "variable", name) };
      if (name in given) values[name] = given[name];
      else if (body.default !== undefined) values[name] = this.value(body.default, where) as ConfigValue;
      else {
        this.undefinedVariables.add(name);
        this.report(where, `has no default: pass its value in options.variables (${JSON.stringify(name)}: ...)`);
      }
    }
    for (const body of (tree.variables ?? []) as Body[]) {
      for (const [name, value] of Object.entries(body)) values[name] = name in given ? given[name] : (this.value(value, top) as ConfigValue);
    }
    for (const name of Object.keys(given).filter((n) => !(n in values))) {
      this.report(top, `options.variables sets "${name}", which the jobspec does not declare: remove it or fix its name`);
    }
    return values;
  }

  private report(where: Where, message: string): void {
    this.problems.push(`${this.fileName}:${where.line}: ${where.path} ${message}`);
  }

  /** A block's body as model fields, by its schema. */
  private block(written: Body, schema: BlockSchema, where: Where, label?: string): Body {
    const body = schema === CONSTRAINT_SCHEMA || schema === AFFINITY_SCHEMA ? this.operatorForm(written, schema === CONSTRAINT_SCHEMA, where) : written;
    const byHcl = new Map<string, [string, FieldSpec]>();
    for (const [field, spec] of Object.entries(schema)) {
      if (spec.kind === "taskConfig") byHcl.set("config", [field, spec]);
      else if (spec.kind !== "label" && spec.kind !== "extra") byHcl.set(spec.hcl, [field, spec]);
    }
    const out: Record<string, unknown> = {};
    const labelField = Object.keys(schema).find((f) => schema[f].kind === "label");
    if (labelField !== undefined) out[labelField] = label;
    for (const [key, raw] of Object.entries(body)) {
      const at: Where = { path: `${where.path} ${key}`, line: this.source.find(where.line, key) };
      // Nomad's older single cron is a list of one (api PeriodicConfig: Spec and Specs).
      const entry = byHcl.get(key) ?? (key === "cron" && "crons" in schema ? (["crons", schema.crons] as [string, FieldSpec]) : undefined);
      if (entry === undefined && schema === JOB && key === "task") {
        this.report(at, "directly in the job (jobspec2's shorthand for a group of that one task) is not imported: wrap it in a group block");
        continue;
      }
      if (entry === undefined && schema === JOB && key === "secret") {
        this.report(at, "directly in the job (jobspec2 gives it to every task) is not imported: move it into each task");
        continue;
      }
      if (entry === undefined) {
        this.report(at, `is not in Nomad's job specification at v2.0.5 (known here: ${[...byHcl.keys()].join(", ")}): fix the name, or remove it`);
        continue;
      }
      const [field, spec] = entry;
      // The renderer leaves out what means the same as absent (an empty tag list): so does the import.
      if (spec.kind === "attr" && spec.omitEmpty && Array.isArray(raw) && raw.length === 0) continue;
      if (key === "cron") {
        if (body.crons !== undefined) this.report(at, "is set beside crons: move it into crons");
        out.crons = [this.value(raw, at)];
        continue;
      }
      out[field] = this.field(spec, raw, at, key);
    }
    if (labelField !== undefined && schema.driver !== undefined) return this.taskConfig(out, where);
    // A group of a Connect gateway has no task of its own (Nomad injects the proxy).
    if (schema.tasks !== undefined && out.tasks === undefined) out.tasks = [];
    return out;
  }

  /**
   * A constraint or affinity in the attribute/operator/value form the model has. jobspec2 also
   * reads shorthands (hcl_conversions.go decodeConstraint, decodeAffinity): `regexp = "x"` is
   * operator "regexp" with value "x", `distinct_hosts = true` is operator "distinct_hosts" with
   * value "true", `distinct_property = "${meta.rack}"` is that operator on that attribute.
   * A later shorthand wins, as in Nomad's decoder.
   */
  private operatorForm(body: Body, constraint: boolean, where: Where): Body {
    const out: Record<string, unknown> = { ...body };
    const valued = constraint ? ["version", "semver", "regexp", "set_contains"] : ["version", "semver", "regexp", "set_contains_any", "set_contains_all", "set_contains"];
    for (const operator of valued.filter((o) => body[o] !== undefined)) {
      delete out[operator];
      Object.assign(out, { operator, value: body[operator] });
    }
    if (constraint && body.distinct_hosts !== undefined) {
      delete out.distinct_hosts;
      Object.assign(out, { operator: "distinct_hosts", value: String(body.distinct_hosts) });
    }
    if (constraint && body.distinct_property !== undefined) {
      delete out.distinct_property;
      Object.assign(out, { operator: "distinct_property", attribute: body.distinct_property });
    }
    for (const ignored of ["set_contains_all", "set_contains_any", "is_set", "is_not_set"].filter((o) => constraint && body[o] !== undefined)) {
      this.report(where, `uses the shorthand ${ignored}, which Nomad v2.0.5 parses but ignores (the constraint becomes "="): write operator = "${ignored}" with attribute and value`);
      delete out[ignored];
    }
    return out;
  }

  private field(spec: FieldSpec, raw: unknown, at: Where, key: string): unknown {
    switch (spec.kind) {
      case "attr": {
        const value = this.value(raw, at);
        // gohcl converts a numeric string to the number the field holds (cty conversion).
        return spec.number && typeof value === "string" && NUMBER.test(value) ? Number(value) : value;
      }
      case "map":
        return this.stringMap(raw, at);
      case "free":
      case "taskConfig":
        // Free-form: repeated blocks stay lists of objects, attributes keep their values.
        this.rejectLabeledBlocks(single(raw), at);
        return this.value(single(raw), at) as ConfigMap;
      case "block": {
        const items = this.blocks(raw, spec.schema(), at, key);
        if (items.length > 1) this.report(at, `is written ${items.length} times; Nomad reads one: merge them`);
        return items[0];
      }
      case "blocks":
        return this.blocks(raw, spec.schema(), at, key);
      default:
        return undefined;
    }
  }

  /** Repeated blocks: `[{...}, ...]`, or `{ label: [{...}], ... }` for labeled ones. */
  private blocks(raw: unknown, schema: BlockSchema, at: Where, key: string): Body[] {
    const labeled = Object.values(schema).some((s) => s.kind === "label");
    if (!labeled) return asList(raw).map((body, i) => this.block(body as Body, schema, { ...at, line: this.source.find(at.line, key, undefined, i) }));
    return Object.entries(raw as Record<string, Body[]>).flatMap(([label, bodies]) =>
      bodies.map((body, i) => this.block(body, schema, { path: `${at.path} "${label}"`, line: this.source.find(at.line, key, label, i) }, label)),
    );
  }

  /**
   * hcl2json writes a labeled block inside free-form config (`check "high_cpu" { ... }` in a
   * scaling policy) exactly as an object attribute of lists; Nomad reads the two differently
   * (hclutil.BlocksAsAttrs: a list of `{ high_cpu = { ... } }`). The source tells them apart.
   */
  private rejectLabeledBlocks(value: unknown, at: Where): void {
    if (Array.isArray(value)) return value.forEach((v) => this.rejectLabeledBlocks(v, at));
    if (typeof value !== "object" || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      const labels = isObjectOfBlockLists(inner) ? Object.keys(inner) : [];
      const line = labels.map((label) => this.source.labeledBlock(at.line, key, label)).find((l) => l !== undefined);
      if (line !== undefined) {
        this.report({ ...at, line }, `has a labeled block ${key} "${labels[0]}" in free-form config, which the model cannot hold: write it as ${key} { ${labels[0]} = { ... } }, the form Nomad reads it in`);
      } else this.rejectLabeledBlocks(inner, at);
    }
  }

  /** A string map, written as a block (`meta { ... }`) or an attribute (`meta = { ... }`). */
  private stringMap(raw: unknown, at: Where): Record<string, unknown> {
    const merged = Object.assign({}, ...asList(raw)) as Body;
    // Nomad decodes these maps as map[string]string: `PORT = 8080` is the string "8080".
    return Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, isScalar(v) ? String(this.value(v, at)) : this.value(v, at)]));
  }


  /** docker and podman config: the typed options by their model names, the rest in `extra`. */
  private taskConfig(task: Record<string, unknown>, where: Where): Body {
    if ((task.driver !== "docker" && task.driver !== "podman") || task.config === undefined) return task;
    const byHcl = new Map(Object.entries(CONTAINER_CONFIG).map(([field, spec]) => [(spec as { hcl: string }).hcl, field]));
    const typed: Record<string, unknown> = {};
    const extra: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(task.config as ConfigMap)) {
      const field = byHcl.get(key);
      if (field === "labels" && Array.isArray(value) && value.length === 1) typed.labels = value[0];
      else if (field !== undefined && !(Array.isArray(value) && value.some((v) => typeof v === "object"))) typed[field] = value;
      else extra[key] = value;
    }
    if (typed.image === undefined) this.report(where, "config has no image: a docker or podman task needs one");
    return { ...task, config: Object.keys(extra).length > 0 ? { ...typed, extra } : typed };
  }

  /** A value as the model holds it: strings as Nomad receives them, variables bound. */
  private value(raw: unknown, at: Where): unknown {
    if (typeof raw === "string") return this.string(raw, at);
    if (Array.isArray(raw)) return raw.map((v) => this.value(v, at));
    if (typeof raw === "object" && raw !== null) return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, this.value(v, at)]));
    return raw;
  }

  /**
   * hcl2json gives a string as its template source, escapes decoded: `$${` and `%%{` as written,
   * `${...}` unevaluated. Variables are substituted; `$${x}` becomes `${x}`, which Nomad leaves
   * as it is (jobspec2/types.config.go, UndefinedVariable) and then interpolates at runtime;
   * `%%{` becomes `%{`, which the renderer escapes again.
   */
  private string(raw: string, at: Where): unknown {
    const whole = /^\$\{\s*var\.([A-Za-z_][\w-]*)\s*\}$/.exec(raw);
    if (whole) return this.variable(whole[1], at);
    let out = "";
    for (let i = 0; i < raw.length; ) {
      const rest = raw.slice(i);
      if (rest.startsWith("$${") || rest.startsWith("%%{")) {
        const inner = raw.slice(i + 3, closingBrace(raw, i + 3));
        if (rest[0] === "$" && /\b(var|local)\./.test(inner)) {
          this.report(at, `has "$\${${inner}}", a literal that names a variable; Nomad would read it unevaluated: write the text you mean`);
        }
        out += rest.slice(1, 3);
        i += 3;
      } else if (rest.startsWith("${")) {
        const end = closingBrace(raw, i + 2);
        const inner = raw.slice(i + 2, end).trim();
        const variable = /^var\.([A-Za-z_][\w-]*)$/.exec(inner);
        if (variable) out += String(this.variable(variable[1], at));
        else if (/\b(var|local)\./.test(inner) || inner.includes('"')) {
          this.report(at, `has the expression "\${${inner}}", which cannot be imported: write its value (the model holds values, not HCL expressions)`);
        } else out += raw.slice(i, end + 1);
        i = end + 1;
      } else if (rest.startsWith("%{")) {
        this.report(at, `has the template directive "${rest.slice(0, closingBrace(raw, i + 2) - i + 1)}", which cannot be imported: write the text it produces`);
        i = closingBrace(raw, i + 2) + 1;
      } else {
        out += raw[i];
        i++;
      }
    }
    return out;
  }

  private variable(name: string, at: Where): unknown {
    if (name in this.variables) return this.variables[name];
    if (this.undefinedVariables.has(name)) return "";
    this.report(at, `uses var.${name}, which is not declared: add a variable block with a default, or pass it in options.variables`);
    return "";
  }
}

/** The index of the `}` that closes a `${` or `%{` whose content starts at `from` (nested braces counted). */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "{") depth++;
    if (text[i] === "}" && --depth === 0) return i;
  }
  return text.length;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function isObjectOfBlockLists(value: unknown): value is Record<string, unknown[]> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const lists = Object.values(value);
  return lists.length > 0 && lists.every((l) => Array.isArray(l) && l.length > 0 && l.every((b) => typeof b === "object" && b !== null && !Array.isArray(b)));
}

function asList(raw: unknown): unknown[] {
  return Array.isArray(raw) ? raw : [raw];
}

/** A block written once (`config { ... }`) or as an attribute (`config = { ... }`). */
function single(raw: unknown): unknown {
  return Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
}
