/**
 * CPU time, wall time and peak memory of a whole command, as GNU time reports them: user+system
 * seconds of the command and every child it waited for, elapsed seconds, and the maximum
 * resident set size (of the largest process in the command's tree, which is what ru_maxrss
 * reports for waited-for children). The machine may be shared: CPU time is what the ratios use,
 * since other work stretches the wall time but not the CPU a command needs.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Measurement {
  /** CPU time, user + system. */
  readonly cpuMs: number;
  /** Wall time. */
  readonly ms: number;
  readonly peakRssMb: number;
  /** The command's exit code (non-zero only where failures are allowed). */
  readonly exitCode: number;
}

export interface MeasureOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Record a failing run instead of throwing, e.g. a test suite with failing tests. @default false */
  readonly allowFailure?: boolean;
  /** Exit codes that mean success, e.g. the review's 2 (changes found). @default [0] */
  readonly successCodes?: readonly number[];
}

const GNU_TIME = "/usr/bin/time";

/** Runs `command` once under GNU time; throws with its output when it fails (unless allowed). */
export function measureOnce(command: readonly string[], cwd: string, options: MeasureOptions = {}): Measurement {
  const dir = mkdtempSync(join(tmpdir(), "hashilab-time-"));
  try {
    const report = join(dir, "time");
    const run = spawnSync(GNU_TIME, ["-f", "%e %U %S %M", "-o", report, ...command], {
      cwd,
      env: { ...process.env, CHECKPOINT_DISABLE: "1", ...options.env },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (!(options.successCodes ?? [0]).includes(run.status ?? -1)) {
      const message = `${command.join(" ")} failed (exit ${run.status}):\n${(run.stderr || run.stdout).slice(-2000)}`;
      if (!options.allowFailure) throw new Error(message);
      console.warn(message);
    }
    const [seconds, user, system, kilobytes] = readFileSync(report, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
    return { cpuMs: Math.round((user + system) * 1000), ms: Math.round(seconds * 1000), peakRssMb: Math.round(kilobytes / 1024), exitCode: run.status ?? 1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The median times and the median peak memory of `runs` runs. */
export function measure(runs: number, command: readonly string[], cwd: string, options: MeasureOptions = {}): Measurement {
  const samples = Array.from({ length: runs }, () => measureOnce(command, cwd, options));
  return {
    cpuMs: median(samples.map((s) => s.cpuMs)),
    ms: median(samples.map((s) => s.ms)),
    peakRssMb: median(samples.map((s) => s.peakRssMb)),
    exitCode: Math.max(...samples.map((s) => s.exitCode)),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

/** "×2.4" */
export function ratio(value: number, baseline: number): string {
  return baseline > 0 ? `×${(value / baseline).toFixed(1)}` : "–";
}
