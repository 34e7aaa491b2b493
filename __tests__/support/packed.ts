import { execFileSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scratchCopyOfProject } from "./scratch-repo";
import { sharedOncePerRun } from "./test-run";

/** The environment npm runs in for these tests: no registry, no update check. */
export const OFFLINE_NPM_ENV = { ...process.env, npm_config_offline: "true", npm_config_update_notifier: "false", CHECKPOINT_DISABLE: "1" };

export function npm(cwd: string, ...args: string[]): string {
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: OFFLINE_NPM_ENV });
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
    const out = npm(repo, "pack", "--json", "--pack-destination", dir);
    const packed = JSON.parse(out.slice(out.indexOf("\n[") + 1))[0];
    return { repo, tarball: join(dir, packed.filename), files: packed.files.map((f: { path: string }) => f.path) as string[] };
  });
  const work = realpathSync(mkdtempSync(join(tmpdir(), "hashilab-pack-")));
  return { repo, tarball, files, work, dispose: () => rmSync(work, { recursive: true, force: true }) };
}
