import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { opsProject, STATE_TOKENS } from "./support/ops-project";
import { stopStandIns } from "./support/stand-in";
import { requireTool } from "./support/tools";

const SCRIPT = join(__dirname, "..", "scripts", "ops", "deploy.sh");

const projects: { dir: string }[] = [];
afterAll(() => {
  stopStandIns();
  projects.forEach((p) => rmSync(p.dir, { recursive: true, force: true }));
});

/** A change as `terraform show -json` lists it in resource_changes. */
const change = (address: string, ...actions: string[]) => ({ address, type: address.split(".")[0], change: { actions } });

/** lab-hosts' configuration: a local backend whose path, relative to the stack's folder, is the same in every project. */
const LAB_HOSTS_CONFIG = JSON.stringify({ terraform: { backend: { local: { path: "../../../state/lab-hosts.tfstate" } } } });

/** A lab-hosts folder initialized with the real terraform (offline), once per file: every project has the same backend. */
let initialized: string | undefined;
function initializedLabHosts(): string {
  if (!initialized) {
    requireTool("terraform");
    initialized = mkdtempSync(join(tmpdir(), `hashilab-deploy-init-${process.pid}-`));
    writeFileSync(join(initialized, "cdk.tf.json"), LAB_HOSTS_CONFIG);
    execFileSync("terraform", [`-chdir=${initialized}`, "init", "-input=false"], { env: { ...process.env, CHECKPOINT_DISABLE: "1" }, stdio: "pipe" });
  }
  return initialized;
}
afterAll(() => initialized && rmSync(initialized, { recursive: true, force: true }));

/**
 * The lab project with lab-hosts synthesized as a real Terraform configuration whose local state
 * has serial 42: `terraform state pull` is the real one (initialized, offline).
 */
function labProject() {
  const p = opsProject("lab");
  projects.push(p);
  const dir = join(p.dir, "cdktf.out/stacks/lab-hosts");
  mkdirSync(join(p.dir, "state"));
  writeFileSync(join(p.dir, "state/lab-hosts.tfstate"), JSON.stringify({ version: 4, terraform_version: "1.11.0", serial: 42, lineage: "0d5f9a7e-2a7c-4c53-9d3f-6b1b8c9e1f00", outputs: {}, resources: [] }));
  writeFileSync(join(dir, "cdk.tf.json"), LAB_HOSTS_CONFIG);
  writeFileSync(join(p.dir, "cdktf.out/stacks/lab-acl/cdk.tf.json"), "{}");
  cpSync(join(initializedLabHosts(), ".terraform"), join(dir, ".terraform"), { recursive: true });
  return p;
}

const snapshotDirs = (root: string) => readdirSync(join(root, "state/snapshots/lab"));

