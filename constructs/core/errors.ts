import { IConstruct } from "constructs";

/**
 * The one shape of a synth error: the construct's path, what it is, then every problem on a
 * line of its own, each saying what is wrong and how to fix it. Throws nothing when there is
 * no problem, so callers collect all problems first and call this once. `scope` is undefined
 * only in pure functions that have no construct (rendering a policy); the message then starts
 * with `what`.
 */
export function throwIfProblems(scope: IConstruct | undefined, what: string, problems: readonly string[]): void {
  if (problems.length === 0) return;
  const where = scope === undefined ? "" : `${scope.node.path}: `;
  throw new Error(`${where}${what}:\n  - ${problems.join("\n  - ")}`);
}
