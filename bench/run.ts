/**
 * `npm run bench [-- --runs 3] [--skip-tests]`
 *
 * 1. In-process synth of N NomadService instances in one stack (fresh node process per
 *    size), beside the baseline app (baseline/: the same providers, one resource).
 * 2. Whole commands, as a user runs them, each beside the same command on the baseline app:
 *    synth of the lab environment (bench/lab) through the cdktf CLI and with node directly (as
 *    cdktf.json's app runs it); the whole app through the CLI; `npm test` (the type-check and
 *    the jest suite). Wall time and peak RSS (GNU time), median of --runs runs.
 * Prints the tables with ratios and writes them to docs/performance.md.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { measure, Measurement, median, ratio } from "./measure";

export interface Benchmark {
  readonly name: string;
  /** Script path relative to this folder. */
  readonly script: string;
  readonly sizes: readonly number[];
}

export interface Sample {
  readonly n: number;
  readonly ms: number;
  readonly peakRssMb: number;
}

export const BENCHMARKS: Benchmark[] = [
  { name: "synth NomadService ×N in one stack", script: "synth-services.ts", sizes: [10, 100, 1000] },
];

const BASELINE_SAMPLE: Benchmark = { name: "baseline app (one resource)", script: "synth-baseline.ts", sizes: [1] };

const ROOT = join(__dirname, "..");
const BASELINE_DIR = join(__dirname, "baseline");
/** lab/: the lab environment alone, with a cdktf.json like the project's. */
const LAB_DIR = join(__dirname, "lab");

