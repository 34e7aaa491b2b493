#!/usr/bin/env node
// `npm test`: the type-check (tsc --noEmit) and the jest suite, run side by side instead of one
// after the other: most jest workers wait on child processes, and tsc fills those waits. Fails
// when either fails. Arguments go to jest (`npm test -- __tests__/x.test.ts`).
// The type-check is incremental: its build info (.tsbuildinfo, ignored by git) records each
// file's hash, so a run after a small change re-checks what the change affects; without it
// (a fresh clone, CI) it is a full check.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

/** Runs a command; resolves to its exit code and, when `quiet`, its output (printed after jest's). */
function run(command, args, quiet) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit" });
    let output = "";
    if (quiet) for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => resolve({ code: 1, output: `${command}: ${error.message}\n` }));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

const typeCheck = run(bin("tsc"), ["--noEmit", "--incremental", "--tsBuildInfoFile", join(root, ".tsbuildinfo")], true);
const tests = run(bin("jest"), process.argv.slice(2), false);
const [tsc, jest] = await Promise.all([typeCheck, tests]);
if (tsc.code !== 0) process.stderr.write(`\ntsc --noEmit failed (exit ${tsc.code}):\n${tsc.output}`);
process.exit(tsc.code !== 0 ? tsc.code : jest.code);
