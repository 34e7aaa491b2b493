import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** A synthesized app: each stack's parsed cdk.tf.json by stack name. */
export type SynthesizedApp = Record<string, Record<string, any>>;

/** Raised for anything that keeps the review from comparing two synths (exit code 1). */
export class ReviewError extends Error {}

/** The project root this tool runs from (two levels above scripts/review). */
export const PROJECT_ROOT = resolve(__dirname, "..", "..");

/**
 * Synthesizes the app of a checkout at `dir` by running its main.ts as cdktf.json's app does,
 * with this checkout's TypeScript loader (scripts/build/ts-loader.cjs), into a temp folder (not
 * the checkout's cdktf.out), and reads every stack. Async, so the two sides of a review
 * synthesize in parallel.
 */
export async function synthCheckout(dir: string): Promise<SynthesizedApp> {
  const outdir = mkdtempSync(join(tmpdir(), "hashilab-review-out-"));
  try {
    const loader = join(PROJECT_ROOT, "scripts", "build", "ts-loader.cjs");
    const child = spawn(process.execPath, ["--require", loader, "main.ts"], {
      cwd: dir,
      env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const status = await new Promise<number | null>((done, fail) => child.on("error", fail).on("close", done));
    if (status !== 0) throw new ReviewError(`${dir} does not synthesize (exit ${status}); fix the error below and run the review again:\n${output.trim()}`);
    return readStacks(outdir, realpathSync(dir));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** What the checkout's own absolute path reads as, so two checkouts compare equal. */
export const CHECKOUT_PLACEHOLDER = "<checkout>";

/**
 * Reads `<outdir>/stacks/<name>/cdk.tf.json` for every stack. With `checkoutDir`, that path
 * (e.g. in cdktf's default local backend path) is replaced by CHECKOUT_PLACEHOLDER.
 */
export function readStacks(outdir: string, checkoutDir?: string): SynthesizedApp {
  const stacksDir = join(outdir, "stacks");
  const app: SynthesizedApp = {};
  if (!existsSync(stacksDir)) return app;
  const escapedDir = checkoutDir && JSON.stringify(checkoutDir).slice(1, -1);
  for (const name of readdirSync(stacksDir).sort()) {
    const text = readFileSync(join(stacksDir, name, "cdk.tf.json"), "utf8");
    app[name] = JSON.parse(escapedDir ? text.split(escapedDir).join(CHECKOUT_PLACEHOLDER) : text);
  }
  return app;
}

function git(cwd: string, ...args: string[]): string {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (e: any) {
    const reason = (e.stderr || e.message).toString().trim().split("\n")[0];
    throw new ReviewError(`git ${args[0]} failed in ${cwd} (${reason}); check that git works there (git status) and run the review again.`);
  }
}

/** The top of the git checkout holding `dir`; a ReviewError outside one. */
export function checkoutRoot(dir: string): string {
  const top = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd: dir, encoding: "utf8" });
  if (top.status !== 0) throw new ReviewError(`${dir} is not inside a git checkout; run the review from your hashilab repository.`);
  return realpathSync(top.stdout.trim());
}

/** The commit `ref` names; a ReviewError that says how to name one when it names none. */
export function resolveCommit(repo: string, ref: string): string {
  const found = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: repo, encoding: "utf8" });
  if (found.status !== 0 || !found.stdout.trim()) {
    throw new ReviewError(`no commit is named "${ref}" in ${repo}; pass a branch, tag or commit to compare with (e.g. origin/main, after git fetch, or HEAD~1).`);
  }
  return found.stdout.trim();
}

/**
 * Checks `ref` out into a temporary git worktree that shares this checkout's node_modules
 * (symlink; no install, no network) and gets hcloud bindings from a copy of this checkout's
 * .gen, refreshed by the base's own generator when its vendored schema differs.
 * Returns the worktree path and a function that removes it.
 */
export function checkoutRef(repo: string, ref: string): { dir: string; dispose: () => void } {
  const commit = resolveCommit(repo, ref);
  const dir = join(mkdtempSync(join(tmpdir(), "hashilab-review-base-")), "checkout");
  git(repo, "worktree", "add", "--detach", dir, commit);
  const dispose = () => {
    try {
      git(repo, "worktree", "remove", "--force", dir);
    } finally {
      rmSync(resolve(dir, ".."), { recursive: true, force: true });
    }
  };
  try {
    if (!existsSync(join(dir, "node_modules"))) {
      symlinkSync(realpathSync(join(repo, "node_modules")), join(dir, "node_modules"), "dir");
    }
    if (existsSync(join(repo, ".gen"))) cpSync(join(repo, ".gen"), join(dir, ".gen"), { recursive: true });
    const generator = join(dir, "scripts", "generate-hcloud.mjs");
    if (existsSync(generator)) {
      const gen = spawnSync(process.execPath, [generator], { cwd: dir, encoding: "utf8" });
      if (gen.status !== 0) throw new ReviewError(`${ref}'s scripts/generate-hcloud.mjs failed, so its hcloud bindings are missing; fix the error below (or review against a later commit):\n${gen.stderr.trim()}`);
    }
    return { dir, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** Synthesized commits, so reviewing against the same base again synthesizes only the working tree. */
const SYNTH_CACHE_DIR = join(PROJECT_ROOT, "node_modules", ".cache", "hashilab-review");
/** Kept: the most recently written; a synth of the whole app is about 2 MB. */
const SYNTH_CACHE_ENTRIES = 20;

/**
 * What a commit's synth depends on besides the commit: the installed dependencies (the
 * lockfile stands for them; the base runs with this checkout's node_modules), node, and how
 * this file reads stacks.
 */
export function synthCacheFile(repo: string, commit: string): string {
  const lockfile = join(repo, "package-lock.json");
  const key = createHash("sha256")
    .update(`${commit}\0${process.version}\0${existsSync(lockfile) ? readFileSync(lockfile, "utf8") : ""}\0`)
    .update(readFileSync(__filename, "utf8"))
    .digest("hex");
  return join(SYNTH_CACHE_DIR, `${key}.json`);
}

function storeSynth(file: string, app: SynthesizedApp): void {
  mkdirSync(SYNTH_CACHE_DIR, { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(app));
  renameSync(partial, file);
  const entries = readdirSync(SYNTH_CACHE_DIR)
    .filter((name) => name.endsWith(".json"))
    .map((name) => ({ path: join(SYNTH_CACHE_DIR, name), mtimeMs: statSync(join(SYNTH_CACHE_DIR, name)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of entries.slice(SYNTH_CACHE_ENTRIES)) rmSync(old.path, { force: true });
}

/**
 * The synthesized app of `commit`: from the cache when this commit was synthesized before
 * (with the same dependencies), else checked out (checkoutRef), synthesized and cached.
 */
export async function synthCommit(repo: string, commit: string): Promise<SynthesizedApp> {
  const file = synthCacheFile(repo, commit);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as SynthesizedApp;
  const checkout = checkoutRef(repo, commit);
  try {
    const app = await synthCheckout(checkout.dir);
    storeSynth(file, app);
    return app;
  } finally {
    checkout.dispose();
  }
}
