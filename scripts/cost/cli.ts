/**
 * npm run cost -- <env>
 * Prints the monthly cost of an environment's Hetzner resources from its synthesized
 * stacks and pricing/hetzner-prices.json. Exit 1 on an unknown environment.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { EnvironmentConfig, ENVIRONMENTS } from "../../environments";
import { addEnvironment } from "../../stacks/environment";
import { readStacks, SynthesizedApp } from "../review/checkout";
import { estimateCost, formatEstimate } from "./estimate";
import { loadPriceTable } from "./prices";

/** The environment called `name`. */
function environmentNamed(name: string): EnvironmentConfig {
  const env = ENVIRONMENTS.find((e) => e.name === name);
  if (!env) {
    throw new Error(`unknown environment "${name}"; name one of ${ENVIRONMENTS.map((e) => e.name).join(", ")} (environments/index.ts), e.g. npm run cost -- ${ENVIRONMENTS[0]?.name}.`);
  }
  return env;
}

/** What the estimate leaves out: machines the operator already runs cost what their hardware and power cost. */
export function ownHardwareNote(env: EnvironmentConfig): string | undefined {
  if (env.cluster.kind !== "ssh") return undefined;
  return `  not in the total: ${env.cluster.hosts.length} hosts of your own (LAN, over SSH): hardware and power are not priced`;
}

/** Synthesizes the stacks of one environment into a temp folder. */
export function synthEnvironmentByName(name: string): SynthesizedApp {
  const env = environmentNamed(name);
  const outdir = mkdtempSync(join(tmpdir(), "hashilab-cost-"));
  try {
    const app = new App({ outdir });
    addEnvironment(app, env);
    app.synth();
    return readStacks(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function main(args: string[]): number {
  const name = args[0];
  if (args.includes("--help")) {
    console.log("usage: npm run cost -- <env>");
    return 0;
  }
  if (args.length !== 1 || name.startsWith("-")) {
    const envs = ENVIRONMENTS.map((e) => e.name).join(", ");
    console.error(`cost: ${args.length === 0 ? "no environment given" : `one environment expected, got ${args.join(" ")}`}; run npm run cost -- <env> with one of ${envs}.`);
    return 1;
  }
  try {
    const prices = loadPriceTable();
    const stacks = synthEnvironmentByName(name);
    const note = ownHardwareNote(environmentNamed(name));
    console.log(formatEstimate(`Monthly cost of ${name}`, estimateCost(Object.values(stacks), prices), prices) + (note ? `\n${note}` : ""));
    return 0;
  } catch (e) {
    console.error(`cost: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
