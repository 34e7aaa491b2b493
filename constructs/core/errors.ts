import { IConstruct } from "constructs";

/**
 * The one shape of a synth error: the construct's path, what it is, then every problem on a
 * line of its own, each saying what is wrong and how to fix it. Throws nothing when there is
 * no problem, so callers collect all problems first and call this once.
 */
export function throwIfProblems(scope: IConstruct, what: string, problems: readonly string[]): void {
  if (problems.length === 0) return;
  throw new Error(`${scope.node.path}: ${what}:\n  - ${problems.join("\n  - ")}`);
}
