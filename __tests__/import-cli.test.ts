import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { jobSpecFromHcl } from "../constructs";
import { jobModule } from "../scripts/import-job/generate";
import { nodeScriptArgs } from "./support/npm-script";
import { PROJECT_ROOT } from "./support/scratch-repo";

/**
 * `hashilab <args>` as a user runs it in this repository: package.json's import-job script
 * is `hashilab import-job` from its source, so `npm run import-job -- <args>` is
 * hashilab("import-job", <args>); its entry without the command runs the others.
 */
const IMPORT_JOB = nodeScriptArgs("import-job");
if (IMPORT_JOB.at(-1) !== "import-job") throw new Error(`package.json's import-job script does not end with the command: ${IMPORT_JOB.join(" ")}`);
const HASHILAB = IMPORT_JOB.slice(0, -1);
const hashilab = (...args: string[]) => spawnSync(process.execPath, [...HASHILAB, ...args], { cwd: PROJECT_ROOT, encoding: "utf8" });

const FILES = [
  join(__dirname, "fixtures", "jobs", "mr-karan-homelab", "terraform__modules__doggo__conf__doggo.nomad.hcl"),
  join(__dirname, "fixtures", "jobs", "hashicorp-nomad", "e2e__connect__input__ingress-gateway.nomad.hcl"),
];

test("import-job writes one module per jobspec, named after its job, to --out", async () => {
  const out = mkdtempSync(join(tmpdir(), "hashilab-import-"));
  try {
    const run = hashilab("import-job", ...FILES, "--out", out);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["doggo.ts", "igBridgeDemo.ts"]);
    const expected = jobModule(await jobSpecFromHcl(readFileSync(FILES[0], "utf8"), { fileName: FILES[0] }), { source: basename(FILES[0]) });
    expect(readFileSync(join(out, "doggo.ts"), "utf8")).toBe(expected);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("fails with the usage for an unknown command or a missing --out, and names file and line for a bad jobspec", () => {
  expect(hashilab("unknown")).toMatchObject({ status: 1, stderr: expect.stringContaining("with one of import-job, init, synth") });
  expect(hashilab("import-job", FILES[0])).toMatchObject({ status: 2, stderr: expect.stringContaining("usage: hashilab import-job") });
  const bad = hashilab("import-job", join(__dirname, "import-cli.test.ts"), "--out", tmpdir());
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/import-cli\.test\.ts:\d+/);
});
