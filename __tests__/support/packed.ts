import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync, statfsSync } from "node:fs";
import { freemem, tmpdir } from "node:os";
import { join } from "node:path";
import { scratchCopyOfProject } from "./scratch-repo";
import { sharedOncePerRun } from "./test-run";

/** The environment npm runs in for these tests: no registry, no update check. */
export const OFFLINE_NPM_ENV = { ...process.env, npm_config_offline: "true", npm_config_update_notifier: "false", CHECKPOINT_DISABLE: "1" };

export interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command in `cwd` with OFFLINE_NPM_ENV, as spawnSync would, without blocking the test
 * file: its tests that install projects run side by side.
 */
export function spawnOffline(cwd: string, command: string, ...args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: OFFLINE_NPM_ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** A command that must succeed: its stdout, or an error naming it with its output. */
export async function runOffline(cwd: string, command: string, ...args: string[]): Promise<string> {
  const { status, stdout, stderr } = await spawnOffline(cwd, command, ...args);
  if (status !== 0) throw new Error(`${[command, ...args].join(" ")} failed in ${cwd} (exit ${status}):\n${stderr}${stdout}`);
  return stdout;
}

export function npm(cwd: string, ...args: string[]): Promise<string> {
  return runOffline(cwd, "npm", ...args);
}

/** Room for what a test file installs (a project's node_modules is 600 MB), with a margin: on tmpfs, in memory. */
const MEMORY_FOLDER_MIN_FREE_BYTES = 4 * 1024 ** 3;

/**
 * Where test files install projects: /dev/shm when it is a tmpfs that allows executables (the
 * projects run their node_modules/.bin) and has room, in it and in memory; else the temp
 * folder. Each `npm ci` writes 20,000 files: on tmpfs that costs half the system time it costs
 * on a disk, and removing them takes under a second instead of seconds of disk I/O.
 */
function workParent(): string {
  try {
    const mount = readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .map((line) => line.split(" "))
      .find(([, path]) => path === "/dev/shm");
    const { bavail, bsize } = statfsSync("/dev/shm");
    if (mount?.[2] === "tmpfs" && !mount[3].split(",").includes("noexec") && Math.min(bavail * bsize, freemem()) >= MEMORY_FOLDER_MIN_FREE_BYTES) return "/dev/shm";
  } catch {
    // Not Linux, or no /dev/shm.
  }
  return tmpdir();
}

export interface Packed {
  /** A git repository holding a copy of this working tree (what `git+file://` installs). Read only: shared by the run. */
  readonly repo: string;
  /** The `npm pack` tarball of that copy. Read only: shared by the run. */
  readonly tarball: string;
  /** A folder of this test file's own, for what it writes. */
  readonly work: string;
  /** The tarball's file paths. */
  readonly files: readonly string[];
  /** Removes `work` (the shared pack goes with the run's folder). */
  readonly dispose: () => void;
}

/**
 * `npm pack` of a scratch copy of this project, so the pack's prepack/postpack (which rewrite
 * package.json and dist/) never touch this checkout. Packed once per jest run (the build is the
 * costly part) and shared by the test files that install the package.
 */
export function packScratchCopy(): Packed {
  const { repo, tarball, files } = sharedOncePerRun("pack", (dir) => {
    const repo = scratchCopyOfProject(dir);
    // `npm pack` runs prepack (the build); scripts print before the JSON.
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: OFFLINE_NPM_ENV });
    const packed = JSON.parse(out.slice(out.indexOf("\n[") + 1))[0];
    return { repo, tarball: join(dir, packed.filename), files: packed.files.map((f: { path: string }) => f.path) as string[] };
  });
  const work = realpathSync(mkdtempSync(join(workParent(), "hashilab-pack-")));
  return { repo, tarball, files, work, dispose: () => rmSync(work, { recursive: true, force: true }) };
}
