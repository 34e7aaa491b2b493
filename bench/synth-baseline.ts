/**
 * The baseline sample for the in-process synth benchmarks: the minimal app of
 * baseline/app.ts, timed and measured like synth-services.ts. Prints {"n", "ms", "peakRssMb"}.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { buildBaseline } from "./baseline/app";

const outdir = mkdtempSync(join(tmpdir(), "hashilab-bench-"));
try {
  const start = process.cpuUsage();
  const app = new App({ outdir });
  buildBaseline(app);
  app.synth();
  const cpu = process.cpuUsage(start);
  const ms = Math.round((cpu.user + cpu.system) / 1000);
  console.log(JSON.stringify({ n: 1, ms, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
