/**
 * One benchmark sample: builds a stack with N NomadService instances, synthesizes it to a temp
 * dir and prints {"n", "ms" (CPU, user+system), "peakRssMb"} as JSON. Run in a fresh process per sample (see
 * run.ts) so peak memory is this sample's own.
 *
 *   node --require ./scripts/build/ts-loader.cjs bench/synth-services.ts 100
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { NomadService } from "../constructs/nomad-service";
import { NomadProvider } from "../constructs/providers";
import { environmentFacts, lab } from "../environments";

const n = Number(process.argv[2] ?? "10");
const outdir = mkdtempSync(join(tmpdir(), "hashilab-bench-"));
try {
  const start = process.cpuUsage();
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "bench");
  declareClusterFacts(stack, environmentFacts(lab));
  new NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" });
  for (let i = 0; i < n; i++) {
    new NomadService(stack, `Service${i}`, {
      image: `example/service-${i}:1.0`,
      ports: { http: { to: 8080 } },
      env: { SERVICE_INDEX: String(i) },
      tags: ["bench", `service-${i}`],
      cpuMhz: 100,
      memoryMb: 128,
    });
  }
  app.synth();
  const cpu = process.cpuUsage(start);
  const ms = Math.round((cpu.user + cpu.system) / 1000);
  // maxRSS is in kilobytes.
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify({ n, ms, peakRssMb }));
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