/** Runs one sample in its own process (tsx as a node loader, no npx overhead). */
export function runSample(benchmark: Benchmark, n: number): Sample {
  const output = execFileSync(process.execPath, ["--import", "tsx", join(__dirname, benchmark.script), String(n)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(output.trim().split("\n").pop()!) as Sample;
}

/** The median time and median peak memory of `runs` samples. */
export function runSamples(benchmark: Benchmark, n: number, runs: number): Sample {
  const samples = Array.from({ length: runs }, () => runSample(benchmark, n));
  return { n, ms: median(samples.map((s) => s.ms)), peakRssMb: median(samples.map((s) => s.peakRssMb)) };
}

export function formatTable(name: string, samples: readonly Sample[], baseline: Sample): string {
  const rows = samples.map((s, i) => {
    const previous = samples[i - 1];
    const growth = previous ? `×${(s.ms / previous.ms).toFixed(1)} time, ×${(s.peakRssMb / previous.peakRssMb).toFixed(1)} memory` : "";
    const perItem = (s.ms / s.n).toFixed(2);
    return `| ${s.n} | ${s.ms} | ${perItem} | ${s.peakRssMb} | ${ratio(s.ms, baseline.ms)} / ${ratio(s.peakRssMb, baseline.peakRssMb)} | ${growth} |`;
  });
  return [
    `### ${name}`,
    "",
    `Synth time inside the process (after module loading), median of the runs; baseline: ${baseline.ms} ms, ${baseline.peakRssMb} MB.`,
    "",
    "| n | ms | ms per item | peak RSS MB | vs baseline (time / memory) | growth vs previous |",
    "|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

interface Comparison {
  readonly name: string;
  readonly command: string;
  readonly hashilab: Measurement;
  readonly baseline: Measurement;
}

/** Runs `command(outdir)` in `cwd` with a fresh temp output folder per measurement. */
function withOutdir(runs: number, cwd: string, command: (outdir: string) => string[], env: (outdir: string) => NodeJS.ProcessEnv = () => ({})): Measurement {
  const outdir = mkdtempSync(join(tmpdir(), "hashilab-bench-out-"));
  try {
    return measure(runs, command(outdir), cwd, { env: env(outdir) });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function compareCommands(runs: number, skipTests: boolean): Comparison[] {
  const cli = (out: string) => ["npx", "cdktf", "synth", "--output", out];
  const direct = () => [process.execPath, "--import", "tsx", "main.ts"];
  const outdirEnv = (out: string) => ({ CDKTF_OUTDIR: out });
  const baselineCli = withOutdir(runs, BASELINE_DIR, cli);
  const comparisons: Comparison[] = [
    {
      name: "synth lab through the cdktf CLI",
      command: "npx cdktf synth",
      hashilab: withOutdir(runs, LAB_DIR, cli),
      baseline: baselineCli,
    },
    {
      name: "synth lab by running the app with node directly (cdktf.json's app)",
      command: "node --import tsx main.ts",
      hashilab: withOutdir(runs, LAB_DIR, direct, outdirEnv),
      baseline: withOutdir(runs, BASELINE_DIR, direct, outdirEnv),
    },
    {
      name: "synth the whole app (every environment: lab, home, dev) through the cdktf CLI",
      command: "npx cdktf synth",
      hashilab: withOutdir(runs, ROOT, cli),
      baseline: baselineCli,
    },
  ];
  if (!skipTests) {
    const jest = join(ROOT, "node_modules", ".bin", "jest");
    comparisons.push({
      name: "test suite (the type-check and every test)",
      command: "npm test",
      // Timed even when another change's test fails; the table says so.
      hashilab: measure(1, ["npm", "test"], ROOT, { allowFailure: true }),
      baseline: measure(1, [jest, "--config", join(BASELINE_DIR, "jest.config.js")], ROOT),
    });
  }
  return comparisons;
}

function formatComparisons(comparisons: readonly Comparison[], runs: number): string {
  return [
    "### Whole commands vs the baseline app",
    "",
    `Wall time and peak RSS of the largest process (GNU time), median of ${runs} run(s) (the test suite: 1 run).`,
    "\"lab\" is bench/lab/main.ts: the lab environment's four stacks alone; the whole app is the project's main.ts.",
    "",
    "| what | command | hashilab ms | hashilab MB | baseline ms | baseline MB | time ratio | memory ratio |",
    "|---|---|---|---|---|---|---|---|",
    ...comparisons.map((c) => {
      const failed = c.hashilab.exitCode !== 0 ? ` (exit code ${c.hashilab.exitCode}: some tests failed)` : "";
      return `| ${c.name}${failed} | \`${c.command}\` | ${c.hashilab.ms} | ${c.hashilab.peakRssMb} | ${c.baseline.ms} | ${c.baseline.peakRssMb} | ${ratio(c.hashilab.ms, c.baseline.ms)} | ${ratio(c.hashilab.peakRssMb, c.baseline.peakRssMb)} |`;
    }),
  ].join("\n");
}

/** What the lab rows say about overheads, in words (the table's own differences). */
function readings(comparisons: readonly Comparison[]): string {
  const byName = (prefix: string) => comparisons.find((c) => c.name.startsWith(prefix))!;
  const cli = byName("synth lab through the cdktf CLI");
  const direct = byName("synth lab by running the app with node directly");
  return [
    "Reading the lab rows:",
    "",
    `- the cdktf CLI adds ${cli.hashilab.ms - direct.hashilab.ms} ms over running the app with node directly (baseline: ${cli.baseline.ms - direct.baseline.ms} ms);`,
    `- hashilab's own work (its modules, constructs and the synth of lab's stacks) is ${direct.hashilab.ms - direct.baseline.ms} ms and ${direct.hashilab.peakRssMb - direct.baseline.peakRssMb} MB over the baseline app.`,
  ].join("\n");
}

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const runs = option(args, "--runs", 3);
  const loadAtStart = loadavg()[0].toFixed(1);
  const baseline = runSamples(BASELINE_SAMPLE, 1, runs);
  const sections: string[] = [];
  for (const benchmark of BENCHMARKS) {
    const samples = benchmark.sizes.map((n) => runSamples(benchmark, n, runs));
    sections.push(formatTable(benchmark.name, samples, baseline));
    console.log(sections[sections.length - 1] + "\n");
  }
  const comparisons = compareCommands(runs, args.includes("--skip-tests"));
  sections.push(formatComparisons(comparisons, runs), readings(comparisons));
  console.log(sections.slice(-2).join("\n\n"));
  const header = [
    "# Performance",
    "",
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} CPU(s), Node ${process.version},`,
    `load average ${loadAtStart} at the start (other work on the machine slows both columns alike; compare the ratios).`,
    "The baseline is bench/baseline/: a cdktf app that loads the same provider bindings and creates one resource.",
    "",
  ];
  writeFileSync(join(ROOT, "docs", "performance.md"), [...header, sections.join("\n\n"), ""].join("\n"));
  console.log("\nwrote docs/performance.md");
}
