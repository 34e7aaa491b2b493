/**
 * `hashilab synth` (`npm run synth`): runs the cdktf app of the current directory as
 * `cdktf synth` does and prints one line per success. `cdktf synth` (cdktf-cli 0.21) cannot be
 * quieted by configuration: its ink UI draws spinner frames even when stdout is not a
 * terminal, it logs checkpoint telemetry failures offline unless CHECKPOINT_DISABLE is set,
 * and it relays `terraform version`'s CLI-configuration warnings as [ERROR] lines.
 *
 * What cdktf-cli's synth does, and this repeats (bundle/bin/cmds/handlers.js, `synth`): run
 * cdktf.json's `app` through a shell in the project directory, with CDKTF_OUTDIR set to the
 * absolute `output` folder (default cdktf.out), CDKTF_CONTEXT_JSON to cdktf.json's `context`
 * and no TF_VAR_* variables; then read `<output>/manifest.json` and remove stack folders of
 * stacks the app no longer has.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";

/** The stacks written, by name; a one-sentence error when the app cannot run or fails. */
export function synthesize(dir: string): { stacks: string[]; outdir: string } | { error: string } {
  const configFile = join(dir, "cdktf.json");
  if (!existsSync(configFile)) return { error: `no cdktf.json in ${dir}; run it from your cdktf project's folder (where cdktf.json is).` };
  let config: { app?: unknown; output?: unknown; context?: unknown };
  try {
    config = JSON.parse(readFileSync(configFile, "utf8"));
  } catch (e) {
    return { error: `${configFile} is not valid JSON (${(e as Error).message}); fix it and run the synth again.` };
  }
  if (typeof config.app !== "string" || config.app.trim() === "") return { error: `${configFile} has no "app" command; set it, e.g. "app": "node --import tsx main.ts".` };
  const outdir = resolve(dir, typeof config.output === "string" ? config.output : "cdktf.out");
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TF_VAR_")));
  const app = spawnSync(config.app, {
    cwd: dir,
    shell: true,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...env, CDKTF_OUTDIR: outdir, CDKTF_CONTEXT_JSON: JSON.stringify(config.context ?? {}) },
  });
  if (app.status !== 0) return { error: `the app (${config.app}) failed${app.status === null ? "" : ` with exit code ${app.status}`}; fix the error it printed above and run the synth again.` };
  const manifestFile = join(outdir, "manifest.json");
  if (!existsSync(manifestFile)) return { error: `the app (${config.app}) wrote no ${relative(dir, manifestFile)}; call app.synth() at the end of it.` };
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
  const stacks = Object.keys(manifest.stacks ?? {}).sort();
  const stacksDir = join(outdir, "stacks");
  for (const old of existsSync(stacksDir) ? readdirSync(stacksDir) : []) {
    if (!stacks.includes(old)) rmSync(join(stacksDir, old), { recursive: true, force: true });
  }
  return { stacks, outdir };
}

export function run(args: readonly string[]): number {
  if (args.length > 0) {
    console.error(`synth: unexpected argument ${args.join(" ")}; run it with none (it synthesizes every stack, as cdktf synth does).`);
    return 1;
  }
  const result = synthesize(process.cwd());
  if ("error" in result) {
    console.error(`synth: ${result.error}`);
    return 1;
  }
  if (result.stacks.length === 0) {
    console.error("synth: the app synthesized no stack; add a TerraformStack to it.");
    return 1;
  }
  const where = relative(process.cwd(), join(result.outdir, "stacks")) || ".";
  console.log(`Synthesized ${result.stacks.length} stack(s) into ${where}: ${result.stacks.join(", ")}`);
  return 0;
}
