import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { requireTool } from "./support/tools";

const ROOT = join(__dirname, "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly jobs: Record<string, { readonly steps: readonly Step[]; readonly needs?: string; readonly if?: string }>;
}

function workflow(file: string): Workflow {
  return parse(readFileSync(join(WORKFLOWS, file), "utf8"), { strict: true, uniqueKeys: true });
}

function runSteps(wf: Workflow): string[] {
  return Object.values(wf.jobs).flatMap((job) => job.steps.filter((s) => s.run !== undefined).map((s) => s.run!));
}

/**
 * Why a command is not one the project provides, or undefined when it is: an npm script of
 * package.json, `npm ci`/`npm test`, `npx cdktf ...`, or an executable file under scripts/.
 */
function notProvided(command: string): string | undefined {
  const words = command.trim().split(/\s+/);
  const [first, second, third] = words;
  if (first === "npm" && (second === "ci" || second === "test")) return undefined;
  if (first === "npm" && second === "run") {
    const script = third === "--silent" ? words[3] : third;
    return script in pkg.scripts ? undefined : `npm script "${script}" is not in package.json`;
  }
  if (first === "npx" && second === "cdktf") return undefined;
  if (first.startsWith("scripts/")) {
    const path = join(ROOT, first);
    if (!existsSync(path)) return `${first} does not exist`;
    return statSync(path).mode & 0o111 ? undefined : `${first} is not executable`;
  }
  return `"${first}" is not an npm script, npx cdktf or a script under scripts/`;
}

describe("GitHub workflows", () => {
  test.each(readdirSync(WORKFLOWS))("%s parses as YAML and every run step calls only the project's own commands", (file) => {
    const wf = workflow(file);
    const commands = runSteps(wf).flatMap((run) => run.split(/\n|&&|\|\|/).filter((c) => c.trim() !== ""));
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.map((c) => [c.trim(), notProvided(c)]).filter(([, why]) => why)).toEqual([]);
  });

  test("pull-request: tests, then the review against the base branch posted as a comment", () => {
    const wf = workflow("pull-request.yml");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(Object.keys(wf.jobs)).toEqual(["test", "review"]);
    expect(runSteps(wf)).toEqual([
      "scripts/ci/install-validators.sh",
      "npm ci",
      "npm test",
      "npm ci",
      'scripts/ci/review-pr.sh "origin/${{ github.base_ref }}" review.md',
      "scripts/ci/comment-pr.mjs review.md",
    ]);
    const checkout = wf.jobs.review.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout).toMatchObject({ with: { "fetch-depth": 0 } });
  });

  test("cdktf-diff: one diff per stack, skipped when the credentials are not configured", () => {
    const wf = workflow("cdktf-diff.yml");
    expect(Object.keys(wf.jobs)).toEqual(["prepare", "diff"]);
    expect(wf.jobs.diff.needs).toBe("prepare");
    expect(wf.jobs.diff.if).toBe("needs.prepare.outputs.available == 'true'");
    expect(runSteps(wf)).toContain('npx cdktf diff "${{ matrix.stack }}"');
    expect(runSteps(wf)).toContain("scripts/ci/export-tf-vars.mjs");
    expect(runSteps(wf)[0]).toBe("scripts/ci/has-credentials.sh HCLOUD_TOKEN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY");
  });

  test("cdktf-diff: every job that sees cloud credentials runs in the reviewer-gated environment \"plan\"", () => {
    const wf = workflow("cdktf-diff.yml");
    for (const [name, job] of Object.entries<any>(wf.jobs)) {
      expect({ name, environment: job.environment }).toEqual({ name, environment: "plan" });
    }
  });

  test("e2e: agents, leader, deploy of the dev stacks, checks, and always a stop", () => {
    const wf = workflow("e2e.yml");
    expect(Object.keys(wf.jobs)).toEqual(["dev-environment"]);
    const steps = wf.jobs["dev-environment"].steps;
    expect(runSteps(wf)).toEqual([
      "npm ci",
      "scripts/e2e/install-agents.sh",
      "scripts/e2e/start-agents.sh",
      "scripts/e2e/wait-for-leader.sh",
      "scripts/e2e/deploy.sh",
      "scripts/e2e/check.sh",
      "scripts/e2e/stop-agents.sh",
    ]);
    expect(steps[steps.length - 1].if).toBe("always()");
  });

  test.each([
    [0, 0],
    [2, 0],
    [1, 1],
  ])("the review step turns review exit code %i into %i (changes are not a failure)", (reviewStatus, stepStatus) => {
    // A stand-in npm on PATH that behaves like `npm run review` exiting with reviewStatus.
    const bin = mkdtempSync(join(tmpdir(), "hashilab-fake-npm-"));
    writeFileSync(join(bin, "npm"), `#!/bin/sh\necho "### review"\nexit ${reviewStatus}\n`, { mode: 0o755 });
    const out = join(bin, "review.md");
    const run = spawnSync(join(ROOT, "scripts", "ci", "review-pr.sh"), ["origin/main", out], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      encoding: "utf8",
    });
    expect(run.status).toBe(stepStatus);
    expect(readFileSync(out, "utf8")).toBe("### review\n");
    rmSync(bin, { recursive: true, force: true });
  });
});

