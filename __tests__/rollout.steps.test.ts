import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { SERVERS } from "./support/agent-apis";
import { CONSUL_NODE_IDS, rolloutSandbox } from "./support/rollout";
import { cliProblems } from "./support/runbooks";

/** The steps of hashilab-rollout.sh on a sandboxed host, against the CLIs' and APIs' recorded answers. */

const VERSIONS = `${HOST_PATHS.rolloutUploadDir}/agent-versions`;
const APT_INSTALL = "apt-get -o DPkg::Lock::Timeout=300 install -y -qq --allow-downgrades -o Dpkg::Options::=--force-confold";

describe("upgrade: one agent on one host, behind the health gate", () => {
  let host: ReturnType<typeof rolloutSandbox>;
  afterEach(() => host.cleanup());

  const upgrade = (agent: string, versions: string, env: Record<string, string> = {}) => {
    writeFileSync(host.path(VERSIONS), versions);
    return host.run(["upgrade", agent, host.path(VERSIONS)], env);
  };

  it("on a follower: installs, restarts and waits; no leadership transfer", () => {
    host = rolloutSandbox({ me: SERVERS[1], installed: { consul: "1.21.4-1" } });
    const run = upgrade("consul", "consul 1.21.5\n");
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(["apt-get -o DPkg::Lock::Timeout=300 update -qq", `${APT_INSTALL} consul=1.21.5-1`, "systemctl restart consul.service"]);
    expect(run.stdout).toContain(`this server (${SERVERS[1]}) does not lead (leader: ${SERVERS[0]}:8300); no transfer`);
    expect(run.stdout).toContain("consul cluster is healthy");
    expect(existsSync(host.path(HOST_PATHS.pendingRestart))).toBe(false);
  });

  it.each([
    ["the six-column list-peers table", false],
    ["the wider table of later releases", true],
  ])("on the Consul leader: hands leadership to the last server by its Raft ID (%s) and restarts only once another server leads", (_, widePeers) => {
    host = rolloutSandbox({ me: SERVERS[0], installed: { consul: "1.21.4-1" }, widePeers });
    const run = upgrade("consul", "consul 1.21.5\n");
    expect(run.status).toBe(0);
    const tokenFile = host.path(HOST_PATHS.rolloutConsulToken);
    expect(run.calls).toEqual([
      `consul operator raft list-peers -token-file=${tokenFile}`,
      `consul operator raft transfer-leader -token-file=${tokenFile} -id=${CONSUL_NODE_IDS[SERVERS[2]]}`,
      "apt-get -o DPkg::Lock::Timeout=300 update -qq",
      `${APT_INSTALL} consul=1.21.5-1`,
      "systemctl restart consul.service",
    ]);
    expect(host.leader("consul")).toBe(`${SERVERS[2]}:8300`);
    expect(run.stdout).toContain(`consul: ${SERVERS[2]}:8300 leads now`);
  });

  it("on the Nomad leader that comes last: hands leadership to the server before it, with the rollout's token in the CLI's environment only", () => {
    host = rolloutSandbox({ me: SERVERS[2], leaders: { nomad: `${SERVERS[2]}:4647` }, installed: { nomad: "2.0.4-1", "nomad-driver-podman": "0.6.4-1" } });
    const run = upgrade("nomad", "nomad 2.0.5\nnomad-driver-podman 0.6.4\n");
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      `nomad operator raft transfer-leadership -peer-address=${SERVERS[1]}:4647 NOMAD_TOKEN=nomad-rollout-secret`,
      "apt-get -o DPkg::Lock::Timeout=300 update -qq",
      `${APT_INSTALL} nomad=2.0.5-1`,
      "systemctl restart nomad.service",
    ]);
    expect(host.leader("nomad")).toBe(`${SERVERS[1]}:4647`);
  });

  it("on a leader while servers are being added: hands leadership to the last listed server that is a Raft peer already, not to one that has not joined", () => {
    host = rolloutSandbox({ me: SERVERS[0], leaders: { nomad: `${SERVERS[0]}:4647` }, joining: ["10.0.10.14", "10.0.10.15"], installed: { nomad: "2.0.4-1" } });
    const run = upgrade("nomad", "nomad 2.0.5\n");
    expect(run.status).toBe(0);
    expect(run.calls[0]).toBe(`nomad operator raft transfer-leadership -peer-address=${SERVERS[2]}:4647 NOMAD_TOKEN=nomad-rollout-secret`);
    expect(host.leader("nomad")).toBe(`${SERVERS[2]}:4647`);
  });

  it("fails without restarting the leader when leadership does not move, and says so", () => {
    host = rolloutSandbox({ me: SERVERS[0], installed: { consul: "1.21.4-1" }, transfersMove: false });
    const run = upgrade("consul", "consul 1.21.5\n");
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`consul: still led by ${SERVERS[0]}:8300 after 2 attempts; not restarting the leader`);
    expect(run.calls.filter((c) => c.startsWith("apt-get") || c.startsWith("systemctl restart"))).toEqual([]);
  });

  it("restarts the leader without a transfer, and warns, where the ACL stack has not delivered the rollout's tokens yet", () => {
    host = rolloutSandbox({ me: SERVERS[0], installed: { consul: "1.21.4-1" }, tokens: false });
    const run = upgrade("consul", "consul 1.21.5\n");
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/WARNING: no rollout token at .*consul-token .*restarting the consul leader without handing leadership over first/);
    expect(run.calls).toEqual(["apt-get -o DPkg::Lock::Timeout=300 update -qq", `${APT_INSTALL} consul=1.21.5-1`, "systemctl restart consul.service"]);
  });

  it("never transfers from a client host (it holds no Raft state and no token)", () => {
    host = rolloutSandbox({ me: "10.0.1.101", server: false, tokens: false, installed: { nomad: "2.0.4-1" } });
    const run = upgrade("nomad", "nomad 2.0.5\n");
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(["apt-get -o DPkg::Lock::Timeout=300 update -qq", `${APT_INSTALL} nomad=2.0.5-1`, "systemctl restart nomad.service"]);
  });

  it("does nothing on a host that runs the pinned versions (a new host, a re-run)", () => {
    host = rolloutSandbox({ installed: { consul: "1.21.5-1" } });
    const run = upgrade("consul", "consul 1.21.5\n");
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([]);
    expect(run.stdout).toContain("consul: the pinned versions are installed; nothing to do");
  });

  it("restarts an agent a failed run installed but did not bring back, and keeps the other agent's pending restart", () => {
    host = rolloutSandbox({ me: SERVERS[1], installed: { consul: "1.21.5-1" } });
    writeFileSync(host.path(HOST_PATHS.pendingRestart), " consul nomad\n");
    const run = upgrade("consul", "consul 1.21.5\n");
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(["systemctl restart consul.service"]);
    expect(readFileSync(host.path(HOST_PATHS.pendingRestart), "utf8")).toBe("nomad \n");
  });

  it.each([
    ["an agent that is none", ["upgrade", "vault", VERSIONS], 2, "'vault' is not an agent (consul or nomad)"],
    ["no command", [], 2, "usage: hashilab-rollout.sh"],
    ["a missing argument", ["drain", "lab-client-1"], 2, "usage: hashilab-rollout.sh"],
  ])("fails on %s", (_, args, status, message) => {
    host = rolloutSandbox();
    writeFileSync(host.path(VERSIONS), "consul 1.21.5\n");
    const run = host.run(args as string[]);
    expect(run.status).toBe(status);
    expect(run.stderr).toContain(message);
    expect(run.calls).toEqual([]);
  });
});

