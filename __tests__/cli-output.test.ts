import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runNodeScript } from "./support/npm-script";
import { readmeSynth } from "./support/readme-synth";

/** Spinner frames (braille dots), ANSI escapes, and lines that say error or warn. */
const NOISE = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]|\u001b\[|\berror\b|\bwarn(ing)?\b/i;

test("fails when the README's synth command prints spinner frames, escapes or error lines to a pipe, or more than its result", () => {
  // In a copy of the project, as a user's shell runs it (determinism.test.ts compares what it wrote).
  const run = readmeSynth();
  const lines = `${run.stdout}${run.stderr}`.split("\n").filter((l) => l.trim() !== "");
  expect(lines.filter((l) => NOISE.test(l))).toEqual([]);
  expect(run.status).toBe(0);
  // npm echoes the script it runs (two "> " lines); the command itself prints one line.
  expect(lines.filter((l) => !l.startsWith("> "))).toEqual([
    "Synthesized 11 stack(s) into cdktf.out/stacks: dev-acl, dev-platform, dev-workloads, home-acl, home-hosts, home-platform, home-workloads, lab-acl, lab-hosts, lab-platform, lab-workloads",
  ]);
});

test("fails when a synth that cannot run says anything but one sentence naming the fix", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "hashilab-no-project-")));
  try {
    // package.json's synth script (`hashilab synth` from its source), from a folder without a project.
    const run = runNodeScript("synth", [], { cwd: dir });
    expect(run.stderr).toBe(`synth: no cdktf.json in ${dir}; run it from your cdktf project's folder (where cdktf.json is).\n`);
    expect(run.status).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
