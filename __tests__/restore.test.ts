import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { home, lab } from "../environments";
import { LIVE_NODE_IDS, opsProject, STATE_TOKENS } from "./support/ops-project";
import { stopStandIns } from "./support/stand-in";
import { resourcesOf, synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";

const SCRIPT = join(__dirname, "..", "scripts", "ops", "restore.sh");
/** The management token of a snapshot taken before the last rotation. */
const OLD_TOKEN = { nomad: "0ld00000-0000-4000-8000-00000000b001", consul: "0ld00000-0000-4000-8000-00000000b002" };
const NOMAD_DATA = { jobs: ["it-tools", "gitea"], vars: ["nomad/jobs/gitea"], policies: ["operators", "developers"] };

const projects: { dir: string }[] = [];
function project(env: "lab" | "dev") {
  const p = opsProject(env);
  projects.push(p);
  return p;
}
afterAll(() => {
  stopStandIns();
  projects.forEach((p) => rmSync(p.dir, { recursive: true, force: true }));
});

/** No secret of the state may reach the terminal. */
function expectNoSecrets(output: string) {
  for (const secret of Object.values(STATE_TOKENS)) expect(output).not.toContain(secret);
}

describe("scripts/ops/restore.sh", () => {
  it("passes shellcheck", () => {
    requireTool("shellcheck");
    const run = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
    expect(run.stdout).toBe("");
    expect(run.status).toBe(0);
  });

  it("writes the bootstrap reset index where each server reads it (HOST_PATHS' data dirs)", () => {
    const script = spawnSync("cat", [SCRIPT], { encoding: "utf8" }).stdout;
    expect(script).toContain(`host_reset_file=${HOST_PATHS.nomadDataDir}/server/acl-bootstrap-reset`);
    expect(script).toContain(`host_reset_file=${HOST_PATHS.consulDataDir}/acl-bootstrap-reset`);
  });

  it("fails without --yes: prints what it would do and changes nothing", () => {
    const p = project("lab");
    const run = p.run("restore.sh", ["lab", "nomad", p.snapshot("nomad.snap", "nomad", { tokens: [OLD_TOKEN.nomad], bootstrapped: true, resetIndex: 3, ...NOMAD_DATA })]);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain("restore.sh will, in lab's Nomad at https://203.0.113.10:4646:");
    expect(run.stdout).toContain("terraform apply -replace=terraform_data.AclBootstrap_Nomad_AC27DB49");
    expect(run.stderr).toContain("nothing done. This replaces the live state of lab; run again with --yes");
    expect(p.cluster().log.filter((l: string) => /snapshot restore|bootstrap|apply|ssh/.test(l))).toEqual([]);
  });

  it("restores a snapshot whose tokens are the state's, then re-runs the acl stack's bootstrap so the agent tokens exist again", () => {
    const p = project("lab");
    // A hostile file name: quotes, spaces and a command substitution stay one argument, never run.
    const snap = p.snapshot(`it's a "snap" $(touch pwned).snap`, "nomad", { tokens: [STATE_TOKENS.nomad], bootstrapped: true, resetIndex: 7, ...NOMAD_DATA });
    const run = p.run("restore.sh", ["lab", "nomad", snap, "--yes"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(existsSync(join(p.dir, "pwned"))).toBe(false);
    const cluster = p.cluster();
    expect(cluster.nomad).toMatchObject({ jobs: NOMAD_DATA.jobs, restoredFrom: snap, agentTokens: true });
    expect(cluster.log.filter((l: string) => !l.startsWith("terraform -chdir=cdktf.out/stacks/lab-hosts output"))).toEqual([
      "terraform -chdir=cdktf.out/stacks/lab-acl output -raw nomad_address",
      "terraform -chdir=cdktf.out/stacks/lab-acl output -raw consul_address",
      "terraform -chdir=cdktf.out/stacks/lab-acl output -raw nomad_token",
      "terraform -chdir=cdktf.out/stacks/lab-acl output -raw consul_token",
      "terraform -chdir=cdktf.out/stacks/lab-acl state list",
      `nomad operator snapshot inspect ${snap}`,
      "nomad acl token self",
      `nomad operator snapshot restore ${snap}`,
      "nomad acl token self",
      "terraform -chdir=cdktf.out/stacks/lab-acl apply -input=false -auto-approve -replace=terraform_data.AclBootstrap_Nomad_AC27DB49",
    ]);
    expect(run.stdout).toContain("Snapshot Restored");
    expectNoSecrets(run.output);
  });

  it("reconciles an old Nomad snapshot whose management token is not the state's: reset index on the servers over SSH, bootstrap with the state's secret", () => {
    const p = project("lab");
    const snap = p.snapshot("old.snap", "nomad", { tokens: [OLD_TOKEN.nomad], bootstrapped: true, resetIndex: 3, ...NOMAD_DATA });
    const run = p.run("restore.sh", ["lab", "nomad", snap, "--yes"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const cluster = p.cluster();
    // Both work: the state's (bootstrapped again) and the snapshot's, until the operator deletes it.
    expect(cluster.nomad.tokens).toEqual([OLD_TOKEN.nomad, STATE_TOKENS.nomad]);
    expect(cluster.nomad.agentTokens).toBe(true);
    expect(cluster.log).toContain(`ssh -o BatchMode=yes root@${p.leaderSshIp} echo 3 > /opt/nomad/data/server/acl-bootstrap-reset`);
    expect(cluster.log).toContain(`ssh -o BatchMode=yes root@${p.leaderSshIp} rm -f /opt/nomad/data/server/acl-bootstrap-reset`);
    expect(existsSync(cluster.resetFile.nomad)).toBe(false);
    expect(run.stdout).toContain("does not know lab-acl's management token (a snapshot older than its last rotation)");
    expect(run.stdout).toContain("writing the reset index 3 on every server (ssh root@{203.0.113.10 203.0.113.11 203.0.113.12} 'echo <index> > /opt/nomad/data/server/acl-bootstrap-reset')");
    for (const ip of ["203.0.113.10", "203.0.113.11", "203.0.113.12"]) expect(existsSync(join(p.dir, "hosts", ip, "opt/nomad/data/server/acl-bootstrap-reset"))).toBe(false);
    expectNoSecrets(run.output);
  });

  it("reconciles an old Consul snapshot the same way and deregisters the nodes the snapshot knows under other IDs", () => {
    const p = project("lab");
    const oldNodes = ["server-1", "server-2", "server-3"].map((n, i) => ({ Node: `lab-${n}`, ID: `0ld0e52-1f6c-5b0a-9a3e-00000000000${i}` }));
    const snap = p.snapshot("consul.snap", "consul", {
      tokens: [OLD_TOKEN.consul],
      bootstrapped: true,
      resetIndex: 4,
      policies: ["global-management", "consul-agents"],
      services: ["consul", "gitea"],
      nodes: [...oldNodes.slice(0, 2), { Node: "lab-server-3", ID: LIVE_NODE_IDS[2] }, { Node: "lab-client-9", ID: "gone" }],
    });
    const run = p.run("restore.sh", ["lab", "consul", snap, "--yes"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const cluster = p.cluster();
    expect(cluster.consul.tokens).toEqual([OLD_TOKEN.consul, STATE_TOKENS.consul]);
    expect(cluster.log).toContain(`ssh -o BatchMode=yes root@${p.leaderSshIp} echo 4 > /opt/consul/acl-bootstrap-reset`);
    // Only live agents whose ID differs: server-3 kept its ID, client-9 has no agent (Consul reaps it).
    expect(cluster.consul.deregistered).toEqual(["lab-server-1", "lab-server-2"]);
    expect(cluster.log).toContain("terraform -chdir=cdktf.out/stacks/lab-acl apply -input=false -auto-approve -replace=terraform_data.AclBootstrap_Consul_BEFA9394");
    expectNoSecrets(run.output);
  });

  it("bootstraps first when an earlier restore left the state's token unknown, so the restore itself is allowed", () => {
    const p = project("lab");
    p.update((c) => Object.assign(c.nomad, { tokens: [OLD_TOKEN.nomad], resetIndex: 3 }));
    const run = p.run("restore.sh", ["lab", "nomad", p.snapshot("nomad.snap", "nomad", { tokens: [STATE_TOKENS.nomad], bootstrapped: true, resetIndex: 7, ...NOMAD_DATA }), "--yes"]);
    expect(run.code).toBe(0);
    const log: string[] = p.cluster().log;
    expect(log.indexOf(`ssh -o BatchMode=yes root@${p.leaderSshIp} echo 3 > /opt/nomad/data/server/acl-bootstrap-reset`)).toBeLessThan(log.indexOf("nomad operator snapshot restore nomad.snap"));
  });

  it("fails for a wrong system name, a missing or encrypted snapshot, or a drill given an environment", () => {
    const p = project("lab");
    p.snapshot("nomad.snap", "nomad", {});
    expect(p.run("restore.sh", ["lab", "vault", "nomad.snap", "--yes"])).toMatchObject({ code: 2, stderr: "restore.sh: the system is nomad or consul, not 'vault'\n" });
    expect(p.run("restore.sh", ["lab", "nomad", "missing.snap", "--yes"])).toMatchObject({ code: 2, stderr: "restore.sh: snapshot file 'missing.snap' not found (or not readable)\n" });
    p.snapshot("nomad.snap.age", "nomad", {});
    expect(p.run("restore.sh", ["lab", "nomad", "nomad.snap.age", "--yes"]).stderr).toContain("is encrypted; decrypt it first: age --decrypt");
    expect(p.run("restore.sh", ["--drill", "lab", "nomad", "nomad.snap"]).code).toBe(2);
    expect(p.run("restore.sh", ["lab", "nomad", "nomad.snap", "--force"]).stderr).toContain("unknown option '--force'");
    expect(p.cluster().log.filter((l: string) => /snapshot restore/.test(l))).toEqual([]);
  });

  it("fails for a file that is no snapshot of that system, before touching the cluster", () => {
    const p = project("lab");
    const run = p.run("restore.sh", ["lab", "consul", p.snapshot("nomad.snap", "nomad", {}), "--yes"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Error inspecting snapshot: gzip: invalid header");
    expect(run.stderr).toContain("restore.sh: nomad.snap is not a Consul snapshot (above); nothing restored");
    expect(p.cluster().log.filter((l: string) => /snapshot restore|bootstrap|apply/.test(l))).toEqual([]);
  });

  it("writes the reset index on every server SSH reaches (whichever leads), and fails when it reaches none", () => {
    const p = project("lab");
    const snap = p.snapshot("old.snap", "nomad", { tokens: [OLD_TOKEN.nomad], bootstrapped: true, resetIndex: 3, ...NOMAD_DATA });
    p.update((c) => (c.unreachable = ["203.0.113.12"]));
    const run = p.run("restore.sh", ["lab", "nomad", snap, "--yes"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("restore.sh: ssh root@203.0.113.12 failed (above); going on with the other servers");
    expect(p.cluster().nomad.tokens).toContain(STATE_TOKENS.nomad);

    const down = project("lab");
    down.update((c) => (c.unreachable = ["203.0.113.10", "203.0.113.11", "203.0.113.12"]));
    const failed = down.run("restore.sh", ["lab", "nomad", down.snapshot("old.snap", "nomad", { tokens: [OLD_TOKEN.nomad], bootstrapped: true, resetIndex: 3, ...NOMAD_DATA }), "--yes"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("restore.sh: no server of lab took the reset index over SSH (203.0.113.10 203.0.113.11 203.0.113.12)");
    expect(down.cluster().log.filter((l: string) => / apply /.test(l))).toEqual([]);
  });

  it("fails for an environment without hosts whose agents are not local: no data dir it could reach", () => {
    const p = project("dev");
    p.update((c) => (c.outputs["dev-acl nomad_address"] = "https://nomad.example.net:4646"));
    const run = p.run("restore.sh", ["dev", "nomad", p.snapshot("nomad.snap", "nomad", {}), "--yes"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("restore.sh: dev has no hosts stack and its agents are not local (https://nomad.example.net:4646)");
  });
});

describe("restore.sh --drill (into the dev agents)", () => {
  it("restores, reconciles the dev state's tokens through the agents' working directory and checks jobs, variables and ACL policies", () => {
    const p = project("dev");
    const run = p.run("restore.sh", ["--drill", "nomad", p.snapshot("lab-nomad.snap", "nomad", { tokens: [OLD_TOKEN.nomad], bootstrapped: true, resetIndex: 3, ...NOMAD_DATA })]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("drill: the dev agent holds 2 jobs, 1 variables and 2 ACL policies from the snapshot");
    expect(run.stdout).toContain("drill passed");
    expect(p.cluster().nomad.tokens).toContain(STATE_TOKENS.nomad);
    expect(p.cluster().log.some((l: string) => l.startsWith("ssh"))).toBe(false);
    expectNoSecrets(run.output);
  });

  it("checks Consul's ACL policies and services", () => {
    const p = project("dev");
    const snap = p.snapshot("lab-consul.snap", "consul", { tokens: [OLD_TOKEN.consul], bootstrapped: true, resetIndex: 4, policies: ["global-management", "consul-agents", "nomad-agents"], services: ["consul", "gitea"], nodes: [] });
    const run = p.run("restore.sh", ["--drill", "consul", snap]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("drill: the dev agent holds 2 ACL policies (besides global-management) and 2 services");
  });

  it("fails a drill whose snapshot restored no jobs", () => {
    const p = project("dev");
    const run = p.run("restore.sh", ["--drill", "nomad", p.snapshot("empty.snap", "nomad", { tokens: [OLD_TOKEN.nomad], bootstrapped: true, resetIndex: 3, jobs: [], vars: [], policies: [] })]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("drill failed: a cluster of hashilab's has jobs and ACL policies; this snapshot restored none");
  });
});

describe("the runbooks' deploy and restore commands", () => {
  const doc = readFileSync(join(__dirname, "..", "docs", "operations.md"), "utf8");
  const invocations = (script: string) => [...doc.matchAll(new RegExp(`npm run ${script} -- ([^\`\\n]+)`, "g"))].map((m) => m[1].trim().split(/\s+/));
  const scripts = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")).scripts;

  it("name package.json scripts that run scripts/ops/", () => {
    expect(scripts.deploy).toBe("bash scripts/ops/deploy.sh");
    expect(scripts.restore).toBe("bash scripts/ops/restore.sh");
  });

  it("deploy stacks the environment (lab or home) has, replacing resources those stacks have", () => {
    const synthesized = { lab: synthEnvironment(lab), home: synthEnvironment(home) };
    const named = invocations("deploy");
    expect(named.length).toBeGreaterThan(2);
    for (const [env, ...rest] of named) {
      expect(Object.keys(synthesized)).toContain(env);
      const stacks = synthesized[env as keyof typeof synthesized];
      const names = rest.filter((a) => !a.startsWith("-"));
      for (const stack of names) expect(Object.keys(stacks)).toContain(stack);
      for (const option of rest.filter((a) => a.startsWith("-"))) {
        const [type, id] = option.replace(/^-replace=/, "").split(".");
        expect(names).toHaveLength(1);
        expect(Object.keys(resourcesOf(stacks[names[0]], type))).toContain(id);
      }
    }
  });

  it("restore with arguments restore.sh takes: each one reaches its plan (and a drill its end) against the fake cluster", () => {
    const named = invocations("restore");
    expect(named.filter((args) => args.includes("--drill"))).toHaveLength(2);
    for (const args of named) {
      const drill = args.includes("--drill");
      const p = project(drill ? "dev" : "lab");
      for (const system of ["nomad", "consul"] as const) {
        p.snapshot(`${system}.snap`, system, { tokens: [OLD_TOKEN[system]], bootstrapped: true, resetIndex: 3, ...NOMAD_DATA, policies: ["global-management", "operators"], services: ["consul"], nodes: [] });
      }
      // Without --yes a restore stops after its plan: nothing is restored here.
      const run = p.run("restore.sh", args.filter((a) => a !== "--yes"));
      expect(`${args.join(" ")}: ${run.code}`).toBe(`${args.join(" ")}: ${drill ? 0 : 3}`);
    }
  });
});
