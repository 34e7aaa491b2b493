/**
 * `npm run bench [-- --runs 3] [--skip-tests] [--skip-npm-ci]`
 *
 * Every figure beside its baseline, measured in the same run, and the ratio. CPU time
 * (user+system, the command's children included) is what the ratios compare: the machine may
 * be shared, and other work stretches wall time, not the CPU a command needs.
 *
 * 1. Synth as a user runs it (cdktf.json's app, the cdktf CLI, the previous tsx app command),
 *    of the whole app and of lab alone, each beside the baseline app run the same way
 *    (baseline/: cdktf, one provider by deep import, one resource).
 * 2. cdktf's floor for the app's output (floor/: the same stacks and blocks declared straight
 *    through cdktf, generated from a synth of the app) beside the app and the baseline app.
 * 3. Where one synth's CPU goes, phase by phase (synth-phases.ts), beside the floor's and the baseline's.
 * 4. NomadService ×N in one stack, in-process (after module loading): cost per item.
 * 5. `npm run review` on a one-file change: base not cached yet, and cached.
 * 6. `npm test` (the type-check and every test) beside the baseline's one-test suite; `npm ci` from a clean clone.
 * Prints the tables and writes them to docs/performance.md.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { commitAll, scratchCopyOfProject } from "../__tests__/support/scratch-repo";
import { countBlocks, GENERATED, generate, readStacks, sameConfiguration } from "./floor/generate";
import { measure, Measurement, median, ratio } from "./measure";

const ROOT = join(__dirname, "..");
const BASELINE_DIR = join(__dirname, "baseline");
/** lab/: the lab environment alone, with a cdktf.json like the project's. */
const LAB_DIR = join(__dirname, "lab");
/** floor/: cdktf's floor for the whole app's output. */
const FLOOR_DIR = join(__dirname, "floor");
const LOADER = join(ROOT, "scripts", "build", "ts-loader.cjs");
/** cdktf.json's app command, as the project and the baseline run it. */
const APP_COMMAND = [process.execPath, "--require", LOADER, "main.ts"];
const TSX_COMMAND = [process.execPath, "--import", "tsx", "main.ts"];
const SERVICE_COUNTS = [10, 100, 1000, 10000];

// --- 1. whole commands ---------------------------------------------------------------------

interface Comparison {
  readonly name: string;
  readonly command: string;
  readonly hashilab: Measurement;
  readonly baseline: Measurement;
}

