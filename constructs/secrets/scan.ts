import { DefaultTokenResolver, StringConcat, TerraformElement, TerraformStack, TerraformVariable, Tokenization } from "cdktf";
import { IConstruct } from "constructs";
import { NomadJob } from "../nomad-job/nomad-job";
import { findSecretMaterial, SECRET_KIND_DESCRIPTIONS, SecretMatch } from "./material";

/** Secret-shaped literal text at one field of one construct. */
export interface PlaintextSecret extends SecretMatch {
  /** The construct path, e.g. "lab-workloads/ItTools/Job". */
  readonly path: string;
  /** Where inside it, e.g. "groups[web].tasks[web].env.API_KEY" or "provisioner[0].local-exec.command". */
  readonly field: string;
}

const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** `value` as cdktf writes it into `stack`'s JSON (what TerraformStack.toTerraform does per element). */
function resolveIn(stack: TerraformStack, value: unknown): any {
  return Tokenization.resolve(value, { scope: stack, preparing: false, resolver: RESOLVER });
}

/** The label an array element is known by in a field path: its name, destination or port label. */
function label(element: unknown, index: number): string {
  if (element && typeof element === "object") {
    const e = element as Record<string, unknown>;
    for (const key of ["name", "destination", "label"]) if (typeof e[key] === "string") return e[key] as string;
  }
  return String(index);
}

/** Every string under `value`, with its field path and the key it is the value of. */
function walk(value: unknown, field: string, key: string | undefined, visit: (text: string, field: string, key?: string) => void): void {
  if (typeof value === "string") {
    visit(value, field, key);
  } else if (Array.isArray(value)) {
    value.forEach((element, i) => walk(element, `${field}[${label(element, i)}]`, key, visit));
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      // "//" holds cdktf's metadata (construct paths), not configuration.
      if (k !== "//") walk(v, field ? `${field}.${k}` : k, k, visit);
    }
  }
}

/** Secret-shaped literal text in every string under `value` (e.g. a parsed cdk.tf.json), reported at `path`. */
export function findSecretsIn(value: unknown, path: string, field = ""): PlaintextSecret[] {
  const found: PlaintextSecret[] = [];
  walk(value, field, undefined, (text, at, key) => {
    for (const match of findSecretMaterial(text, key)) found.push({ ...match, path, field: at });
  });
  return found;
}

/**
 * The configuration bodies in an element's JSON, with the field prefix a finding is reported
 * under: the body of `resource.<type>.<id>`, `variable.<name>`, `provider.<name>[i]`, `locals`
 * as is; other sections (`terraform`: backend, required_providers) under their name.
 */
function bodies(json: Record<string, any>): { field: string; value: any }[] {
  return Object.entries(json).flatMap(([section, inner]) => {
    if (!inner || typeof inner !== "object") return [{ field: section, value: inner }];
    if (section === "resource" || section === "data") {
      return Object.values<any>(inner).flatMap((byId) => Object.values<any>(byId).map((value) => ({ field: "", value })));
    }
    if (["variable", "output", "module", "provider"].includes(section)) {
      return Object.values<any>(inner).flatMap((value) => (Array.isArray(value) ? value : [value]).map((v) => ({ field: "", value: v })));
    }
    return [{ field: section === "locals" ? "" : section, value: inner }];
  });
}

/** The stack's Terraform elements (not those of nested stacks) and its Nomad jobs. */
function contents(stack: TerraformStack): { elements: TerraformElement[]; jobs: NomadJob[] } {
  const elements: TerraformElement[] = [];
  const jobs: NomadJob[] = [];
  const visit = (node: IConstruct) => {
    if (TerraformElement.isTerraformElement(node)) elements.push(node);
    if (node instanceof NomadJob) jobs.push(node);
    for (const child of node.node.children) if (!TerraformStack.isStack(child)) visit(child);
  };
  visit(stack);
  return { elements, jobs };
}

/** An empty default holds no secret (it makes the variable optional). */
function holdsValue(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  return typeof value !== "object" || Object.keys(value).length > 0;
}