describe("drain and eligible: a Nomad client around its upgrade, run on a server host with the rollout's token", () => {
  let host: ReturnType<typeof rolloutSandbox>;
  afterEach(() => host.cleanup());
  const CLIENT = { id: "f3a8c2d1-5e6b-4a7c-9d8e-1b2c3d4e5f60", name: "lab-client-1", status: "ready" as const, version: "2.0.4" };
  const byName = `Name == "lab-client-1" and Status != "down"`;
  const byVersion = `ID == "${CLIENT.id}" and Version != "2.0.5"`;
  const token = "NOMAD_TOKEN=nomad-rollout-secret";

  it("drains a client that runs an older Nomad until its allocations have stopped, then makes it eligible again after the upgrade", () => {
    host = rolloutSandbox({ nodes: [CLIENT, { ...CLIENT, id: "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", status: "down" }] });
    const drain = host.run(["drain", "lab-client-1", "2.0.5", "15"]);
    expect(drain.status).toBe(0);
    expect(drain.calls).toEqual([
      `nomad node status -quiet -filter ${byName} ${token}`,
      `nomad node status -quiet -filter ${byVersion} ${token}`,
      `nomad node drain -enable -yes -deadline 15m -m hashilab: upgrading to Nomad 2.0.5 ${CLIENT.id} ${token}`,
    ]);
    const eligible = host.run(["eligible", "lab-client-1"]);
    expect(eligible.status).toBe(0);
    expect(eligible.calls).toEqual([`nomad node status -quiet -filter ${byName} ${token}`, `nomad node eligibility -enable ${CLIENT.id} ${token}`]);
    // Once only: a re-run leaves the node's eligibility to the operator.
    expect(host.run(["eligible", "lab-client-1"]).calls).toEqual([]);
  });

  it("leaves a client that runs the pinned Nomad alone (a new host, a re-run), and its eligibility too", () => {
    host = rolloutSandbox({ nodes: [{ ...CLIENT, version: "2.0.5" }] });
    const drain = host.run(["drain", "lab-client-1", "2.0.5", "15"]);
    expect(drain.status).toBe(0);
    expect(drain.stdout).toContain("lab-client-1 runs Nomad 2.0.5 already; no drain");
    expect(drain.calls.filter((c) => c.includes("node drain"))).toEqual([]);
    expect(host.run(["eligible", "lab-client-1"]).calls).toEqual([]);
  });

  it("has nothing to drain before the client first registered", () => {
    host = rolloutSandbox({ nodes: [] });
    const drain = host.run(["drain", "lab-client-1", "2.0.5", "15"]);
    expect(drain.status).toBe(0);
    expect(drain.stdout).toContain("no node lab-client-1 is registered; nothing to drain");
  });

  it("fails when two live nodes carry the name, rather than drain the wrong one", () => {
    host = rolloutSandbox({ nodes: [CLIENT, { ...CLIENT, id: "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70" }] });
    const drain = host.run(["drain", "lab-client-1", "2.0.5", "15"]);
    expect(drain.status).toBe(1);
    expect(drain.stderr).toContain(`several Nomad nodes are named lab-client-1 and not down: ${CLIENT.id} 0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70`);
    expect(drain.calls.filter((c) => c.includes("node drain"))).toEqual([]);
  });

  it("fails when the drained client does not come back after its upgrade, and keeps it drained for the next run", () => {
    host = rolloutSandbox({ nodes: [CLIENT] });
    expect(host.run(["drain", "lab-client-1", "2.0.5", "15"]).status).toBe(0);
    writeFileSync(host.path("fake-cluster/nodes"), `${CLIENT.id} lab-client-1 down 2.0.5\n`);
    const eligible = host.run(["eligible", "lab-client-1"]);
    expect(eligible.status).toBe(1);
    expect(eligible.stderr).toContain("no node lab-client-1 is registered after its upgrade");
    expect(existsSync(host.path("var/lib/hashilab/rollout-drained/lab-client-1"))).toBe(true);
  });

  it("warns and drains nothing where the server host has no rollout token yet", () => {
    host = rolloutSandbox({ nodes: [CLIENT], tokens: false });
    const drain = host.run(["drain", "lab-client-1", "2.0.5", "15"]);
    expect(drain.status).toBe(0);
    expect(drain.stderr).toMatch(/WARNING: no rollout token at .*nomad-token .*not draining lab-client-1 before its upgrade/);
    expect(drain.calls).toEqual([]);
  });

  it.each([
    ["a node name with shell in it", ["drain", "x; rm -rf /", "2.0.5", "15"], "'x; rm -rf /' is not a node name"],
    ["a version that is no release", ["drain", "lab-client-1", "2.0", "15"], "'2.0' is not a release (x.y.z)"],
    ["a deadline that is no number of minutes", ["drain", "lab-client-1", "2.0.5", "0"], "'0' is not a number of minutes"],
  ])("fails on %s", (_, args, message) => {
    host = rolloutSandbox({ nodes: [CLIENT] });
    const run = host.run(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.calls).toEqual([]);
  });
});

