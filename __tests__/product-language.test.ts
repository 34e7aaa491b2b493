import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Code and docs speak of the product: what a thing is and why, not which source post
 * ("seed 000".."seed 004") it came from, which a reader of the repository has never seen.
 * Only tests may name a post, where they compare with its job or policy as a fixture.
 */

const ROOT = join(__dirname, "..");
const SEED_WORDING = /\bseed(?:s'|'s|\s+0\d\d)/gi;

/** Every file of the project outside __tests__, tracked or new (git's ignores keep out node_modules, .gen, dist, cdktf.out). */
function projectFiles(): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  return [...new Set(listed.split("\0"))]
    .filter((file) => file !== "" && !file.startsWith("__tests__/") && file !== "package-lock.json")
    .filter((file) => existsSync(join(ROOT, file)))
    .sort();
}

/** Each place in `text` that names a seed post, as "file:line: words". */
function seedWording(file: string, text: string): string[] {
  return text.split("\n").flatMap((line, i) => [...line.matchAll(SEED_WORDING)].map((m) => `${file}:${i + 1}: "${m[0]}"`));
}

describe("product language", () => {
  it("fails naming file:line wherever code or docs outside the tests name a seed post instead of the thing", () => {
    const found = projectFiles().flatMap((file) => seedWording(file, readFileSync(join(ROOT, file), "utf8")));
    expect(found).toEqual([]);
  });

  it("fails on a seed named by number or in the possessive, and on nothing else", () => {
    const text = [
      "/** Seed 000: CoreDNS on a VIP. */",
      "// the seed's rule, as seed 004's topology, in both seeds' policies",
      "a random seed; seeding the RNG; 000 instances",
    ].join("\n");
    expect(seedWording("x.ts", text)).toEqual(['x.ts:1: "Seed 000"', `x.ts:2: "seed's"`, 'x.ts:2: "seed 004"', `x.ts:2: "seeds'"`]);
  });
});
