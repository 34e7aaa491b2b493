import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

test("the home environment synthesizes the whoami job", () => {
  const outdir = mkdtempSync(join(tmpdir(), "homelab-synth-"));
  try {
    const run = spawnSync(process.execPath, ["--import", "tsx", "main.ts"], { encoding: "utf8", env: { ...process.env, CDKTF_OUTDIR: outdir } });
    assert.equal(run.status, 0, run.stderr);
    const stack = JSON.parse(readFileSync(join(outdir, "stacks", "home", "cdk.tf.json"), "utf8"));
    const jobspecs = Object.values<{ jobspec: string }>(stack.resource.nomad_job).map((j) => j.jobspec);
    assert.ok(jobspecs.some((j) => j.includes('image = "docker.io/traefik/whoami:v1.10.3"')), jobspecs.join("\n"));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
