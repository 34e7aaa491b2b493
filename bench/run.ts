/**
 * `npm run bench`: runs each benchmark in a fresh node process per size and prints a table.
 * A benchmark is a script that takes a size argument and prints one JSON line with at least
 * {"n", "ms", "peakRssMb"}; add more to BENCHMARKS.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

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

/** Runs one sample in its own process (tsx as a node loader, no npx overhead). */
export function runSample(benchmark: Benchmark, n: number): Sample {
  const output = execFileSync(process.execPath, ["--import", "tsx", join(__dirname, benchmark.script), String(n)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(output.trim().split("\n").pop()!) as Sample;
}

export function formatTable(name: string, samples: readonly Sample[]): string {
  const rows = samples.map((s, i) => {
    const previous = samples[i - 1];
    const growth = previous ? `×${(s.ms / previous.ms).toFixed(1)} time, ×${(s.peakRssMb / previous.peakRssMb).toFixed(1)} memory` : "";
    const perItem = (s.ms / s.n).toFixed(2);
    return `| ${s.n} | ${s.ms} | ${perItem} | ${s.peakRssMb} | ${growth} |`;
  });
  return [`### ${name}`, "", "| n | ms | ms per item | peak RSS MB | growth vs previous |", "|---|---|---|---|---|", ...rows].join("\n");
}

if (require.main === module) {
  for (const benchmark of BENCHMARKS) {
    const samples = benchmark.sizes.map((n) => runSample(benchmark, n));
    console.log(formatTable(benchmark.name, samples) + "\n");
  }
}
