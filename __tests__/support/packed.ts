import { execFileSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scratchCopyOfProject } from "./scratch-repo";

/** The environment npm runs in for these tests: no registry, no update check. */
export const OFFLINE_NPM_ENV = { ...process.env, npm_config_offline: "true", npm_config_update_notifier: "false", CHECKPOINT_DISABLE: "1" };

export function npm(cwd: string, ...args: string[]): string {
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: OFFLINE_NPM_ENV });
}

export interface Packed {
  /** A git repository holding a copy of this working tree (what `git+file://` installs). */
  readonly repo: string;
  /** The `npm pack` tarball of that copy and the folder it sits in. */
  readonly tarball: string;
  readonly work: string;
  /** The tarball's file paths. */
  readonly files: readonly string[];
  readonly dispose: () => void;
}

/**
 * `npm pack` of a scratch copy of this project, so the pack's prepack/postpack (which rewrite
 * package.json and dist/) never touch this checkout or race another test file's pack.
 */
export function packScratchCopy(): Packed {
  const repo = scratchCopyOfProject();
  const work = realpathSync(mkdtempSync(join(tmpdir(), "hashilab-pack-")));
  // `npm pack` runs prepack (the build); scripts print before the JSON.
  const out = npm(repo, "pack", "--json", "--pack-destination", work);
  const packed = JSON.parse(out.slice(out.indexOf("\n[") + 1))[0];
  return {
    repo,
    work,
    tarball: join(work, packed.filename),
    files: packed.files.map((f: { path: string }) => f.path),
    dispose: () => {
      rmSync(repo, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    },
  };
}
