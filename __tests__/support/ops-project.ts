import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { standInCommands } from "./stand-in";

const ROOT = join(__dirname, "..", "..");
const FAKE = join(__dirname, "fake-cluster.mjs");

/** The management secrets in the acl stack's state (Terraform outputs nomad_token, consul_token). */
export const STATE_TOKENS = { nomad: "3f9c1d2e-0000-4000-8000-00000000a001", consul: "3f9c1d2e-0000-4000-8000-00000000a002" } as const;
export const LIVE_NODE_IDS = ["8d2c0e52-1f6c-5b0a-9a3e-000000000001", "8d2c0e52-1f6c-5b0a-9a3e-000000000002", "8d2c0e52-1f6c-5b0a-9a3e-000000000003"];

/** What the fake cluster records of one system besides its data: set by a restore, by the acl stack's bootstrap, by a deregistration. */
interface Recorded {
  restoredFrom?: string;
  agentTokens?: boolean;
  deregistered?: string[];
}

/**
 * A project folder where scripts/ops/ run against the fake cluster (support/fake-cluster.mjs;
 * the test file's afterAll stops its server with stopStandIns):
 * lab (three servers behind the hosts stack's outputs, SSH to their public addresses) or dev
 * (local agents that read acl-bootstrap-reset from their working directory).
 */
export function opsProject(env: "lab" | "dev") {
  const dir = mkdtempSync(join(tmpdir(), `hashilab-ops-${process.pid}-`));
  const stacks = join(dir, "cdktf.out", "stacks");
  mkdirSync(join(stacks, `${env}-acl`), { recursive: true });
  if (env === "lab") mkdirSync(join(stacks, "lab-hosts"), { recursive: true });
  const bin = join(dir, "bin");
  const fakeEnv = standInCommands(FAKE, bin, ["nomad", "consul", "curl", "ssh", "terraform", "npm"], ["FAKE_CLUSTER", "NOMAD_TOKEN", "CONSUL_HTTP_TOKEN"]);
  /** The server that leads (and so reads acl-bootstrap-reset) in the fake: server 2. */
  const leaderSshIp = "203.0.113.11";
  const resetDir = env === "lab" ? undefined : join(dir, "agent");
  if (resetDir) mkdirSync(resetDir);
  const http = env === "lab" ? "https://203.0.113.10" : "http://127.0.0.1";
  const cluster = {
    log: [] as string[],
    outputs: {
      [`${env}-acl nomad_address`]: `${http}:4646`,
      [`${env}-acl consul_address`]: `${http}:${env === "lab" ? 8501 : 8500}`,
      [`${env}-acl nomad_token`]: STATE_TOKENS.nomad,
      [`${env}-acl consul_token`]: STATE_TOKENS.consul,
      ...(env === "lab"
        ? {
            "lab-hosts ca_certificate": "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----",
            "lab-hosts server_public_ips": JSON.stringify(["203.0.113.10", leaderSshIp, "203.0.113.12"], null, 2),
            "lab-hosts server_private_ips": JSON.stringify(["10.0.1.5", "10.0.1.6", "10.0.1.7"], null, 2),
          }
        : {}),
    } as Record<string, string>,
    stateList: {
      [`${env}-acl`]: [
        "random_uuid.AclBootstrap_NomadManagementSecret_1A0F78C1",
        "terraform_data.AclBootstrap_Consul_BEFA9394",
        "terraform_data.AclBootstrap_Nomad_AC27DB49",
      ],
    } as Record<string, string[]>,
    plans: {} as Record<string, { resource_changes: { address: string; type: string; change: { actions: string[] } }[] }>,
    hostsDir: join(dir, "hosts"),
    unreachable: [] as string[],
    resetFile: {
      nomad: resetDir ? join(resetDir, "acl-bootstrap-reset") : join(dir, "hosts", leaderSshIp, "opt/nomad/data/server/acl-bootstrap-reset"),
      consul: resetDir ? join(resetDir, "acl-bootstrap-reset") : join(dir, "hosts", leaderSshIp, "opt/consul/acl-bootstrap-reset"),
    },
    members: ["server-1", "server-2", "server-3"].map((n, i) => ({ Name: `${env}-${n}`, Status: 1, Tags: { id: LIVE_NODE_IDS[i] } })),
    nomad: { tokens: [STATE_TOKENS.nomad] as string[], bootstrapped: true, resetIndex: 7, jobs: ["it-tools"], vars: ["nomad/jobs/raft-snapshots"], policies: ["operators"] } as Recorded & Record<string, any>,
    consul: {
      tokens: [STATE_TOKENS.consul] as string[],
      bootstrapped: true,
      resetIndex: 12,
      policies: ["global-management", "consul-agents"],
      services: ["consul"],
      nodes: ["server-1", "server-2", "server-3"].map((n, i) => ({ Node: `${env}-${n}`, ID: LIVE_NODE_IDS[i] })),
    } as Recorded & Record<string, any>,
  };
  if (env === "lab") for (const ip of ["203.0.113.10", leaderSshIp, "203.0.113.12"]) {
    mkdirSync(join(dir, "hosts", ip, "opt/nomad/data/server"), { recursive: true });
    mkdirSync(join(dir, "hosts", ip, "opt/consul"), { recursive: true });
  }
  const clusterFile = join(dir, "cluster.json");
  const write = (c: typeof cluster) => writeFileSync(clusterFile, JSON.stringify(c, null, 2));
  write(cluster);

  return {
    dir,
    leaderSshIp,
    /** The fake cluster as it is now. */
    cluster: (): typeof cluster => JSON.parse(readFileSync(clusterFile, "utf8")),
    /** Changes the fake cluster before a run. */
    update(change: (c: typeof cluster) => void) {
      const c = JSON.parse(readFileSync(clusterFile, "utf8"));
      change(c);
      write(c);
    },
    /** A snapshot file of `system` holding `data` (what the fake's `snapshot save` writes). */
    snapshot(name: string, system: "nomad" | "consul", data: object): string {
      writeFileSync(join(dir, name), JSON.stringify({ system, index: 5, ...data }));
      return name;
    },
    /** Runs scripts/ops/<script> in the project folder. */
    run(script: string, args: string[], env: Record<string, string> = {}) {
      const run = spawnSync("bash", [join(ROOT, "scripts", "ops", script), ...args], {
        cwd: dir,
        encoding: "utf8",
        env: {
          ...process.env,
          PATH: `${bin}:${process.env.PATH}`,
          FAKE_CLUSTER: clusterFile,
          ...fakeEnv,
          ...(resetDir ? { HASHILAB_DEV_AGENT_DIR: resetDir } : {}),
          ...env,
        },
      });
      return { code: run.status, stdout: run.stdout, stderr: run.stderr, output: run.stdout + run.stderr };
    },
  };
}
