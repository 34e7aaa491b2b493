import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { codeSpans, fileLinks, headingAnchors, markdownFiles, markdownParts, MarkdownTable } from "./support/readme";

const ROOT = join(__dirname, "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The README's section under `## heading`, up to the next `## `. */
function section(heading: string): string {
  const parts = README.split(`\n## ${heading}\n`);
  if (parts.length !== 2) throw new Error(`README has no single "## ${heading}" section`);
  return parts[1].split("\n## ")[0];
}

describe("README, for the newcomer", () => {
  test("fails when it grows past 250 lines (the reference belongs in docs/)", () => {
    expect(README.split("\n").length).toBeLessThanOrEqual(250);
  });

  test("fails unless its set-up commands are exactly npm ci, npm run synth, npm test, and CI runs its install and test commands", () => {
    const block = section("Set up, synthesize, test").split("```sh\n")[1].split("```")[0];
    expect(block).toBe("npm ci\nnpm run synth\nnpm test\n");
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8").split("\n");
    expect(ci.filter((line) => /^npm /.test(line))).toEqual(["npm ci", "npm test"]);
    // The type-check and jest, side by side (npm-test.test.ts).
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.test).toBe("node scripts/ci/test.mjs");
  });

  test("fails unless the where-to-change-what table answers its questions, adding an app first, naming only files that exist", () => {
    const table = markdownParts(section("Where to change what")).find((p): p is { kind: "table" } & MarkdownTable => p.kind === "table");
    const asked = (table?.rows ?? []).map(([to]) => to);
    expect(asked[0]).toBe("add an app");
    for (const question of ["add an environment", "add a policy", "change host sizes", "rotate a secret", "add a construct"]) {
      expect(asked.filter((to) => to.startsWith(question))).toHaveLength(1);
    }
    const missing = (table?.rows ?? [])
      .flatMap(([, change]) => codeSpans(change))
      .filter((span) => /^[\w.-]+\/[\w./-]+\.(ts|md)$/.test(span) && !span.includes("<"))
      .filter((path) => !existsSync(join(ROOT, path)));
    expect(missing).toEqual([]);
  });

  test("fails when it repeats the architecture diagram instead of linking docs/architecture.md", () => {
    expect(README).not.toContain("```mermaid");
    expect(README).toContain("](docs/architecture.md)");
  });

  test("fails when it does not link every page of docs/ (directly or through docs/constructs/README.md)", () => {
    const linked = new Set(fileLinks(README).map((link) => link.target));
    const docs = markdownFiles(ROOT).filter((file) => file.startsWith("docs/") && !file.startsWith("docs/constructs/"));
    expect(docs.filter((file) => !linked.has(file))).toEqual([]);
    expect(linked.has("docs/constructs/README.md")).toBe(true);
  });
});

test("fails naming file:line for each link of the README or docs/ to a file or heading that does not exist", () => {
  const problems = markdownFiles(ROOT).flatMap((file) =>
    fileLinks(readFileSync(join(ROOT, file), "utf8")).flatMap(({ target, fragment, line }) => {
      const path = target === "" ? file : normalize(join(dirname(file), target));
      if (!existsSync(join(ROOT, path))) return [`${file}:${line}: ${target} does not exist`];
      if (fragment && path.endsWith(".md") && !headingAnchors(readFileSync(join(ROOT, path), "utf8")).has(fragment)) {
        return [`${file}:${line}: ${path} has no heading #${fragment}`];
      }
      return [];
    }),
  );
  expect(problems).toEqual([]);
});
