import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * Bad input fails synth in one shape, written by one helper: constructs/core/errors.ts
 * `throwIfProblems` (`<path>: <what>:` and one `  - ` line per problem). A hand-written
 * `throw new Error` elsewhere would bring back a second style (and usually a hand-written
 * path prefix). Internal errors of other types (a parser's RuleError turned into problems,
 * a RangeError for a caller's bug) are not synth errors and stay.
 */

const ROOT = join(__dirname, "..");
const CHECKED = ["constructs", "policies", "stacks", "environments"];
const THE_HELPER = "constructs/core/errors.ts";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

test("fails for a synth error thrown by hand (throw new Error, new SynthProblems) anywhere but throwIfProblems, naming file:line", () => {
  const handWritten: string[] = [];
  for (const file of CHECKED.flatMap((folder) => sourceFiles(join(ROOT, folder)))) {
    const path = relative(ROOT, file);
    if (path === THE_HELPER) continue;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (/\bthrow\s+new\s+Error\s*\(|\bnew\s+SynthProblems\s*\(/.test(line)) handWritten.push(`${path}:${i + 1}: use throwIfProblems(scope, what, problems)`);
      });
  }
  expect(handWritten).toEqual([]);
});
