/**
 * Where one synth spends its CPU time, phase by phase, as main.ts runs it (cdktf.json's app):
 * starting node, loading the modules, building the construct tree (with hashilab's
 * validations), cdktf's prepareStack (resolves every stack once to find cross-stack
 * references), rendering each stack (toTerraform, with the plaintext-secret scan), and writing
 * the files with the rest of app.synth. Of the whole app, of lab alone, of cdktf's floor for the
 * whole app's output (floor/; run.ts, or floor/generate.ts on a synth of the app, writes it
 * first), or of the baseline app.
 * Prints JSON: milliseconds of CPU (user+system) per phase.
 *
 *   node --require ./scripts/build/ts-loader.cjs bench/synth-phases.ts app|lab|floor|baseline
 */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const t0 = cpuMs();
const { mkdtempSync, rmSync } = require("node:fs") as typeof import("node:fs");
const { tmpdir } = require("node:os") as typeof import("node:os");
const { join } = require("node:path") as typeof import("node:path");
const { App, TerraformStack } = require("cdktf") as typeof import("cdktf");
const which = process.argv[2] ?? "app";
const build: (app: InstanceType<typeof App>) => void =
  which === "baseline"
    ? (require("./baseline/app") as typeof import("./baseline/app")).buildBaseline
    : which === "floor"
      ? (require("./floor/stacks.generated.js") as { buildFloor: (app: InstanceType<typeof App>) => void }).buildFloor
      : (() => {
        const { ENVIRONMENTS, lab } = require("../environments") as typeof import("../environments");
        const { addEnvironments } = require("../stacks/environment") as typeof import("../stacks/environment");
        return (app) => {
          const problems = addEnvironments(app, which === "lab" ? [lab] : ENVIRONMENTS);
          if (problems.length > 0) throw new Error(problems.join("\n"));
        };
      })();
const loaded = cpuMs();

const outdir = mkdtempSync(join(tmpdir(), "hashilab-bench-phases-"));
try {
  // As main.ts (and the floor's main.ts): hashilab's validation ran while building; the baseline keeps cdktf's.
  const app = new App({ outdir, skipValidation: which !== "baseline" });
  build(app);
  const built = cpuMs();
  const stacks = app.node.findAll().filter(TerraformStack.isStack);
  // app.synth() in its parts (cdktf 0.21.0 lib/app.js synth): prepareStack on every stack,
  // then each stack's synthesizer renders (toTerraform) and writes it.
  let toTerraformMs = 0;
  for (const stack of stacks) {
    const render = stack.toTerraform.bind(stack);
    stack.toTerraform = () => {
      const start = cpuMs();
      try {
        return render();
      } finally {
        toTerraformMs += cpuMs() - start;
      }
    };
  }
  const prepareStack = TerraformStack.prototype.prepareStack;
  let prepareMs = 0;
  TerraformStack.prototype.prepareStack = function (this: InstanceType<typeof TerraformStack>) {
    const start = cpuMs();
    prepareStack.call(this);
    prepareMs += cpuMs() - start;
  };
  app.synth();
  const synthesized = cpuMs();
  const round = (ms: number) => Math.round(ms);
  console.log(
    JSON.stringify({
      startNode: round(t0),
      loadModules: round(loaded - t0),
      buildTreeAndValidate: round(built - loaded),
      prepareStacks: round(prepareMs),
      renderStacks: round(toTerraformMs),
      writeAndRest: round(synthesized - built - prepareMs - toTerraformMs),
      total: round(synthesized),
    }),
  );
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
