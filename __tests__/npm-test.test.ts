import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = join(__dirname, "..", "scripts", "ci", "test.mjs");

/**
 * `npm test` (scripts/ci/test.mjs) in a copy of its own, with tsc and jest stand-ins that
 * record their arguments and exit with the given codes.
 */
function npmTest(exits: { tsc: number; jest: number }, ...args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), `hashilab-npm-test-${process.pid}-`));
  try {
    mkdirSync(join(dir, "scripts", "ci"), { recursive: true });
    copyFileSync(SCRIPT, join(dir, "scripts", "ci", "test.mjs"));
    mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
    for (const [tool, code] of Object.entries(exits)) {
      const stub = join(dir, "node_modules", ".bin", tool);
      writeFileSync(stub, `#!/bin/sh\necho "$*" > "${dir}/${tool}.args"\necho "${tool} says hello"\nexit ${code}\n`);
      chmodSync(stub, 0o755);
    }
    const run = spawnSync(process.execPath, [join(dir, "scripts", "ci", "test.mjs"), ...args], { encoding: "utf8" });
    const argsOf = (tool: string) => readFileSync(join(dir, `${tool}.args`), "utf8").trim();
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, tsc: argsOf("tsc"), jest: argsOf("jest"), dir };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("npm test", () => {
  it("type-checks the whole project (incrementally) and runs jest with the arguments given", () => {
    const run = npmTest({ tsc: 0, jest: 0 }, "__tests__/x.test.ts");
    expect(run.status).toBe(0);
    expect(run.tsc).toBe(`--noEmit --incremental --tsBuildInfoFile ${run.dir}/.tsbuildinfo`);
    expect(run.jest).toBe("__tests__/x.test.ts");
    // tsc's output only when it fails.
    expect(run.stdout + run.stderr).toBe("jest says hello\n");
  });

  it("fails when the type-check fails, and prints tsc's output after jest's", () => {
    const run = npmTest({ tsc: 2, jest: 0 });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("jest says hello\n");
    expect(run.stderr).toBe("\ntsc --noEmit failed (exit 2):\ntsc says hello\n");
  });

  it("fails when a test fails", () => {
    expect(npmTest({ tsc: 0, jest: 1 }).status).toBe(1);
  });
});
