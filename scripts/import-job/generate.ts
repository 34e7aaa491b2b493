import { NomadJobProps } from "../../constructs";
import { BlockSchema, CONTAINER_CONFIG, FieldSpec, JOB } from "../../constructs/nomad-job/schema";

/**
 * One job as a TypeScript module on the typed API: a function named after the job that takes a
 * scope and returns the `NomadJob`, also the default export. The layout is a function of the
 * props alone (fields in the model's schema order, free-form maps in their own order, two-space
 * indents, short scalar lists on one line), so importing the jobspec this module synthesizes
 * gives the same file again.
 */
export function jobModule(props: NomadJobProps, options: { readonly source: string; readonly importFrom?: string }): string {
  const fn = functionName(props.name);
  return [
    `// Imported by \`hashilab import-job\` from ${options.source.replace(/[\r\n\u2028\u2029]/g, " ")}; this file is now the job's source.`,
    `import { Construct } from "constructs";`,
    `import { NomadJob } from ${JSON.stringify(options.importFrom ?? "hashilab")};`,
    ``,
    `export function ${fn}(scope: Construct): NomadJob {`,
    `  return new NomadJob(scope, ${JSON.stringify(constructId(props.name))}, ${printModel(props, JOB, "  ")});`,
    `}`,
    ``,
    `export default ${fn};`,
    ``,
  ].join("\n");
}

/** The file a job's module is written to: its function name, so two jobs never share one. */
export function moduleFileName(props: NomadJobProps): string {
  return `${functionName(props.name)}.ts`;
}

const RESERVED = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await".split(
    " ",
  ),
);

/** "node-exporter" → "nodeExporter"; a name that is no identifier then gets a "job" prefix. */
function functionName(jobName: string): string {
  const words = jobName.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const camel = words.map((w, i) => (i === 0 ? w[0].toLowerCase() + w.slice(1) : w[0].toUpperCase() + w.slice(1))).join("");
  return /^[A-Za-z_]/.test(camel) && !RESERVED.has(camel) ? camel : `job${camel[0]?.toUpperCase() ?? ""}${camel.slice(1)}`;
}

function constructId(jobName: string): string {
  const fn = functionName(jobName);
  return fn[0].toUpperCase() + fn.slice(1);
}

/** docker/podman config: the typed options, then the free-form rest. */
const CONTAINER_CONFIG_WITH_EXTRA: BlockSchema = { ...CONTAINER_CONFIG, extra: { kind: "free", hcl: "extra" } };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const INLINE_WIDTH = 80;

/** A model object: its fields in schema order, nested model objects by their schemas. */
function printModel(value: object, schema: BlockSchema, indent: string): string {
  const fields = value as Readonly<Record<string, unknown>>;
  const order = Object.keys(schema).filter((f) => fields[f] !== undefined);
  const lines = order.map((field) => `${indent}  ${key(field)}: ${printField(schema[field], fields[field], value, indent + "  ")},`);
  return lines.length === 0 ? "{}" : `{\n${lines.join("\n")}\n${indent}}`;
}

function printField(spec: FieldSpec, value: unknown, owner: object, indent: string): string {
  switch (spec.kind) {
    case "block":
      return printModel(value as object, spec.schema(), indent);
    case "blocks":
      return printList((value as object[]).map((item) => printModel(item, spec.schema(), indent + "  ")), indent);
    case "taskConfig": {
      const driver = (owner as { driver?: string }).driver;
      return driver === "docker" || driver === "podman" ? printModel(value as object, CONTAINER_CONFIG_WITH_EXTRA, indent) : printValue(value, indent);
    }
    default:
      return printValue(value, indent);
  }
}

/** A free-form value (a scalar, a list, a map in its own order). */
function printValue(value: unknown, indent: string): string {
  if (typeof value === "string") return printString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return printList(value.map((v) => printValue(v, indent + "  ")), indent);
  const entries = Object.entries(value as object);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${indent}  ${key(k)}: ${printValue(v, indent + "  ")},`).join("\n")}\n${indent}}`;
}

function printList(items: readonly string[], indent: string): string {
  const inline = `[${items.join(", ")}]`;
  if (items.every((i) => !i.includes("\n")) && inline.length <= INLINE_WIDTH) return inline;
  return `[\n${items.map((i) => `${indent}  ${i},`).join("\n")}\n${indent}]`;
}

/**
 * Multi-line text as a template literal (it reads as the file it renders); the rest, and text
 * with a carriage return (which a template literal turns into a newline), JSON-quoted.
 */
function printString(value: string): string {
  if (!value.includes("\n") || value.includes("\r")) return JSON.stringify(value);
  return "`" + value.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${") + "`";
}

function key(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