/** Runs `command(outdir)` in `cwd` with a fresh temp output folder per measurement. */
function withOutdir(runs: number, cwd: string, command: (outdir: string) => readonly string[], env: (outdir: string) => NodeJS.ProcessEnv = () => ({})): Measurement {
  const outdir = mkdtempSync(join(tmpdir(), "hashilab-bench-out-"));
  try {
    return measure(runs, command(outdir), cwd, { env: env(outdir) });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function synthComparisons(runs: number): Comparison[] {
  const cli = (out: string) => ["npx", "cdktf", "synth", "--output", out];
  const outdirEnv = (out: string) => ({ CDKTF_OUTDIR: out });
  const direct = (command: readonly string[]) => () => command;
  const baselineApp = withOutdir(runs, BASELINE_DIR, direct(APP_COMMAND), outdirEnv);
  const baselineCli = withOutdir(runs, BASELINE_DIR, cli);
  return [
    {
      name: "synth the whole app (lab, home, dev: 11 stacks) with cdktf.json's app",
      command: "node --require ./scripts/build/ts-loader.cjs main.ts",
      hashilab: withOutdir(runs, ROOT, direct(APP_COMMAND), outdirEnv),
      baseline: baselineApp,
    },
    {
      name: "synth lab alone (4 stacks) with cdktf.json's app",
      command: "node --require ./scripts/build/ts-loader.cjs main.ts",
      hashilab: withOutdir(runs, LAB_DIR, direct(APP_COMMAND), outdirEnv),
      baseline: baselineApp,
    },
    {
      name: "synth the whole app through the cdktf CLI",
      command: "npx cdktf synth",
      hashilab: withOutdir(runs, ROOT, cli),
      baseline: baselineCli,
    },
    {
      name: "synth the whole app with tsx (the app command before), baseline with tsx too",
      command: "node --import tsx main.ts",
      hashilab: withOutdir(runs, ROOT, direct(TSX_COMMAND), outdirEnv),
      baseline: withOutdir(runs, BASELINE_DIR, direct(TSX_COMMAND), outdirEnv),
    },
  ];
}

function testComparison(): Comparison {
  const jest = join(ROOT, "node_modules", ".bin", "jest");
  return {
    name: "test suite (the type-check and every test; 1 run)",
    command: "npm test",
    // Timed even when another change's test fails; the table says so.
    hashilab: measure(1, ["npm", "test"], ROOT, { allowFailure: true }),
    baseline: measure(1, [jest, "--config", join(BASELINE_DIR, "jest.config.js")], ROOT),
  };
}

function formatComparisons(comparisons: readonly Comparison[], runs: number): string {
  return [
    "### Whole commands beside the baseline app",
    "",
    `CPU time (user+system, children included), wall time and peak RSS of the largest process (GNU time), median of ${runs} run(s).`,
    "The baseline runs the same command in bench/baseline. Targets: CPU ×1.5, memory ×1.2 for the app's synth.",
    "",
    "| what | command | CPU ms | wall ms | MB | baseline CPU ms | baseline wall ms | baseline MB | CPU ratio | memory ratio |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...comparisons.map((c) => {
      const failed = c.hashilab.exitCode !== 0 ? ` (exit code ${c.hashilab.exitCode}: some tests failed)` : "";
      const [h, b] = [c.hashilab, c.baseline];
      return `| ${c.name}${failed} | \`${c.command}\` | ${h.cpuMs} | ${h.ms} | ${h.peakRssMb} | ${b.cpuMs} | ${b.ms} | ${b.peakRssMb} | ${ratio(h.cpuMs, b.cpuMs)} | ${ratio(h.peakRssMb, b.peakRssMb)} |`;
    }),
  ].join("\n");
}

// --- 2. cdktf's floor ---------------------------------------------------------------------

