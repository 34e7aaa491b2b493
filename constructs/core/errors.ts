import { IConstruct } from "constructs";

/**
 * A synth error in its one shape: each report is the construct's path, what it is, then every
 * problem on a line of its own, each saying what is wrong and how to fix it. One error may
 * carry the reports of several constructs (collectProblems gathers them), so a user meets every
 * problem in one run.
 */
export class SynthProblems extends Error {
  constructor(readonly reports: readonly string[]) {
    super(reports.join("\n"));
  }
}

/**
 * Throws a SynthProblems when there is any problem; nothing otherwise, so callers collect all
 * problems first and call this once. `scope` is undefined only in pure functions that have no
 * construct (rendering a policy) or for the App itself; the message then starts with `what`.
 */
export function throwIfProblems(scope: IConstruct | undefined, what: string, problems: readonly string[]): void {
  if (problems.length === 0) return;
  const path = scope?.node.path;
  const where = path ? `${path}: ` : "";
  throw new SynthProblems([`${where}${what}:\n  - ${problems.join("\n  - ")}`]);
}

/**
 * Runs `build` and returns its result; a SynthProblems it throws is added to `reports` instead
 * (and undefined returned), so the caller can go on with what does not depend on it. Any other
 * error is a bug, not bad input, and is thrown on.
 */
export function collectProblems<T>(reports: string[], build: () => T): T | undefined {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof SynthProblems)) throw error;
    reports.push(...error.reports);
    return undefined;
  }
}

/** Throws every collected report as one SynthProblems (nothing when there is none). */
export function throwCollected(reports: readonly string[]): void {
  if (reports.length > 0) throw new SynthProblems(reports);
}

/**
 * The problems the validations (`node.addValidation`) of `scope` and everything below it
 * report, as cdktf's synth would find them, but across every stack instead of stopping at the
 * first stack with one, each as `<path>: <problem>`.
 */
export function validationProblems(scope: IConstruct): string[] {
  return scope.node.findAll().flatMap((construct) => {
    const reports: string[] = [];
    const found = collectProblems(reports, () => construct.node.validate()) ?? [];
    return [...reports, ...found.map((problem) => `${construct.node.path}: ${problem}`)];
  });
}

/**
 * The text a failed synth prints: every report once, numbered, and how many, so the message
 * stands on its own above whatever the cdktf CLI prints after it.
 */
export function formatSynthProblems(reports: readonly string[]): string {
  const unique = [...new Set(reports)];
  const heading = `Synth found ${unique.length} problem report${unique.length === 1 ? "" : "s"}; fix them and run synth again:`;
  return [heading, ...unique.map((report, i) => `\n${i + 1}. ${report}`)].join("\n") + "\n";
}
