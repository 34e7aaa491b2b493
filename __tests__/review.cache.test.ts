import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { PROJECT_ROOT, ReviewError, synthCacheFile, synthCommit } from "../scripts/review/checkout";

/**
 * The review keeps each base commit's synth (node_modules/.cache/hashilab-review), so a second
 * review against the same base synthesizes only the working tree. Commits here are made up:
 * nothing is checked out when the cache answers, and a commit without an entry is checked out.
 */
describe("the review's cache of synthesized base commits", () => {
  const commit = (digit: string) => digit.repeat(40);
  const stored = { "lab-workloads": { resource: { marker: { pid: process.pid } } } };
  const file = synthCacheFile(PROJECT_ROOT, commit("a"));

  beforeAll(() => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(stored));
  });
  afterAll(() => rmSync(file, { force: true }));

  it("answers for the commit it holds without checking it out", async () => {
    await expect(synthCommit(PROJECT_ROOT, commit("a"))).resolves.toEqual(stored);
  });

  it("never answers for another commit: that one is checked out (and here fails, as it does not exist)", async () => {
    await expect(synthCommit(PROJECT_ROOT, commit("b"))).rejects.toThrow(ReviewError);
  });

  it("keys entries by commit", () => {
    expect(synthCacheFile(PROJECT_ROOT, commit("b"))).not.toBe(file);
    expect(synthCacheFile(PROJECT_ROOT, commit("a"))).toBe(file);
  });
});
