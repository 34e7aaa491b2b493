import {
  DefaultTokenResolver,
  StringConcat,
  TerraformLocal,
  TerraformOutput,
  TerraformProvider,
  TerraformStack,
  TerraformVariable,
  Tokenization,
} from "cdktf";
import { IConstruct } from "constructs";
import { NomadJob } from "../nomad-job";
import { findSecretMaterial, SECRET_KIND_DESCRIPTIONS, SecretMatch } from "./material";
import { throwIfProblems } from "../core";

/** Secret-shaped literal text at one field of one construct. */
export interface PlaintextSecret extends SecretMatch {
  /** The construct path, e.g. "lab-workloads/ItTools/Job", or the JSON address when no construct owns it. */
  readonly path: string;
  /** Where inside it, e.g. "groups[web].tasks[web].env.API_KEY" or "provisioner[0].local-exec.command". */
  readonly field: string;
}

const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** A name as a field path shows it: a secret used as a key or name would otherwise be printed whole. */
function shown(name: string): string {
  return findSecretMaterial(name).length > 0 ? `${name.slice(0, 6)}…` : name;
}

/** The label an array element is known by in a field path: its name, destination or port label. */
function label(element: unknown, index: number): string {
  if (element && typeof element === "object") {
    const e = element as Record<string, unknown>;
    for (const key of ["name", "destination", "label"]) if (typeof e[key] === "string") return shown(e[key] as string);
  }
  return String(index);
}

/**
 * Every string under `value`, with its field path and the key it is the value of. The path is
 * built only for a string with a finding: most strings have none, and naming an element or a
 * key costs a scan of its own (see `shown`).
 */
function walk(value: unknown, field: () => string, key: string | undefined, visit: (text: string, field: () => string, key?: string) => void): void {
  if (typeof value === "string") {
    visit(value, field, key);
  } else if (Array.isArray(value)) {
    value.forEach((element, i) => walk(element, () => `${field()}[${label(element, i)}]`, key, visit));
  } else if (value && typeof value === "object") {
    // A constraint or affinity on an id attribute (`${node.unique.id}`) compares with an id, not a secret.
    const attribute = (value as Record<string, unknown>).attribute;
    const idValue = typeof attribute === "string" && /\.id\}?$/.test(attribute);
    for (const [k, v] of Object.entries(value)) {
      // "//" holds cdktf's metadata (construct paths), not configuration.
      if (k === "//") continue;
      const inner = () => {
        const outer = field();
        return outer ? `${outer}.${shown(k)}` : shown(k);
      };
      walk(v, inner, idValue && k === "value" ? "id" : k, visit);
    }
  }
}

/** Secret-shaped literal text in every string under `value` (e.g. a parsed cdk.tf.json), reported at `path`. */
export function findSecretsIn(value: unknown, path: string, field = ""): PlaintextSecret[] {
  const found: PlaintextSecret[] = [];
  walk(value, () => field, undefined, (text, at, key) => {
    for (const match of findSecretMaterial(text, key)) found.push({ ...match, path, field: at() });
  });
  return found;
}

/** An empty default holds no secret (it makes the variable optional). */
function holdsValue(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  return typeof value !== "object" || Object.keys(value).length > 0;
}

/**
 * The stack's Nomad jobs, and the construct path of every top-level block cdktf writes
 * without one ("//" metadata only marks resources), by its JSON address.
 */
function contents(stack: TerraformStack): { jobs: NomadJob[]; paths: Map<string, string> } {
  const jobs: NomadJob[] = [];
  const paths = new Map<string, string>();
  const visit = (node: IConstruct) => {
    const path = node.node.path;
    if (node instanceof NomadJob) jobs.push(node);
    else if (node instanceof TerraformVariable) paths.set(`variable.${node.friendlyUniqueId}`, path);
    else if (node instanceof TerraformOutput) paths.set(`output.${node.friendlyUniqueId}`, path);
    else if (node instanceof TerraformLocal) paths.set(`locals.${node.friendlyUniqueId}`, path);
    else if (node instanceof TerraformProvider) paths.set(`provider.${node.terraformResourceType}.${node.alias ?? ""}`, path);
    for (const child of node.node.children) if (!TerraformStack.isStack(child)) visit(child);
  };
  visit(stack);
  return { jobs, paths };
}

interface Block {
  /** Its JSON address, e.g. "variable.db_password". */
  readonly address: string;
  readonly path: string;
  readonly value: unknown;
  /** The prefix of field paths inside it (sections without an owner keep their address). */
  readonly field: string;
}

/** The stack's configuration split into the blocks constructs own: `resource.<type>.<id>`, `variable.<name>`, … */
function blocks(stack: TerraformStack, json: Record<string, any>, paths: ReadonlyMap<string, string>): Block[] {
  const owned = (address: string, value: unknown, path = paths.get(address)): Block =>
    path ? { address, path, value, field: "" } : { address, path: stack.node.path, value, field: address };
  return Object.entries(json).flatMap(([section, inner]): Block[] => {
    if (section === "//" || !inner || typeof inner !== "object") return [];
    if (section === "resource" || section === "data") {
      return Object.entries<any>(inner).flatMap(([type, byId]) =>
        Object.entries<any>(byId).map(([id, value]) => owned(`${section}.${type}.${id}`, value, value?.["//"]?.metadata?.path)),
      );
    }
    if (section === "provider") {
      return Object.entries<any>(inner).flatMap(([type, configs]) =>
        (Array.isArray(configs) ? configs : [configs]).map((value) => owned(`provider.${type}.${value?.alias ?? ""}`, value)),
      );
    }
    if (section === "locals") return Object.entries(inner).map(([name, value]) => ({ ...owned(`locals.${name}`, value), field: name }));
    if (section === "variable" || section === "output") return Object.entries(inner).map(([name, value]) => owned(`${section}.${name}`, value));
    return [{ address: section, path: stack.node.path, value: inner, field: section }];
  });
}

