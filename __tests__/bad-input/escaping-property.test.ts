import { App, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { Construct } from "constructs";
import { NomadAclPolicy, NomadAclRole, NomadAclToken, NomadJob, NomadJobProps, NomadService, NomadServiceProps, NomadVariable } from "../../constructs";
import { NomadProvider } from "../../constructs/providers";
import { resourcesOf, StackJson } from "../support/synth";
import { blockOf, CLEAR_ERROR, evaluateTerraformBatch, hostileString, isTerraformText, labelOf, NomadHclBody, parseJobspec, readJobspecs, seededRandom } from "./support-h13a";

/**
 * Issue 13's property: random hostile strings through every string prop of NomadJob,
 * NomadService, the ACL constructs and NomadVariable, as literals and as Terraform variables
 * (values known only at apply time). Each either fails synth with a clear error or comes out
 * byte-equal at the consumer: Terraform evaluates the synthesized expression (one terraform
 * run for all cases), HashiCorp's HCL parser reads the jobspec (hcl2json), and the value is
 * read as Nomad's parser reads it (HCL's Go evaluator, nomad-hcl/main.go).
 */
const STRINGS = 24;

type Mode = "literal" | "variable";

/** One string prop: how to set it, and where to read it back. */
interface JobSlot {
  readonly name: string;
  readonly props: (value: string, id: string) => NomadJobProps;
  /** The value as Nomad's parser reads it from the evaluated jobspec. */
  readonly read: (file: NomadHclBody) => string;
  /** What the consumer must read for `value`. @default the value itself */
  readonly expected?: (value: string) => string;
}

const task = (over: Record<string, unknown> = {}) => ({ name: "t", driver: "docker", config: { image: "nginx:1.27" }, ...over });
const group = (over: Record<string, unknown> = {}) => ({ name: "g", tasks: [task()], ...over });
const jobOf = (file: NomadHclBody) => blockOf(file, "job");
const groupOf = (file: NomadHclBody) => blockOf(jobOf(file), "group");
const taskOf = (file: NomadHclBody) => blockOf(groupOf(file), "task");

const JOB_SLOTS: readonly JobSlot[] = [
  { name: "job name", props: (v) => ({ name: v, groups: [group()] as any }), read: (f) => labelOf(f, "job") },
  { name: "group name", props: (v, id) => ({ name: id, groups: [group({ name: v })] as any }), read: (f) => labelOf(jobOf(f), "group") },
  { name: "task name", props: (v, id) => ({ name: id, groups: [group({ tasks: [task({ name: v })] })] as any }), read: (f) => labelOf(groupOf(f), "task") },
  { name: "namespace", props: (v, id) => ({ name: id, namespace: v, groups: [group()] as any }), read: (f) => jobOf(f).attrs.namespace },
  { name: "datacenter", props: (v, id) => ({ name: id, datacenters: [v], groups: [group()] as any }), read: (f) => jobOf(f).attrs.datacenters[0] },
  { name: "job meta value", props: (v, id) => ({ name: id, meta: { key: v }, groups: [group()] as any }), read: (f) => blockOf(jobOf(f), "meta").attrs.key },
  { name: "env value", props: (v, id) => ({ name: id, groups: [group({ tasks: [task({ env: { KEY: v } })] })] as any }), read: (f) => blockOf(taskOf(f), "env").attrs.KEY },
  {
    name: "env key",
    props: (v, id) => ({ name: id, groups: [group({ tasks: [task({ env: { [v]: "x" } })] })] as any }),
    read: (f) => Object.keys(taskOf(f).attrs.env ?? blockOf(taskOf(f), "env").attrs)[0],
  },
  { name: "image", props: (v, id) => ({ name: id, groups: [group({ tasks: [task({ config: { image: v } })] })] as any }), read: (f) => blockOf(taskOf(f), "config").attrs.image },
  {
    name: "args item",
    props: (v, id) => ({ name: id, groups: [group({ tasks: [task({ config: { image: "x", args: [v] } })] })] as any }),
    read: (f) => blockOf(taskOf(f), "config").attrs.args[0],
  },
  {
    name: "template data",
    props: (v, id) => ({ name: id, groups: [group({ tasks: [task({ templates: [{ destination: "local/x", data: v }] })] })] as any }),
    read: (f) => blockOf(taskOf(f), "template").attrs.data,
  },
  {
    name: "template data (a heredoc)",
    props: (v, id) => ({ name: id, groups: [group({ tasks: [task({ templates: [{ destination: "local/x", data: `line\n${v}\n` }] })] })] as any }),
    read: (f) => blockOf(taskOf(f), "template").attrs.data,
    expected: (v) => `line\n${v}\n`,
  },
  {
    name: "template destination",
    props: (v, id) => ({ name: id, groups: [group({ tasks: [task({ templates: [{ destination: v, data: "x" }] })] })] as any }),
    read: (f) => blockOf(taskOf(f), "template").attrs.destination,
  },
  {
    name: "constraint value",
    props: (v, id) => ({ name: id, constraints: [{ attribute: "${attr.kernel.name}", value: v }], groups: [group()] as any }),
    read: (f) => blockOf(jobOf(f), "constraint").attrs.value,
  },
  {
    name: "service tag",
    props: (v, id) => ({ name: id, groups: [group({ services: [{ name: "svc", provider: "nomad", tags: [v] }] })] as any }),
    read: (f) => blockOf(groupOf(f), "service").attrs.tags[0],
  },
  {
    name: "service name",
    props: (v, id) => ({ name: id, groups: [group({ services: [{ name: v, provider: "nomad" }] })] as any }),
    read: (f) => blockOf(groupOf(f), "service").attrs.name,
  },
];

/** One string prop of a construct whose strings go to Terraform only: the resource attribute must evaluate to it. */
interface TerraformSlot {
  readonly name: string;
  readonly build: (scope: Construct, id: string, value: string) => void;
  /** The attribute's expression in the synthesized stack. */
  readonly read: (stack: StackJson, id: string) => string;
}

/** A resource of the construct with this id (Testing.synth's logical ids: the construct path joined by "_"). */
const byPath = (stack: StackJson, type: string, id: string) =>
  Object.entries<any>(resourcesOf(stack, type)).find(([key]) => key === id || key.startsWith(`${id}_`))?.[1];

const TERRAFORM_SLOTS: readonly TerraformSlot[] = [
  {
    name: "NomadAclPolicy description",
    build: (scope, id, v) => new NomadAclPolicy(scope, id, { policyName: id, description: v, rules: { agent: "read" } }),
    read: (stack, id) => byPath(stack, "nomad_acl_policy", id).description,
  },
  {
    name: "NomadAclRole description",
    build: (scope, id, v) =>
      new NomadAclRole(scope, id, { roleName: id, description: v, policies: [new NomadAclPolicy(scope, `${id}p`, { policyName: `${id}p`, rules: { agent: "read" } })] }),
    read: (stack, id) => byPath(stack, "nomad_acl_role", id).description,
  },
  {
    name: "NomadAclToken tokenName",
    build: (scope, id, v) =>
      new NomadAclToken(scope, id, { tokenName: v, policies: [new NomadAclPolicy(scope, `${id}p`, { policyName: `${id}p`, rules: { agent: "read" } })] }),
    read: (stack, id) => byPath(stack, "nomad_acl_token", id).name,
  },
  {
    name: "NomadVariable item name",
    build: (scope, id, v) =>
      new NomadVariable(scope, id, { path: `nomad/jobs/${id}`, items: { [v]: new TerraformVariable(scope, `${id}s`, { type: "string", sensitive: true }) } }),
    read: (stack, id) => Object.keys(byPath(stack, "nomad_variable", id).items)[0],
  },
];

/** NomadService string props, read back from its job's jobspec. */
const SERVICE_SLOTS: readonly { readonly name: string; readonly props: (v: string) => Partial<NomadServiceProps>; readonly read: (file: NomadHclBody) => string }[] = [
  { name: "NomadService image", props: (v) => ({ image: v }), read: (f) => blockOf(taskOf(f), "config").attrs.image },
  { name: "NomadService tags", props: (v) => ({ tags: [v] }), read: (f) => blockOf(groupOf(f), "service").attrs.tags[0] },
  { name: "NomadService env", props: (v) => ({ env: { KEY: v } }), read: (f) => blockOf(taskOf(f), "env").attrs.KEY },
  { name: "NomadService args", props: (v) => ({ args: [v] }), read: (f) => blockOf(taskOf(f), "config").attrs.args[0] },
  { name: "NomadService command", props: (v) => ({ command: v }), read: (f) => blockOf(taskOf(f), "config").attrs.command },
];

interface Case {
  readonly slot: string;
  readonly mode: Mode;
  readonly value: string;
  readonly outcome: "refused" | "synthesized";
  readonly error?: string;
  readonly id: string;
  /** What the consumer must read. */
  readonly expected: string;
  /** The case's own stack, when its construct was built. */
  readonly stack?: TerraformStack;
}

const random = seededRandom(13);
const values = Array.from({ length: STRINGS }, () => hostileString(random));
const cases: Case[] = [];
const variables: Record<string, string> = {};
/** Reads a jobspec case's value back from the parsed file (Terraform-only cases have none). */
const readers = new Map<string, (file: NomadHclBody) => string>();

/**
 * Builds the case's construct in a stack (and App) of its own: a refused construct stays
 * half-built in its tree, and no other case's construct is built beside it.
 */
function attempt(slot: string, mode: Mode, value: string, id: string, build: (scope: TerraformStack) => void, expected = value): void {
  const stack = new TerraformStack(new App(), "property");
  new NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" });
  try {
    build(stack);
  } catch (e) {
    cases.push({ slot, mode, value, outcome: "refused", error: (e as Error).message, id, expected });
    return;
  }
  cases.push({ slot, mode, value, outcome: "synthesized", id, expected, stack });
}

let n = 0;
for (const value of values) {
  for (const mode of ["literal", "variable"] as const) {
    if (mode === "variable" && !isTerraformText(value)) continue;
    const input = (scope: TerraformStack, id: string) => {
      if (mode === "literal") return value;
      variables[`${id}v`] = value;
      return new TerraformVariable(scope, `${id}v`, { type: "string" }).stringValue;
    };
    for (const slot of JOB_SLOTS) {
      const id = `j${n++}`;
      attempt(slot.name, mode, value, id, (scope) => new NomadJob(scope, id, slot.props(input(scope, id), id)), slot.expected?.(value));
      readers.set(id, slot.read);
    }
    for (const slot of SERVICE_SLOTS) {
      const id = `s${n++}`;
      attempt(slot.name, mode, value, id, (scope) => new NomadService(scope, id, { image: "nginx:1.27", jobName: id, ...slot.props(input(scope, id)) }));
      readers.set(id, slot.read);
    }
    for (const slot of TERRAFORM_SLOTS) {
      const id = `a${n++}`;
      attempt(slot.name, mode, value, id, (scope) => slot.build(scope, id, input(scope, id)));
    }
  }
}

describe("random hostile strings through every string prop (seeded, deterministic)", () => {
  it("each refused input fails with a clear error naming the construct", () => {
    const refused = cases.filter((c) => c.outcome === "refused");
    for (const c of refused) expect({ slot: c.slot, value: c.value, error: c.error }).toEqual({ slot: c.slot, value: c.value, error: expect.stringMatching(CLEAR_ERROR) });
    // The literal Terraform-only props hold any text Terraform can carry.
    expect(refused.filter((c) => c.mode === "variable")).toEqual([]);
    expect(refused.length).toBeGreaterThan(50);
  });

  it("each accepted input reaches its consumer byte-equal, after terraform and HCL read it", async () => {
    const synthesized = cases.filter((c) => c.outcome === "synthesized");
    const expressions = synthesized.map((c) => expressionOf(JSON.parse(Testing.synth(c.stack!)), c));
    const evaluated = evaluateTerraformBatch(expressions, variables);
    const jobspecs = synthesized.map((c, i) => (readers.has(c.id) ? evaluated[i] : ""));
    const files = readJobspecs(jobspecs);
    const mismatches: unknown[] = [];
    for (const [i, c] of synthesized.entries()) {
      const reader = readers.get(c.id);
      const file = files[i];
      try {
        // hcl2json (HashiCorp's parser as wasm) must take the jobspec too.
        if (reader) await parseJobspec(jobspecs[i]);
        if ("error" in file && reader) throw new Error(file.error);
        const read = reader && "body" in file ? reader(file.body) : evaluated[i];
        if (read !== c.expected) mismatches.push({ slot: c.slot, mode: c.mode, value: c.value, read });
      } catch (e) {
        mismatches.push({ slot: c.slot, mode: c.mode, value: c.value, error: (e as Error).message.slice(0, 400) });
      }
    }
    expect(mismatches).toEqual([]);
    // The suite proves something only if both outcomes happen in both modes.
    expect(synthesized.filter((c) => c.mode === "variable").length).toBeGreaterThan(50);
    expect(synthesized.filter((c) => c.mode === "literal").length).toBeGreaterThan(50);
  });
});

/** The Terraform expression that carries the case's value: a jobspec, or the attribute of an ACL resource. */
function expressionOf(json: StackJson, c: Case): string {
  if (c.id.startsWith("a")) {
    const slot = TERRAFORM_SLOTS.find((s) => s.name === c.slot)!;
    return slot.read(json, c.id);
  }
  return byPath(json, "nomad_job", c.id).jobspec;
}