describe("every nomad and consul command the rollout runs", () => {
  it("exists with its flags, before any argument, in the pinned CLIs (scripts/runbooks/cli: Nomad 2.0.5, Consul 1.21.5)", () => {
    const calls: string[][] = [];
    const versions = `${HOST_PATHS.rolloutUploadDir}/agent-versions`;
    for (const agent of ["consul", "nomad"]) {
      const host = rolloutSandbox({ me: SERVERS[0], installed: { consul: "1.21.4-1", nomad: "2.0.4-1" }, nodes: [{ id: "f3a8c2d1-5e6b-4a7c-9d8e-1b2c3d4e5f60", name: "lab-server-1", status: "ready", version: "2.0.4" }] });
      writeFileSync(host.path(versions), `${agent} ${agent === "consul" ? "1.21.5" : "2.0.5"}\n`);
      expect(host.run(["drain", "lab-server-1", "2.0.5", "15"]).status).toBe(0);
      expect(host.run(["upgrade", agent, host.path(versions)]).status).toBe(0);
      expect(host.run(["eligible", "lab-server-1"]).status).toBe(0);
      calls.push(...host.cliCalls());
      host.cleanup();
    }
    expect(new Set(calls.map((c) => c.slice(0, 3).join(" ")))).toEqual(
      new Set(["nomad node status", "nomad node drain", "nomad node eligibility", "consul operator raft", "nomad operator raft"]),
    );
    expect(calls.flatMap((words, line) => cliProblems({ file: "hashilab-rollout.sh", line, words, overSsh: false, fenced: true }))).toEqual([]);
    // The check itself: a flag the pinned Nomad lacks (transfer-leadership has no -peer) is caught.
    expect(cliProblems({ file: "x", line: 1, words: ["nomad", "operator", "raft", "transfer-leadership", "-peer=10.0.1.4:4647"], overSsh: false, fenced: true })).toHaveLength(1);
  });
});