interface ScanResult {
  readonly secrets: PlaintextSecret[];
  /** Sensitive variables with a default (cdktf writes it to cdk.tf.json whatever it looks like), as blocks. */
  readonly sensitiveDefaults: Block[];
  /** The stack's Nomad jobs by construct path. */
  readonly jobs: ReadonlyMap<string, NomadJob>;
}

/**
 * Scans a stack's synthesized configuration. A NomadJob's jobspec is judged by the job's typed
 * spec instead, so a finding names the env var, meta key or template it is in.
 */
function scan(stack: TerraformStack, json: Record<string, any>): ScanResult {
  const { jobs, paths } = contents(stack);
  const jobByResource = new Map(jobs.map((job) => [job.resource.node.path, job]));
  const secrets: PlaintextSecret[] = [];
  const sensitiveDefaults: Block[] = [];
  for (const block of blocks(stack, json, paths)) {
    const value = block.value as Record<string, any>;
    if (block.address.startsWith("variable.") && value?.sensitive === true && holdsValue(value.default)) {
      sensitiveDefaults.push(block);
      continue;
    }
    const job = jobByResource.get(block.path);
    if (job) {
      const spec = Tokenization.resolve(job.spec, { scope: stack, preparing: false, resolver: RESOLVER });
      secrets.push(...findSecretsIn(spec, job.node.path), ...findSecretsIn({ ...value, jobspec: undefined }, block.path));
    } else {
      secrets.push(...findSecretsIn(value, block.path, block.field));
    }
  }
  return { secrets, sensitiveDefaults, jobs: new Map(jobs.map((job) => [job.node.path, job])) };
}

const NOMAD_VARIABLE_FIX = (job: NomadJob) =>
  `keep the value in a Nomad variable (NomadVariable) and read it at runtime with NomadService's secrets or a template ` +
  `{{ with nomadVar "nomad/jobs/${job.jobId}" }}…{{ end }}: a jobspec is stored in Terraform state and shown to everyone who may read the job`;
const REFERENCE_FIX =
  "pass a reference to a sensitive value instead: a sensitive TerraformVariable without a default (set with TF_VAR_<name>) " +
  "or a resource attribute such as random_password.result; cdk.tf.json and the Terraform state would carry the literal";

function problemsOf({ secrets, sensitiveDefaults, jobs }: ScanResult): string[] {
  return [
    ...secrets.map((secret) => {
      const job = jobs.get(secret.path);
      const fix = job ? NOMAD_VARIABLE_FIX(job) : REFERENCE_FIX;
      return `${secret.path}: ${secret.field} holds ${SECRET_KIND_DESCRIPTIONS[secret.kind]} ("${secret.excerpt}") in plain text; ${fix}`;
    }),
    ...sensitiveDefaults.map(({ address, path }) => {
      const name = address.slice("variable.".length);
      return `${path}: the default of sensitive variable "${name}" is written to cdk.tf.json in plain text; remove the default and set TF_VAR_${name} at deploy time`;
    }),
  ];
}

/** A guarded stack's own toTerraform, before the scan wraps it. */
const unscanned = new WeakMap<TerraformStack, () => any>();

function configOf(stack: TerraformStack): Record<string, any> {
  return (unscanned.get(stack) ?? (() => stack.toTerraform()))();
}

/**
 * Secret-shaped literal text anywhere in what `stack` synthesizes: every resource, data source,
 * provider, backend, variable default, output and local, user-data, jobspecs and provisioner
 * commands among them. References (`${var.x}`, `${random_password.p.result}`) are not literal;
 * string literals inside expressions (`${lower("…")}`) are.
 */
export function findPlaintextSecrets(stack: TerraformStack): PlaintextSecret[] {
  return scan(stack, configOf(stack)).secrets;
}

/**
 * Every plaintext secret of the stack as a synth error (construct path, field, what it looks
 * like, the fix), and every sensitive variable with a default.
 */
export function plaintextSecretProblems(stack: TerraformStack): string[] {
  return problemsOf(scan(stack, configOf(stack)));
}

/**
 * Makes synth of `stack` fail when it would write a secret in plain text (see
 * findPlaintextSecrets), listing every finding at once, before cdk.tf.json is written.
 * It judges the configuration synth renders anyway, so it costs only the scan of its strings
 * (with cdktf's HCL output, one more rendering). Idempotent.
 */
export function rejectPlaintextSecrets(stack: TerraformStack): void {
  if (unscanned.has(stack)) return;
  const render = stack.toTerraform.bind(stack);
  const renderHcl = stack.toHclTerraform.bind(stack);
  unscanned.set(stack, render);
  const judged = (json: Record<string, any>) => {
    const problems = problemsOf(scan(stack, json));
    throwIfProblems(stack, "secrets in plain text would be written to cdk.tf.json", problems);
    return json;
  };
  // cdktf's synthesizer writes what these return; instance overrides see exactly that.
  stack.toTerraform = () => judged(render());
  stack.toHclTerraform = () => {
    judged(render());
    return renderHcl();
  };
}
