import { App, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { ClusterFacts, declareClusterFacts } from "../constructs/cluster-facts";
import type { Task, TaskGroup } from "../constructs/nomad-job";
import { NomadProvider } from "../constructs/providers";
import { parseHcl } from "./support/hcl";
import { resourcesOf, StackJson, synthApp } from "./support/synth";
import { evaluateWithTerraform } from "./support/terraform";

/** Facts like the lab's: three clients with docker/podman/exec, private and public host networks. */
export const LAB_LIKE_FACTS: ClusterFacts = {
  namespaces: ["default", "dns", "ingress"],
  clientCount: 3,
  drivers: ["docker", "podman", "exec"],
  hostNetworks: ["private", "public"],
  datacenter: "lab01",
  region: "global",
};

/** A stack with a Nomad provider (and, when given, cluster facts), for building jobs in. */
/** A docker task "web" publishing port "http"; `extra` replaces any field. */
export const webTask = (extra: Partial<Task> = {}): Task =>
  ({ name: "web", driver: "docker", config: { image: "nginx:1.27", ports: ["http"] }, ...extra }) as Task;

/** A bridge-network group "web" with port "http" and a webTask; `extra` replaces any field. */
export const webGroup = (extra: Partial<TaskGroup> = {}): TaskGroup => ({
  name: "web",
  network: { mode: "bridge", ports: [{ label: "http", to: 80 }] },
  tasks: [webTask()],
  ...extra,
});

export function jobStack(facts?: ClusterFacts): TerraformStack {
  const stack = new TerraformStack(new App(), "test");
  return prepare(stack, facts);
}

function prepare(stack: TerraformStack, facts?: ClusterFacts): TerraformStack {
  new NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" });
  if (facts) declareClusterFacts(stack, facts);
  return stack;
}

/** Synthesizes one stack built by `build`; returns its JSON. */
export function synthJobStack(build: (scope: Construct) => void, facts?: ClusterFacts): StackJson {
  const stacks = synthApp((app) => build(prepare(new TerraformStack(app, "test"), facts)));
  return stacks.test;
}

/** The jobspec string of every nomad_job in a stack, by logical id, as written to cdk.tf.json. */
export function jobspecsOf(stack: StackJson): Record<string, string> {
  return Object.fromEntries(Object.entries(resourcesOf(stack, "nomad_job")).map(([id, job]) => [id, job.jobspec as string]));
}

/**
 * What Nomad receives: the stack's jobspecs evaluated by the real terraform binary. Variables
 * with a (non-sensitive) default keep it; references to other resources, remote state or
 * variables without a usable default cannot be evaluated offline, so each becomes a
 * placeholder string ("ref-<n>").
 */
export function evaluateJobspecs(stack: StackJson): Record<string, string> {
  const variables = Object.fromEntries(
    Object.entries<any>(stack.variable ?? {}).filter(([, v]) => v.default !== undefined && !v.sensitive),
  );
  const stubs: string[] = [];
  const outputs = Object.fromEntries(
    Object.entries(jobspecsOf(stack)).map(([id, jobspec]) => [outputName(id), stubReferences(jobspec, Object.keys(variables), stubs)]),
  );
  const extra: Record<string, unknown> = {};
  if (Object.keys(variables).length > 0) extra.variable = variables;
  if (stubs.length > 0) extra.locals = Object.fromEntries(stubs.map((_, i) => [`ref_${i}`, `ref-${i}`]));
  const values = evaluateWithTerraform(outputs, extra);
  return Object.fromEntries(Object.keys(jobspecsOf(stack)).map((id) => [id, values[outputName(id)]]));
}

function outputName(logicalId: string): string {
  return `jobspec_${logicalId.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/** Replaces every Terraform interpolation but `var.<kept>` with a local (escapes `$${`/`%%{` stay). */
function stubReferences(template: string, keptVariables: readonly string[], stubs: string[]): string {
  let out = "";
  for (let i = 0; i < template.length; ) {
    if (template.startsWith("$${", i) || template.startsWith("%%{", i)) {
      out += template.slice(i, i + 3);
      i += 3;
    } else if (template.startsWith("${", i)) {
      const end = closingBrace(template, i + 2);
      const expression = template.slice(i + 2, end);
      // Each reference but a kept variable becomes a local; functions around them (the escaping
      // replace() of a token in a jobspec string) stay and run.
      const stubbed = expression.replace(REFERENCE, (ref) =>
        keptVariables.some((v) => ref === `var.${v}`) ? ref : `local.ref_${stubs.push(ref) - 1}`,
      );
      out += `\${${stubbed}}`;
      i = end + 1;
    } else {
      out += template[i++];
    }
  }
  return out;
}

/** A Terraform reference (`var.x`, `random_uuid.token.result`, `data.a.b.c`); string literals in the expressions here hold no dots. */
const REFERENCE = /\b[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)+/g;

function closingBrace(text: string, from: number): number {
  let depth = 1;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  throw new Error(`unterminated interpolation in ${text.slice(from - 2, from + 40)}`);
}

/** Parses a jobspec with HashiCorp's HCL parser; returns the `job` object. */
export async function parseJob(hcl: string): Promise<Record<string, any>> {
  return (await parseHcl(hcl, "job.nomad.hcl")).job;
}
