import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { lab } from "../environments";
import { resourcesOf, synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";

const ROOT = join(__dirname, "..");
const JUDGE = join(ROOT, "scripts", "ci", "renewal-plan.mjs");
const RENEW = join(ROOT, "scripts", "ci", "renew-certificates.sh");
const hosts = synthEnvironment(lab)["lab-hosts"];
const address = (type: string, prefix: string) => `${type}.${Object.keys(resourcesOf(hosts, type)).find((name) => name.startsWith(prefix))}`;
const CERT = address("tls_locally_signed_cert", "Cluster_Pki_ServerCert-1_");
const DELIVERY = address("terraform_data", "Cluster_ServerSecrets-1_Delivery_");
const SERVER = address("hcloud_server", "Cluster_Server-1_");

/** A plan as `terraform show -json` prints it: each resource change with its actions. */
const plan = (...changes: Array<[string, string[]]>) =>
  JSON.stringify({ format_version: "1.2", resource_changes: changes.map(([addr, actions]) => ({ address: addr, type: addr.split(".")[0], change: { actions } })) });
const judge = (input: string) => spawnSync(JUDGE, [], { input, encoding: "utf8" });

describe("host certificates renew without a manual plan", () => {
  it("runs daily (and on demand) on the operator's self-hosted runner, in the environment holding the delivery key", () => {
    const wf = parse(readFileSync(join(ROOT, ".github", "workflows", "renew-certificates.yml"), "utf8"));
    expect(wf.on.schedule).toEqual([{ cron: "17 4 * * *" }]);
    expect(Object.keys(wf.on)).toEqual(["schedule", "workflow_dispatch"]);
    expect(wf.jobs.renew["runs-on"]).toEqual(["self-hosted", "hashilab-operator"]);
    expect(wf.jobs.renew.environment).toBe("renew");
    expect(wf.jobs.renew.steps.at(-1)).toMatchObject({ run: 'scripts/ci/renew-certificates.sh "$ENVIRONMENT"', env: { SSH_PRIVATE_KEY: "${{ secrets.SSH_PRIVATE_KEY }}" } });
  });

  it("applies a plan that only re-issues host certificates and re-runs those hosts' deliveries", () => {
    const run = judge(plan([CERT, ["delete", "create"]], [DELIVERY, ["delete", "create"]], [SERVER, ["no-op"]]));
    expect([run.status, run.stdout]).toEqual([0, `renewal-plan: renews ${CERT}; re-delivers 1 host(s) one at a time\n`]);
  });

  it("does nothing when nothing is due", () => {
    expect(judge(plan([CERT, ["no-op"]], [DELIVERY, ["no-op"]])).status).toBe(3);
  });

  it.each([
    ["a server change", [[CERT, ["delete", "create"]], [SERVER, ["update"]]], SERVER],
    ["a CA rotation step", [[CERT, ["delete", "create"]], [address("tls_private_key", "Cluster_Pki_CaKey_"), ["delete", "create"]]], "tls_private_key.Cluster_Pki_CaKey_"],
    ["a delivery without a renewed certificate (a new script)", [[DELIVERY, ["delete", "create"]]], "no certificate is renewed"],
  ])("fails, naming it, for a plan with %s: undeployed changes are for a person", (_what, changes, named) => {
    const run = judge(plan(...(changes as Array<[string, string[]]>)));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("not applied unattended");
    expect(run.stderr).toContain(named);
  });

  it("reads Terraform's own plan JSON: a replaced terraform_data shows as delete, create; an unchanged plan as nothing due", () => {
    requireTool("terraform");
    const dir = mkdtempSync(join(tmpdir(), `hashilab-renewal-${process.pid}-`));
    try {
      const name = DELIVERY.split(".")[1];
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ variable: { cert: { type: "string" } }, resource: { terraform_data: { [name]: { triggers_replace: ["${var.cert}"] } } } }));
      const tf = (...args: string[]) => execFileSync("terraform", args, { cwd: dir, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" } });
      tf("init", "-input=false");
      tf("apply", "-input=false", "-auto-approve", "-var", "cert=one");
      tf("plan", "-input=false", "-var", "cert=one", "-out=same.tfplan");
      expect(judge(tf("show", "-json", "same.tfplan")).status).toBe(3);
      tf("plan", "-input=false", "-var", "cert=two", "-out=renewed.tfplan");
      const shown = JSON.parse(tf("show", "-json", "renewed.tfplan"));
      expect(shown.resource_changes.map((c: any) => [c.address, c.change.actions])).toEqual([[DELIVERY, ["delete", "create"]]]);
      // Alone, a re-delivery is no renewal.
      expect(judge(JSON.stringify(shown)).status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("renew-certificates.sh", () => {
    let dir: string;
    let bin: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), `hashilab-renew-${process.pid}-`));
      bin = join(dir, "bin");
      mkdirSync(bin);
      mkdirSync(join(dir, "cdktf.out", "stacks", "lab-hosts"), { recursive: true });
      writeFileSync(join(dir, "cdktf.out", "stacks", "lab-hosts", "cdk.tf.json"), "{}");
      mkdirSync(join(dir, "scripts", "ci"), { recursive: true });
      writeFileSync(join(dir, "scripts", "ci", "renewal-plan.mjs"), readFileSync(JUDGE));
      chmodSync(join(dir, "scripts", "ci", "renewal-plan.mjs"), 0o755);
      const stub = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
      // Stand-ins that record what they were asked; `show -json` prints the plan under test.
      stub("terraform", `echo "terraform $*" >> "${dir}/calls"; case " $* " in *" show "*) cat "${dir}/plan.json" ;; esac`);
      stub("ssh-agent", `echo "ssh-agent $*" >> "${dir}/calls"; [ "$1" = -s ] && echo 'SSH_AUTH_SOCK=/tmp/x; export SSH_AUTH_SOCK; SSH_AGENT_PID=1; export SSH_AGENT_PID;'; true`);
      stub("ssh-add", `echo "ssh-add $* $(cat)" >> "${dir}/calls"`);
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const renew = (planJson: string, env: Record<string, string> = { SSH_PRIVATE_KEY: "KEY" }) => {
      writeFileSync(join(dir, "plan.json"), planJson);
      const run = spawnSync(RENEW, ["lab"], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}`, ...env }, encoding: "utf8" });
      const calls = readFileSync(join(dir, "calls"), { encoding: "utf8", flag: "a+" }).trim().split("\n");
      return { ...run, calls };
    };
    const C = "-chdir=cdktf.out/stacks/lab-hosts";

    it("plans, applies exactly the saved renewal plan, the key only in the agent's memory", () => {
      const run = renew(plan([CERT, ["delete", "create"]], [DELIVERY, ["delete", "create"]]));
      expect(run.status).toBe(0);
      expect(run.calls).toEqual([
        "ssh-agent -s",
        "ssh-add - KEY",
        `terraform ${C} init -input=false`,
        `terraform ${C} plan -input=false -lock-timeout=5m -out=renewal.tfplan`,
        `terraform ${C} show -json renewal.tfplan`,
        `terraform ${C} apply -input=false renewal.tfplan`,
        "ssh-agent -k",
      ]);
    });

    it("applies nothing when nothing is due, or when the plan holds other changes", () => {
      expect(renew(plan()).calls).not.toContain(`terraform ${C} apply -input=false renewal.tfplan`);
      rmSync(join(dir, "calls"));
      const refused = renew(plan([CERT, ["delete", "create"]], [SERVER, ["update"]]));
      expect(refused.status).toBe(1);
      expect(refused.calls.filter((c) => c.includes(" apply "))).toEqual([]);
    });

    it("fails without the delivery key, before planning", () => {
      const run = renew(plan(), {});
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain("SSH_PRIVATE_KEY (the key Terraform delivers with) is not set");
      expect(run.calls.filter((c) => c.startsWith("terraform"))).toEqual([]);
    });
  });
});
