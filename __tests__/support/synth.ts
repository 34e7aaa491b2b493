import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { EnvironmentConfig } from "../../environments";
import { addEnvironment, EnvironmentStacks } from "../../stacks/environment";

/** A synthesized stack: its parsed cdk.tf.json. */
export type StackJson = Record<string, any>;

/** Synthesizes whatever `build` adds to a fresh App in a temp dir; returns each stack's JSON by name. */
export function synthApp(build: (app: App) => void): Record<string, StackJson> {
  const outdir = mkdtempSync(join(tmpdir(), "hashilab-synth-"));
  try {
    const app = new App({ outdir });
    build(app);
    app.synth();
    const stacks: Record<string, StackJson> = {};
    for (const name of readdirSync(join(outdir, "stacks")).sort()) {
      stacks[name] = JSON.parse(readFileSync(join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
    }
    return stacks;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Synthesizes one environment's stacks. */
export function synthEnvironment(env: EnvironmentConfig, extend?: (stacks: EnvironmentStacks) => void): Record<string, StackJson> {
  return synthApp((app) => {
    const stacks = addEnvironment(app, env);
    extend?.(stacks);
  });
}

/** All resources of one type in a stack, keyed by their logical id. */
export function resourcesOf(stack: StackJson, type: string): Record<string, any> {
  return stack.resource?.[type] ?? {};
}

/** All resources of one type in a stack, keyed by their `name` attribute (Nomad's and Consul's names). */
export function resourcesByName(stack: StackJson, type: string): Record<string, any> {
  return Object.fromEntries(Object.values<any>(resourcesOf(stack, type)).map((resource) => [resource.name, resource]));
}
