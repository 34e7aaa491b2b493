import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { ENVIRONMENTS, EnvironmentConfig } from "../../environments";
import { addEnvironment, EnvironmentStacks } from "../../stacks/environment";
import { sharedOncePerRun } from "./test-run";

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

/**
 * Synthesizes one environment's stacks. The project's own environments as they are (lab,
 * home, dev: most test files read them) are synthesized once per jest run and shared; each
 * call still returns objects of its own.
 */
export function synthEnvironment(env: EnvironmentConfig, extend?: (stacks: EnvironmentStacks) => void): Record<string, StackJson> {
  const synth = () =>
    synthApp((app) => {
      const stacks = addEnvironment(app, env);
      extend?.(stacks);
    });
  if (extend || !ENVIRONMENTS.includes(env)) return synth();
  // The content in the name: a test file that changed the shared object gets a synth of its own.
  const content = createHash("sha256").update(JSON.stringify(env)).digest("hex").slice(0, 16);
  return sharedOncePerRun(`synth-${env.name}-${content}`, synth);
}

/** All resources of one type in a stack, keyed by their logical id. */
export function resourcesOf(stack: StackJson, type: string): Record<string, any> {
  return stack.resource?.[type] ?? {};
}

/** All resources of one type in a stack, keyed by their `name` attribute (Nomad's and Consul's names). */
export function resourcesByName(stack: StackJson, type: string): Record<string, any> {
  return Object.fromEntries(Object.values<any>(resourcesOf(stack, type)).map((resource) => [resource.name, resource]));
}