test("export-tf-vars turns TF_VAR_<NAME> secrets into lower-case Terraform variables, multi-line safe", () => {
  const dir = mkdtempSync(join(tmpdir(), "hashilab-gh-env-"));
  const githubEnv = join(dir, "env");
  writeFileSync(githubEnv, "");
  const run = spawnSync(join(ROOT, "scripts", "ci", "export-tf-vars.mjs"), [], {
    env: { ...process.env, GITHUB_ENV: githubEnv, SECRETS_JSON: JSON.stringify({ TF_VAR_TRAEFIK_BASIC_AUTH: "admin:$apr1$x\ny", HCLOUD_TOKEN: "t" }) },
    encoding: "utf8",
  });
  expect(run.stdout).toBe("Terraform variables from secrets: TF_VAR_traefik_basic_auth\n");
  const [first, value1, value2, last] = readFileSync(githubEnv, "utf8").trimEnd().split("\n");
  const delimiter = first.split("<<")[1];
  expect([first, value1, value2, last]).toEqual([`TF_VAR_traefik_basic_auth<<${delimiter}`, "admin:$apr1$x", "y", delimiter]);
  rmSync(dir, { recursive: true, force: true });
});

test("throwaway-vars gives a value to each variable without a default that the environment leaves unset", () => {
  const out = mkdtempSync(join(tmpdir(), "hashilab-e2e-out-"));
  mkdirSync(join(out, "stacks", "dev-platform"), { recursive: true });
  const variable = { a_token: { type: "string", sensitive: true }, preset: { type: "string" }, with_default: { type: "string", default: "x" } };
  writeFileSync(join(out, "stacks", "dev-platform", "cdk.tf.json"), JSON.stringify({ variable }));
  const run = spawnSync(join(ROOT, "scripts", "e2e", "throwaway-vars.mjs"), [out, "dev-platform"], {
    env: { ...process.env, TF_VAR_preset: "set" },
    encoding: "utf8",
  });
  expect(run.stdout).toMatch(/^a_token=[0-9a-f]{32}\n$/);
  rmSync(out, { recursive: true, force: true });
});

describe("CI and end-to-end shell scripts", () => {
  test("pass shellcheck", () => {
    requireTool("shellcheck");
    const scripts = ["ci", "e2e"].flatMap((dir) =>
      readdirSync(join(ROOT, "scripts", dir))
        .filter((f) => f.endsWith(".sh"))
        .map((f) => join("scripts", dir, f)),
    );
    expect(scripts.length).toBeGreaterThanOrEqual(8);
    expect(execFileSync("shellcheck", ["--severity=style", ...scripts], { cwd: ROOT, encoding: "utf8" })).toBe("");
  });

  test("deploy.sh deploys exactly the dev environment's acl, platform and workloads stacks", () => {
    const common = readFileSync(join(ROOT, "scripts", "e2e", "common.sh"), "utf8");
    expect(common).toContain('E2E_STACKS=("$E2E_ENV-acl" "$E2E_ENV-platform" "$E2E_ENV-workloads")');
    const deploy = readFileSync(join(ROOT, "scripts", "e2e", "deploy.sh"), "utf8");
    expect(deploy).toContain('npx cdktf deploy "${E2E_STACKS[@]}" --auto-approve');
  });
});
