/**
 * npm run review -- <base-ref> [--markdown]
 *
 * Synthesizes the working tree and <base-ref> (in a temporary git worktree that reuses
 * this checkout's node_modules; no install, no network; a base synthesized before is read
 * from node_modules/.cache/hashilab-review) and prints, per stack, the
 * resources to create / update / replace / delete, their changed attributes, the unified
 * diffs of changed jobspecs, ACL policies and user-data, and the cost delta.
 *
 * Exit codes: 0 no changes, 2 changes, 1 error (bad ref, synth failure, usage, or a change to
 * the hosts that would lose the Raft quorum: scripts/review/effects/server-quorum.ts).
 */
import { estimateCost } from "../cost/estimate";
import { loadPriceTable } from "../cost/prices";
import { checkoutRoot, resolveCommit, ReviewError, SynthesizedApp, synthCheckout, synthCommit } from "./checkout";
import { clusterEffects } from "./effects";
import { compareApps, hasChanges } from "./plan";
import { reviewExpiry } from "./expiry";
import { CostDelta, renderMarkdown, renderText, ReviewReport } from "./render";

export const EXIT_NO_CHANGES = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;

const USAGE = "usage: npm run review -- <base-ref> [--markdown]\nexit codes: 0 no changes, 2 changes, 1 error";
const OPTIONS = ["--markdown", "--help"];

/** Stacks are named `<env>-<kind>`; the cost is per environment. */
function environmentOf(stack: string): string {
  return stack.replace(/-[^-]+$/, "");
}

function costDeltas(before: SynthesizedApp, after: SynthesizedApp): CostDelta[] {
  const prices = loadPriceTable();
  const envs = [...new Set([...Object.keys(before), ...Object.keys(after)].map(environmentOf))].sort();
  const stacksOf = (app: SynthesizedApp, env: string) =>
    Object.entries(app)
      .filter(([name]) => environmentOf(name) === env)
      .map(([, json]) => json);
  return envs.map((environment) => ({
    environment,
    before: estimateCost(stacksOf(before, environment), prices),
    after: estimateCost(stacksOf(after, environment), prices),
  }));
}

/** Builds the review of the working tree at `repo` against `base`. */
export async function review(repo: string, base: string): Promise<ReviewReport & { expiry: string[] }> {
  const commit = resolveCommit(repo, base);
  // The working tree's synth starts first: it runs while the base is checked out.
  const head = synthCheckout(repo);
  const [before, after] = await Promise.all([synthCommit(repo, commit), head]);
  const stacks = compareApps(before, after);
  return {
    base,
    stacks,
    effects: clusterEffects({ before, after, stacks }),
    costs: costDeltas(before, after),
    prices: loadPriceTable(),
    expiry: reviewExpiry(repo, after, new Date()),
  };
}

async function main(args: string[]): Promise<number> {
  const markdown = args.includes("--markdown");
  const positional = args.filter((a) => !a.startsWith("--"));
  if (args.includes("--help")) {
    console.log(USAGE);
    return EXIT_NO_CHANGES;
  }
  const unknown = args.find((a) => a.startsWith("--") && !OPTIONS.includes(a));
  if (unknown || positional.length !== 1) {
    const what = unknown ? `unknown option ${unknown}` : positional.length === 0 ? "no base ref given" : `one base ref expected, got ${positional.length}`;
    console.error(`review: ${what}; run npm run review -- <base-ref> [--markdown], e.g. npm run review -- origin/main.`);
    return EXIT_ERROR;
  }
  try {
    const report = await review(checkoutRoot(process.cwd()), positional[0]);
    console.log(markdown ? renderMarkdown(report) : renderText(report));
    for (const warning of report.expiry) console.error(`warning: ${warning}`);
    // A change that would lose the Raft quorum (stop the cluster) fails the review.
    const refusals = report.effects.filter((f) => f.refuses);
    for (const refusal of refusals) console.error(`review: refused: ${refusal.text}`);
    if (refusals.length > 0) return EXIT_ERROR;
    return hasChanges(report.stacks) ? EXIT_CHANGES : EXIT_NO_CHANGES;
  } catch (e) {
    if (e instanceof ReviewError) console.error(`review: ${e.message}`);
    else console.error(`review: internal error, please report it with this trace:\n${(e as Error).stack ?? e}`);
    return EXIT_ERROR;
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
