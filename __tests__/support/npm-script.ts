import { spawnSync, SpawnSyncOptions } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PROJECT_ROOT } from "./scratch-repo";

/**
 * The arguments after `node` of package.json's script `name` in the project at `dir`, its
 * paths (the arguments with a slash) made absolute so it runs from any folder. The tests run
 * what `npm run <name>` runs without npm's own start-up (0.15 s of CPU per call); the
 * script must be a plain `node ...` command, which npm would run the same way.
 */
export function nodeScriptArgs(name: string, dir = PROJECT_ROOT): string[] {
  const script = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).scripts?.[name];
  if (typeof script !== "string" || !/^node [^"'`$\\|&;<>()*?]+$/.test(script)) {
    throw new Error(`package.json's "${name}" script is not a plain node command: ${script}`);
  }
  return script
    .split(" ")
    .slice(1)
    .map((arg) => (arg.includes("/") ? resolve(dir, arg) : arg));
}

/** Runs package.json's script `name` of the project at `dir` with `args`, as `npm run <name> -- <args>` does (by default from `dir`). */
export function runNodeScript(name: string, args: readonly string[], options: SpawnSyncOptions & { dir?: string } = {}) {
  const { dir = PROJECT_ROOT, ...spawnOptions } = options;
  const run = spawnSync(process.execPath, [...nodeScriptArgs(name, dir), ...args], { cwd: dir, ...spawnOptions, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