interface ScanResult {
  readonly secrets: PlaintextSecret[];
  /** Sensitive variables with a default: cdktf writes it to cdk.tf.json whatever it looks like. */
  readonly sensitiveDefaults: TerraformVariable[];
  readonly jobs: ReadonlyMap<string, NomadJob>;
}

function scan(stack: TerraformStack): ScanResult {
  const { elements, jobs } = contents(stack);
  const jobResources = new Set<IConstruct>(jobs.map((job) => job.resource));
  const secrets: PlaintextSecret[] = jobs.flatMap((job) => findSecretsIn(resolveIn(stack, job.spec), job.node.path));
  const sensitiveDefaults: TerraformVariable[] = [];
  for (const element of elements) {
    for (const { field, value } of bodies(resolveIn(stack, element.toTerraform()) ?? {})) {
      if (element instanceof TerraformVariable && value?.sensitive === true && holdsValue(value.default)) {
        sensitiveDefaults.push(element);
        continue;
      }
      // A job's jobspec is its spec rendered: judged above, by field.
      const scanned = jobResources.has(element) && value && typeof value === "object" ? { ...value, jobspec: undefined } : value;
      secrets.push(...findSecretsIn(scanned, element.node.path, field));
    }
  }
  return { secrets, sensitiveDefaults, jobs: new Map(jobs.map((job) => [job.node.path, job])) };
}

/**
 * Secret-shaped literal text anywhere in what `stack` synthesizes: every resource, data
 * source, provider, backend, variable default, output and local, with user-data, jobspecs and
 * provisioner commands among them. A Nomad job is judged by its typed spec, so a finding names
 * the env var, meta key or template it is in. References (`${var.x}`, `${random_password.p.result}`)
 * are not literal; string literals inside expressions (`${lower("…")}`) are.
 */
export function findPlaintextSecrets(stack: TerraformStack): PlaintextSecret[] {
  return scan(stack).secrets;
}

const NOMAD_VARIABLE_FIX = (job: NomadJob) =>
  `keep the value in a Nomad variable (NomadVariable) and read it at runtime with NomadService's secrets or a template ` +
  `{{ with nomadVar "nomad/jobs/${job.jobId}" }}…{{ end }}: a jobspec is stored in Terraform state and shown to everyone who may read the job`;
const REFERENCE_FIX =
  "pass a reference to a sensitive value instead: a sensitive TerraformVariable without a default (set with TF_VAR_<name>) " +
  "or a resource attribute such as random_password.result; cdk.tf.json and the Terraform state would carry the literal";

/**
 * Every plaintext secret of the stack as a synth error (construct path, field, what it looks
 * like, the fix), and every sensitive variable with a default.
 */
export function plaintextSecretProblems(stack: TerraformStack): string[] {
  const { secrets, sensitiveDefaults, jobs } = scan(stack);
  return [
    ...secrets.map((secret) => {
      const job = jobs.get(secret.path);
      const fix = job ? NOMAD_VARIABLE_FIX(job) : REFERENCE_FIX;
      return `${secret.path}: ${secret.field} holds ${SECRET_KIND_DESCRIPTIONS[secret.kind]} ("${secret.excerpt}") in plain text; ${fix}`;
    }),
    ...sensitiveDefaults.map((variable) => {
      const id = variable.friendlyUniqueId;
      return `${variable.node.path}: default of sensitive variable "${id}" is written to cdk.tf.json in plain text; remove the default and set TF_VAR_${id} at deploy time`;
    }),
  ];
}

const guarded = new WeakSet<TerraformStack>();

/**
 * Makes synth of `stack` fail when it would write a secret in plain text (see
 * findPlaintextSecrets), listing every finding at once. Idempotent. It costs about one extra
 * rendering of the stack's configuration at synth.
 */
export function rejectPlaintextSecrets(stack: TerraformStack): void {
  if (guarded.has(stack)) return;
  guarded.add(stack);
  stack.node.addValidation({ validate: () => plaintextSecretProblems(stack) });
}