describe("scripts/ops/deploy.sh", () => {
  it("passes shellcheck", () => {
    requireTool("shellcheck");
    const run = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
    expect(run.stdout).toBe("");
    expect(run.status).toBe(0);
  });

  it("saves both snapshots, named after the stack's state serial and private to the operator, before applying a plan that changes hosts", () => {
    const p = labProject();
    p.update((c) => (c.plans["lab-hosts"] = { resource_changes: [change("hcloud_server.Cluster_server-1_1A2B3C4D", "update"), change("hcloud_network.Net", "no-op")] }));
    const run = p.run("deploy.sh", ["lab", "lab-hosts"]);
    expect(run.stderr).not.toContain("deploy.sh");
    expect(run.code).toBe(0);
    const [dir] = snapshotDirs(p.dir);
    expect(dir).toMatch(/^lab-hosts-serial-42-\d{8}T\d{6}Z$/);
    const target = join(p.dir, "state/snapshots/lab", dir);
    expect(readdirSync(target).sort()).toEqual(["changes.txt", "consul.snap", "nomad.snap"]);
    expect(readFileSync(join(target, "changes.txt"), "utf8")).toBe("hcloud_server.Cluster_server-1_1A2B3C4D (update)\n");
    for (const file of ["consul.snap", "nomad.snap"]) expect((statSync(join(target, file)).mode & 0o777).toString(8)).toBe("600");
    for (const d of ["state/snapshots", "state/snapshots/lab", `state/snapshots/lab/${dir}`]) expect((statSync(join(p.dir, d)).mode & 0o777).toString(8)).toBe("700");
    const log: string[] = p.cluster().log;
    const apply = log.indexOf("terraform -chdir=cdktf.out/stacks/lab-hosts apply -input=false hashilab-deploy.tfplan");
    expect(log.findIndex((l) => l.startsWith("nomad operator snapshot save"))).toBeLessThan(apply);
    expect(log.findIndex((l) => l.startsWith("consul snapshot save"))).toBeLessThan(apply);
    expect(log[0]).toBe("npm run --silent synth");
    // Never in git: state/ is ignored.
    expect(spawnSync("git", ["-C", join(__dirname, ".."), "check-ignore", "-q", `state/snapshots/lab/${dir}/nomad.snap`]).status).toBe(0);
    // The saved plan (it holds the applied values) is gone.
    expect(readdirSync(join(p.dir, "cdktf.out/stacks/lab-hosts"))).not.toContain("hashilab-deploy.tfplan");
    for (const secret of Object.values(STATE_TOKENS)) expect(run.output).not.toContain(secret);
  });

  it("snapshots before ACL and secret changes in any stack, and not before changes to jobs alone", () => {
    const p = labProject();
    p.update((c) => {
      c.plans["lab-acl"] = { resource_changes: [change("random_uuid.AclBootstrap_NomadManagementSecret_1A0F78C1", "delete", "create")] };
      c.plans["lab-hosts"] = { resource_changes: [change("nomad_job.Gitea", "update")] };
    });
    const run = p.run("deploy.sh", ["lab", "lab-acl", "lab-hosts"]);
    expect(run.code).toBe(0);
    expect(snapshotDirs(p.dir)).toEqual([expect.stringMatching(/^lab-acl-serial-0-/)]);
    expect(run.stdout).toContain("random_uuid.AclBootstrap_NomadManagementSecret_1A0F78C1 (delete, create)");
    expect(p.cluster().log.filter((l: string) => / apply /.test(l))).toHaveLength(2);
  });

  it("passes -replace on to terraform plan, so that a rotation is snapshotted like any change", () => {
    const p = labProject();
    p.update((c) => (c.plans["lab-acl"] = { resource_changes: [change("random_uuid.AclBootstrap_NomadManagementSecret_1A0F78C1", "delete", "create")] }));
    const run = p.run("deploy.sh", ["lab", "lab-acl", "-replace=random_uuid.AclBootstrap_NomadManagementSecret_1A0F78C1"]);
    expect(run.code).toBe(0);
    expect(p.cluster().log).toContain(
      "terraform -chdir=cdktf.out/stacks/lab-acl plan -input=false -detailed-exitcode -replace=random_uuid.AclBootstrap_NomadManagementSecret_1A0F78C1 -out=hashilab-deploy.tfplan",
    );
    expect(snapshotDirs(p.dir)).toEqual([expect.stringMatching(/^lab-acl-serial-0-/)]);
  });

  it("applies nothing and saves nothing when the plan has no changes", () => {
    const p = labProject();
    const run = p.run("deploy.sh", ["lab", "lab-hosts"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("deploy.sh: lab-hosts has no changes");
    expect(p.cluster().log.filter((l: string) => / apply |snapshot save/.test(l))).toEqual([]);
  });

  it("deploys a first time without a snapshot: the acl stack has no tokens yet, so there is no cluster", () => {
    const p = labProject();
    p.update((c) => {
      delete c.outputs["lab-acl nomad_token"];
      c.plans["lab-hosts"] = { resource_changes: [change("hcloud_server.Cluster_server-1_1A2B3C4D", "create")] };
    });
    const run = p.run("deploy.sh", ["lab", "lab-hosts"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("lab-acl has no tokens yet (a first deploy): no cluster to snapshot");
    expect(p.cluster().log).toContain("terraform -chdir=cdktf.out/stacks/lab-hosts apply -input=false hashilab-deploy.tfplan");
  });

  it("fails, applying nothing, when a snapshot cannot be saved (the state's token is refused)", () => {
    const p = labProject();
    p.update((c) => {
      c.nomad.tokens = ["someone-elses-token"];
      c.plans["lab-hosts"] = { resource_changes: [change("terraform_data.Cluster_Delivery_server-1_0A1B2C3D", "delete", "create")] };
    });
    const run = p.run("deploy.sh", ["lab", "lab-hosts"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Failed to get save snapshot: Unexpected response code: 403 (Permission denied)");
    expect(run.stderr).toContain("deploy.sh: the snapshots before lab-hosts failed (above); nothing applied");
    expect(p.cluster().log.filter((l: string) => / apply /.test(l))).toEqual([]);
  });

  it("fails for a stack of another environment, one the app does not have, or an option it does not pass on", () => {
    const p = labProject();
    expect(p.run("deploy.sh", ["lab", "home-hosts"])).toMatchObject({ code: 2, stderr: "deploy.sh: 'home-hosts' is not a stack of lab (its stacks are named lab-hosts, lab-acl, ...)\n" });
    expect(p.run("deploy.sh", ["lab"])).toMatchObject({ code: 2 });
    expect(p.run("deploy.sh", ["lab", "lab-acl", "lab-hosts", "-replace=random_uuid.X"])).toMatchObject({
      code: 2,
      stderr: "deploy.sh: -replace names a resource of one stack; deploy that stack alone\n",
    });
    expect(p.run("deploy.sh", ["lab", "lab-acl", "-auto-approve"]).stderr).toContain("unknown option '-auto-approve'");
    expect(p.run("deploy.sh", ["lab", "lab-platform"])).toMatchObject({
      code: 2,
      stderr: "deploy.sh: the app has no stack lab-platform; the synthesized ones are the folders in cdktf.out/stacks\n",
    });
  });
});
