import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const PROJECT_ROOT = join(__dirname, "..", "..");

/**
 * A new git repository holding a copy of this project's working tree (tracked and
 * untracked files, minus ignored ones), its generated .gen, and a symlink to its
 * node_modules, in a new folder under `parent`. Returns its path.
 */
export function scratchCopyOfProject(parent = tmpdir()): string {
  const dir = realpathSync(mkdtempSync(join(parent, "hashilab-scratch-")));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  // A node_modules symlink (as in a git worktree) is untracked, not ignored; it is linked below.
  for (const file of files.filter((f) => f !== "node_modules")) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      cpSync(join(PROJECT_ROOT, file), join(dir, file));
    } catch {
      // A tracked file another change deleted from the working tree.
    }
  }
  cpSync(join(PROJECT_ROOT, ".gen"), join(dir, ".gen"), { recursive: true });
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  git(dir, "init", "-q", "-b", "main");
  // .gitignore's "node_modules/" matches directories only, not this symlink.
  writeFileSync(join(dir, ".git", "info", "exclude"), "/node_modules\n");
  commitAll(dir, "copy of hashilab");
  return dir;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
    cwd,
    encoding: "utf8",
  });
}

export function commitAll(cwd: string, message: string): void {
  git(cwd, "add", "-A");
  git(cwd, "commit", "-q", "-m", message);
}