/** Runs cdktf.json's app command in `cwd` into a temp folder and returns what `read` makes of the output. */
function synthesized<T>(cwd: string, read: (outdir: string) => T): T {
  const outdir = mkdtempSync(join(tmpdir(), "hashilab-bench-floor-"));
  try {
    execFileSync(APP_COMMAND[0], APP_COMMAND.slice(1), { cwd, env: { ...process.env, CDKTF_OUTDIR: outdir }, stdio: ["ignore", "ignore", "inherit"] });
    return read(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Writes the floor app from a synth of the whole app, synthesizes it, and checks that every
 * stack has the same number of resources, data sources, outputs, variables and locals.
 * Returns how far the configurations agree beyond the counts.
 */
function prepareFloor(): string {
  const app = synthesized(ROOT, readStacks);
  writeFileSync(GENERATED, generate(app));
  const floor = synthesized(FLOOR_DIR, readStacks);
  const counts = (stacks: typeof app) => JSON.stringify([...stacks].map(([name, json]) => [name, countBlocks(json)]));
  if (counts(floor) !== counts(app)) throw new Error(`the floor's blocks differ from the app's:\n${counts(floor)}\n${counts(app)}`);
  const differing = [...app].filter(([name, json]) => !sameConfiguration(json, floor.get(name)!)).map(([name]) => name);
  return differing.length === 0
    ? "Every stack's configuration is the app's, block for block (only cdktf's `//` metadata differs, and the floor writes no assets)."
    : `The block counts match; the configurations of ${differing.join(", ")} differ in content.`;
}

interface FloorFigures {
  readonly app: Measurement;
  readonly floor: Measurement;
  readonly baseline: Measurement;
  readonly agreement: string;
}

function formatFloor(f: FloorFigures, runs: number): string {
  const row = (name: string, m: Measurement) =>
    `| ${name} | ${m.cpuMs} | ${m.ms} | ${m.peakRssMb} | ${ratio(m.cpuMs, f.floor.cpuMs)} / ${ratio(m.peakRssMb, f.floor.peakRssMb)} | ${ratio(m.cpuMs, f.baseline.cpuMs)} / ${ratio(m.peakRssMb, f.baseline.peakRssMb)} |`;
  return [
    "### cdktf's floor for the app's output",
    "",
    `bench/floor: the whole app's 11 stacks declared straight through cdktf, generated from a synth of the app before it is measured (bench/floor/generate.ts): cdktf's generic resource and data-source classes, the providers' own classes, LocalBackend, TerraformVariable, TerraformLocal, TerraformOutput; references as cdktf tokens, cross-stack ones included. ${f.agreement}`,
    `Each run as cdktf.json's app runs main.ts, median of ${runs} run(s). Whatever the app costs over the floor is hashilab's own work; the floor over the baseline is what cdktf needs for this much output.`,
    "",
    "| app | CPU ms | wall ms | MB | vs floor (CPU / memory) | vs baseline (CPU / memory) |",
    "|---|---|---|---|---|---|",
    row("the whole app (`main.ts`)", f.app),
    row("cdktf's floor for its output (`bench/floor/main.ts`)", f.floor),
    row("the one-resource baseline (`bench/baseline/main.ts`)", f.baseline),
  ].join("\n");
}

// --- 3. phases -----------------------------------------------------------------------------

type Phases = Record<string, number>;

const PHASE_NAMES: Readonly<Record<string, string>> = {
  startNode: "start node (and the loader)",
  loadModules: "load modules (cdktf, provider bindings, hashilab)",
  buildTreeAndValidate: "build the construct tree, with hashilab's validations",
  prepareStacks: "cdktf prepareStack (resolves every stack to find cross-stack references)",
  renderStacks: "render each stack (toTerraform, with the plaintext-secret scan)",
  writeAndRest: "write cdk.tf.json files, manifest, the rest of app.synth",
  total: "total",
};

function phases(which: string, runs: number): Phases {
  const samples = Array.from({ length: runs }, () => {
    const output = execFileSync(process.execPath, ["--require", LOADER, join(__dirname, "synth-phases.ts"), which], { encoding: "utf8", cwd: ROOT });
    return JSON.parse(output.trim().split("\n").pop()!) as Phases;
  });
  return Object.fromEntries(Object.keys(samples[0]).map((k) => [k, median(samples.map((s) => s[k]))]));
}

function formatPhases(app: Phases, lab: Phases, floor: Phases, baseline: Phases, runs: number): string {
  return [
    "### Where one synth's CPU goes",
    "",
    `bench/synth-phases.ts: CPU ms per phase as main.ts runs (cdktf.json's app), median of ${runs} run(s). ` +
      `"over floor" is the whole app's phase minus that of cdktf's floor for its output (hashilab's own work); "over baseline" minus the baseline's.`,
    "",
    "| phase | whole app | lab | floor | baseline | over floor | over baseline |",
    "|---|---|---|---|---|---|---|",
    ...Object.keys(PHASE_NAMES).map((k) => `| ${PHASE_NAMES[k]} | ${app[k]} | ${lab[k]} | ${floor[k]} | ${baseline[k]} | ${app[k] - floor[k]} | ${app[k] - baseline[k]} |`),
  ].join("\n");
}

// --- 4. NomadService ×N --------------------------------------------------------------------

interface Sample {
  readonly n: number;
  /** CPU time, user + system. */
  readonly ms: number;
  readonly peakRssMb: number;
}

/** Runs one in-process sample in its own process, so peak memory is its own. */
function runSample(script: string, n: number): Sample {
  const output = execFileSync(process.execPath, ["--require", LOADER, join(__dirname, script), String(n)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(output.trim().split("\n").pop()!) as Sample;
}

function runSamples(script: string, n: number, runs: number): Sample {
  const samples = Array.from({ length: runs }, () => runSample(script, n));
  return { n, ms: median(samples.map((s) => s.ms)), peakRssMb: median(samples.map((s) => s.peakRssMb)) };
}

function formatScaling(samples: readonly Sample[], baseline: Sample, runs: number): string {
  const rows = samples.map((s, i) => {
    const previous = samples[i - 1];
    const growth = previous ? `×${(s.ms / previous.ms).toFixed(1)} CPU, ×${(s.peakRssMb / previous.peakRssMb).toFixed(1)} memory` : "";
    const perItem = previous ? ((s.ms - previous.ms) / (s.n - previous.n)).toFixed(2) : "";
    const mbPerItem = previous ? (((s.peakRssMb - previous.peakRssMb) * 1024) / (s.n - previous.n)).toFixed(1) : "";
    return `| ${s.n} | ${s.ms} | ${(s.ms / s.n).toFixed(2)} | ${perItem} | ${s.peakRssMb} | ${mbPerItem} | ${ratio(s.ms, baseline.ms)} / ${ratio(s.peakRssMb, baseline.peakRssMb)} | ${growth} |`;
  });
  return [
    "### NomadService ×N in one stack",
    "",
    `bench/synth-services.ts: CPU time of building and synthesizing the stack inside the process (after module loading), median of ${runs} run(s); ` +
      `baseline (bench/synth-baseline.ts, the one-resource app in-process): ${baseline.ms} ms, ${baseline.peakRssMb} MB. ` +
      "Linear growth shows as a steady marginal cost per item (the extra CPU and memory from the previous row, per added service).",
    "",
    "| n | CPU ms | ms per item | marginal ms per item | peak RSS MB | marginal KB per item | vs baseline (CPU / memory) | growth vs previous |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

// --- 5. review -----------------------------------------------------------------------------

interface ReviewFigures {
  readonly cold: Measurement;
  readonly warm: Measurement;
  readonly change: string;
}

/**
 * In a scratch copy of the project (its own commit, so its base was never synthesized), one
 * file changed: an app's default image tag. The first review synthesizes base and working
 * tree; later ones read the base from the cache.
 */
function reviewFigures(runs: number): ReviewFigures {
  const repo = scratchCopyOfProject();
  try {
    writeFileSync(join(repo, ".bench-run"), `${process.pid} ${Date.now()}\n`);
    commitAll(repo, "bench base");
    const file = join(repo, "apps", "it-tools.ts");
    const text = readFileSync(file, "utf8");
    const changed = text.replace('?? "latest"', '?? "2024.10.22-7ca5933"');
    writeFileSync(file, changed === text ? `${text}\n// bench: a one-line change\n` : changed);
    const review = [process.execPath, "--require", LOADER, "scripts/review/cli.ts", "HEAD"];
    // Exit code 2: the review found changes, as it should.
    const cold = measure(1, review, repo, { successCodes: [2] });
    const warm = measure(runs, review, repo, { successCodes: [2] });
    return { cold, warm, change: changed === text ? "a comment appended to apps/it-tools.ts" : "apps/it-tools.ts: the default image tag" };
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

function formatReview(r: ReviewFigures, runs: number): string {
  return [
    "### `npm run review` on a one-file change",
    "",
    `In a scratch copy of the project, ${r.change} changed against its commit; \`npm run review -- HEAD\` (cdktf.json's loader). Target: 2 s.`,
    "The base's synth is kept by commit in node_modules/.cache/hashilab-review; the working tree is synthesized every time.",
    "",
    "| review | CPU ms | wall ms | MB |",
    "|---|---|---|---|",
    `| first against this base (checks the base out and synthesizes both; 1 run) | ${r.cold.cpuMs} | ${r.cold.ms} | ${r.cold.peakRssMb} |`,
    `| again (base from the cache; median of ${runs}) | ${r.warm.cpuMs} | ${r.warm.ms} | ${r.warm.peakRssMb} |`,
  ].join("\n");
}

// --- 6. npm ci -----------------------------------------------------------------------------

interface InstallFigures {
  readonly install: Measurement;
  readonly generate: Measurement;
}

/**
 * `npm ci` in a fresh clone of the committed project (its prepare script generates the
 * hcloud bindings), then the generation alone, to show its share. npm's own cache serves what
 * it holds (--prefer-offline); the registry the rest.
 */
function installFigures(): InstallFigures {
  const dir = mkdtempSync(join(tmpdir(), "hashilab-bench-clone-"));
  try {
    execFileSync("git", ["clone", "-q", ROOT, join(dir, "clone")]);
    const clone = join(dir, "clone");
    const install = measure(1, ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"], clone);
    rmSync(join(clone, ".gen"), { recursive: true, force: true });
    const generate = measure(1, [process.execPath, join(clone, "scripts", "generate-hcloud.mjs")], clone);
    return { install, generate };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function formatInstall(f: InstallFigures): string {
  const share = (m: Measurement) => `${Math.round((100 * m.cpuMs) / f.install.cpuMs)} %`;
  return [
    "### `npm ci` from a clean clone",
    "",
    "A fresh `git clone` of the committed project, `npm ci --prefer-offline` (npm's cache serves what it holds), 1 run; then `scripts/generate-hcloud.mjs` alone (what `prepare` runs) for its share.",
    "",
    "| what | CPU ms | wall ms | MB | share of npm ci's CPU |",
    "|---|---|---|---|---|",
    `| npm ci | ${f.install.cpuMs} | ${f.install.ms} | ${f.install.peakRssMb} | 100 % |`,
    `| of which: generating the hcloud bindings | ${f.generate.cpuMs} | ${f.generate.ms} | ${f.generate.peakRssMb} | ${share(f.generate)} |`,
  ].join("\n");
}

// --- report --------------------------------------------------------------------------------

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

function section(sections: string[], text: string): void {
  sections.push(text);
  console.log(`${text}\n`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const runs = option(args, "--runs", 3);
  const loadAtStart = loadavg()[0].toFixed(1);
  const sections: string[] = [];
  // Warm the transpile cache first: every figure is of a run after the first.
  spawnSync(process.execPath, ["--require", LOADER, join(__dirname, "synth-phases.ts"), "app"], { cwd: ROOT });
  const agreement = prepareFloor();
  const comparisons = synthComparisons(runs);
  if (!args.includes("--skip-tests")) comparisons.push(testComparison());
  section(sections, formatComparisons(comparisons, runs));
  const [app] = comparisons;
  const floor = withOutdir(runs, FLOOR_DIR, () => APP_COMMAND, (out) => ({ CDKTF_OUTDIR: out }));
  section(sections, formatFloor({ app: app.hashilab, floor, baseline: app.baseline, agreement }, runs));
  section(sections, formatPhases(phases("app", runs), phases("lab", runs), phases("floor", runs), phases("baseline", runs), runs));
  const baseline = runSamples("synth-baseline.ts", 1, runs);
  section(sections, formatScaling(SERVICE_COUNTS.map((n) => runSamples("synth-services.ts", n, runs)), baseline, runs));
  section(sections, formatReview(reviewFigures(runs), runs));
  if (!args.includes("--skip-npm-ci")) section(sections, formatInstall(installFigures()));
  const header = [
    "# Performance",
    "",
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} CPU(s) (${cpus()[0]?.model.trim()}), Node ${process.version},`,
    `load average ${loadAtStart} at the start. Ratios compare CPU time (user+system), which other work on a shared machine`,
    "does not inflate the way it stretches wall time. Each figure's baseline is measured in the same run.",
    "",
  ];
  const notesFile = join(__dirname, "notes.md");
  writeFileSync(join(ROOT, "docs", "performance.md"), [...header, sections.join("\n\n"), "", readFileSync(notesFile, "utf8")].join("\n"));
  console.log("wrote docs/performance.md");
}

