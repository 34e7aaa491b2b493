import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shippedFile } from "../constructs/hetzner-cluster/host-files";
import { DELIVERED_SCRIPTS, HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { lab } from "../environments";
import { ANSWERS, API_PORT, autopilotHealth, cluster, healthyServer, healthyThisHost, runGate, SERVERS, stopAgentApis, testPki, THIS_HOST } from "./support/agent-apis";
import { resourcesOf, synthEnvironment } from "./support/synth";
import { evaluateWithTerraform } from "./support/terraform";

const [S1, S2, S3] = SERVERS;
const TOKENS = { NOMAD_TOKEN: "11111111-2222-3333-4444-555555555555", CONSUL_HTTP_TOKEN: "66666666-7777-8888-9999-000000000000" };

describe("hashilab-wait-healthy (the gate between hosts), against recorded agent API answers over HTTPS", () => {
  let dir: string;
  let pki: ReturnType<typeof testPki>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `hashilab-gate-pki-${process.pid}-`));
    pki = testPki(dir);
  });
  afterAll(() => {
    stopAgentApis();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes a healthy cluster: every server follows the same leader, has every server as a Raft peer, and this host reaches it", () => {
    const run = runGate(pki, ["consul", "nomad"], cluster(["consul", "nomad"]));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`consul answers https://127.0.0.1:${API_PORT.consul}`);
    expect(run.stdout).toContain(`consul cluster is healthy: every server follows ${S1}:8300`);
    expect(run.stdout).toContain(`nomad cluster is healthy: every server follows ${S1}:4647`);
    // Each server asked directly, over TLS with the cluster CA.
    for (const ip of SERVERS) {
      expect(run.requests).toContainEqual(expect.objectContaining({ address: `${ip}:${API_PORT.nomad}`, path: "/v1/status/leader" }));
      expect(run.requests).toContainEqual(expect.objectContaining({ address: `${ip}:${API_PORT.consul}`, path: "/v1/status/peers?stale" }));
    }
    expect(run.requests).toContainEqual(expect.objectContaining({ address: `${THIS_HOST}:${API_PORT.nomad}`, path: "/v1/agent/health?type=client" }));
    for (const call of run.curlCalls) expect(call).toMatch(new RegExp(`--cacert \\S*${HOST_PATHS.caCert} `));
    // Without a token it does not ask autopilot (operator:read).
    expect(run.requests.filter((r) => r.path.startsWith("/v1/operator"))).toEqual([]);
    expect(run.calls.filter((c) => c.startsWith("sleep"))).toEqual([]);
  });

  it("with operator:read tokens also requires autopilot to report every server healthy and voting, and sends each token only to its agent and never on curl's command line", () => {
    const run = runGate(pki, ["consul", "nomad"], cluster(["consul", "nomad"]), { env: TOKENS });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const autopilot = run.requests.filter((r) => r.path === "/v1/operator/autopilot/health");
    expect(autopilot).toEqual([
      { address: `${THIS_HOST}:${API_PORT.consul}`, path: "/v1/operator/autopilot/health", consulToken: TOKENS.CONSUL_HTTP_TOKEN },
      { address: `${THIS_HOST}:${API_PORT.nomad}`, path: "/v1/operator/autopilot/health", nomadToken: TOKENS.NOMAD_TOKEN },
    ]);
    for (const call of run.curlCalls) {
      expect(call).not.toContain(TOKENS.NOMAD_TOKEN);
      expect(call).not.toContain(TOKENS.CONSUL_HTTP_TOKEN);
    }
  });

  it("reads the operator:read tokens from the files the ACL stack delivers when the environment holds none, and so checks autopilot, each token sent only to its agent and never on curl's command line", () => {
    const run = runGate(pki, ["consul", "nomad"], cluster(["consul", "nomad"]), {
      gateTokenFiles: { consul: `${TOKENS.CONSUL_HTTP_TOKEN}\n`, nomad: TOKENS.NOMAD_TOKEN },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.requests.filter((r) => r.path === "/v1/operator/autopilot/health")).toEqual([
      { address: `${THIS_HOST}:${API_PORT.consul}`, path: "/v1/operator/autopilot/health", consulToken: TOKENS.CONSUL_HTTP_TOKEN },
      { address: `${THIS_HOST}:${API_PORT.nomad}`, path: "/v1/operator/autopilot/health", nomadToken: TOKENS.NOMAD_TOKEN },
    ]);
    for (const call of run.curlCalls) {
      expect(call).not.toContain(TOKENS.NOMAD_TOKEN);
      expect(call).not.toContain(TOKENS.CONSUL_HTTP_TOKEN);
    }
  });

  it("prefers the environment's token over the delivered file (an operator running the gate by hand)", () => {
    const run = runGate(pki, ["nomad"], cluster(["nomad"]), { env: { NOMAD_TOKEN: TOKENS.NOMAD_TOKEN }, gateTokenFiles: { nomad: TOKENS.CONSUL_HTTP_TOKEN } });
    expect(run.code).toBe(0);
    expect(run.requests.filter((r) => r.path === "/v1/operator/autopilot/health")).toEqual([
      { address: `${THIS_HOST}:${API_PORT.nomad}`, path: "/v1/operator/autopilot/health", nomadToken: TOKENS.NOMAD_TOKEN },
    ]);
  });

  it("accepts a cluster that is still forming on its first deploy: the other servers do not run yet and none has a leader or a Raft configuration", () => {
    const forming = (agent: "nomad" | "consul") => ({
      [THIS_HOST]: { "/v1/status/leader": ANSWERS.noLeader[agent], "/v1/status/peers?stale": ANSWERS.noPeers[agent] },
      [S1]: { "/v1/status/leader": ANSWERS.noLeader[agent], "/v1/status/peers?stale": ANSWERS.noPeers[agent] },
      [S2]: undefined,
      [S3]: undefined,
    });
    const run = runGate(pki, ["consul", "nomad"], cluster(["consul", "nomad"], { consul: forming("consul"), nomad: forming("nomad") }), { client: false });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("consul: the cluster is still forming: 1 of 3 servers run and none has a leader or a Raft configuration yet; not waiting for a leader");
  });

  it("lets a listed server that does not answer and is no Raft peer through, while the others are a majority: a deploy that replaces servers creates it later; autopilot, when asked, must not count it either", () => {
    const withoutS3 = (agent: "nomad" | "consul") => {
      const routes = { ...healthyThisHost(agent), "/v1/status/peers?stale": ANSWERS.peers(agent, [S1, S2]), "/v1/operator/autopilot/health": autopilotHealth(agent, [{ ip: S1 }, { ip: S2 }]) };
      return { [THIS_HOST]: routes, [S1]: routes, [S2]: routes, [S3]: undefined };
    };
    const run = runGate(pki, ["consul", "nomad"], cluster(["consul", "nomad"], { consul: withoutS3("consul"), nomad: withoutS3("nomad") }), { client: false, env: TOKENS });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`hashilab: consul: not answering and no Raft peer yet: ${S3} (this deploy may be creating them)`);
    expect(run.stdout).toContain(`nomad cluster is healthy: every server follows ${S1}:4647`);
  });

  it("only waits for the local API while the operator's /run/hashilab-gate-lenient exists (a CA rotation), and warns with its reason", () => {
    const leaderless = Object.fromEntries(SERVERS.map((ip) => [ip, { ...healthyServer("nomad"), "/v1/status/leader": ANSWERS.noLeader.nomad }]));
    const run = runGate(pki, ["nomad"], cluster(["nomad"], { nomad: leaderless }), { lenient: "CA rotation, ticket 12" });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("hashilab: WARNING: ");
    expect(run.stderr).toContain("/run/hashilab-gate-lenient exists (CA rotation, ticket 12): nomad answers, its cluster is not checked");
    expect(run.requests.map((r) => r.address)).toEqual([`${THIS_HOST}:${API_PORT.nomad}`]);
  });

  describe("fails, naming what is wrong and showing what every server answered and the agent's journal", () => {
    function expectFailure(run: ReturnType<typeof runGate>, agent: string, why: string) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`hashilab: ${agent} is not healthy after 3 attempts: ${why}`);
      expect(run.stderr).toContain(`what the ${agent} servers answer:`);
      expect(run.stderr).toContain("the agent's last log lines");
      expect(run.calls).toContain(`journalctl --unit ${agent}.service --no-pager --lines=30`);
      expect(run.calls.filter((c) => c.startsWith("sleep"))).toHaveLength(2);
    }

    it("fails when the Nomad cluster has no leader (500 No cluster leader) though every server still has its Raft configuration", () => {
      const leaderless = Object.fromEntries(SERVERS.map((ip) => [ip, { ...healthyServer("nomad"), "/v1/status/leader": ANSWERS.noLeader.nomad }]));
      const run = runGate(pki, ["nomad"], cluster(["nomad"], { nomad: leaderless }));
      expectFailure(run, "nomad", `server ${S1} knows no leader (HTTP 500 No cluster leader)`);
      expect(run.stderr).toContain(`${S2}: peers HTTP 200 ["${S1}:4647","${S2}:4647","${S3}:4647"], leader HTTP 500 No cluster leader`);
    });

    it('fails when the Consul cluster has no leader (200 "")', () => {
      const leaderless = Object.fromEntries(SERVERS.map((ip) => [ip, { ...healthyServer("consul"), "/v1/status/leader": ANSWERS.noLeader.consul }]));
      const run = runGate(pki, ["consul"], cluster(["consul"], { consul: leaderless }));
      expectFailure(run, "consul", `server ${S1} knows no leader (HTTP 200 "")`);
    });

    it("fails when one server is partitioned from the others: it answers HTTP but has no leader", () => {
      const run = runGate(pki, ["nomad"], cluster(["nomad"], { nomad: { [S3]: { ...healthyServer("nomad"), "/v1/status/leader": ANSWERS.noLeader.nomad } } }));
      expectFailure(run, "nomad", `server ${S3} knows no leader (HTTP 500 No cluster leader)`);
    });

    it("fails when one server of a cluster that has bootstrapped does not answer at all (partitioned from this host, or down)", () => {
      const run = runGate(pki, ["consul"], cluster(["consul"], { consul: { [S3]: undefined } }));
      expectFailure(run, "consul", "1 of 3 servers do not answer");
      expect(run.stderr).toContain(`${S3}: no answer`);
    });

    it("fails when the servers disagree on the leader (a partitioned minority that still remembers an old one)", () => {
      const run = runGate(pki, ["consul"], cluster(["consul"], { consul: { [S3]: healthyServer("consul", S3) } }));
      expectFailure(run, "consul", `servers disagree on the leader: ${S1}:8300 and ${S3}:8300 (on ${S3})`);
    });

    it("fails when a server's Raft configuration is not the listed servers (a peer missing or a stale one left over)", () => {
      const run = runGate(pki, ["nomad"], cluster(["nomad"], { nomad: { [S2]: { ...healthyServer("nomad"), "/v1/status/peers?stale": ANSWERS.peers("nomad", [S1, S2, "10.0.1.9"]) } } }));
      expectFailure(run, "nomad", `server ${S2} has Raft peer 10.0.1.9:4647, which is not a listed server (${S1}:4647 ${S2}:4647 ${S3}:4647)`);
    });

    it("fails when a server that answers is missing from another's Raft configuration (it never joined)", () => {
      const run = runGate(pki, ["nomad"], cluster(["nomad"], { nomad: { [S1]: { ...healthyServer("nomad"), "/v1/status/peers?stale": ANSWERS.peers("nomad", [S1, S2]) } } }));
      expectFailure(run, "nomad", `server ${S1}'s Raft peers (${S1}:4647 ${S2}:4647) lack ${S3}, which answers`);
    });

    it("fails when the servers that answer are no majority of the listed ones, even if the others are no Raft peers", () => {
      const alone = { ...healthyServer("consul"), "/v1/status/peers?stale": ANSWERS.peers("consul", [S1]) };
      const run = runGate(pki, ["consul"], cluster(["consul"], { consul: { [THIS_HOST]: alone, [S1]: alone, [S2]: undefined, [S3]: undefined } }));
      expectFailure(run, "consul", "only 1 of 3 servers answer: no quorum");
    });

    it("fails when the cluster is leaderless and one server is silent (not a forming cluster: the others have a Raft configuration)", () => {
      const leaderless = { [S1]: { ...healthyServer("nomad"), "/v1/status/leader": ANSWERS.noLeader.nomad }, [S2]: { ...healthyServer("nomad"), "/v1/status/leader": ANSWERS.noLeader.nomad }, [S3]: undefined };
      const run = runGate(pki, ["nomad"], cluster(["nomad"], { nomad: leaderless }));
      expectFailure(run, "nomad", `server ${S1} knows no leader (HTTP 500 No cluster leader)`);
    });

    it("fails when this host's Consul agent has not joined (its RPCs find no server)", () => {
      const run = runGate(pki, ["consul"], cluster(["consul"], { consul: { [THIS_HOST]: { "/v1/status/leader": ANSWERS.consulClientWithoutServers } } }));
      expectFailure(run, "consul", `this host's consul agent does not reach the leader ${S1}:8300 (HTTP 500 No known Consul servers); has it joined?`);
    });

    it("fails when this host's Nomad client knows no servers", () => {
      const run = runGate(pki, ["nomad"], cluster(["nomad"], { nomad: { [THIS_HOST]: { ...healthyServer("nomad"), "/v1/agent/health?type=client": ANSWERS.nomadClientWithoutServers } } }));
      expectFailure(run, "nomad", `this host's Nomad client is not healthy (HTTP 500 {"client":{"ok":false,"message":"no known servers"}})`);
    });

    it.each(["nomad", "consul"] as const)("fails when %s autopilot reports a server unhealthy (429)", (agent) => {
      const apis = cluster([agent], { [agent]: { [THIS_HOST]: { ...cluster([agent])[agent]![THIS_HOST], "/v1/operator/autopilot/health": autopilotHealth(agent, [{ ip: S1 }, { ip: S2, healthy: false }, { ip: S3 }]) } } });
      const run = runGate(pki, [agent], apis, { env: TOKENS });
      expectFailure(run, agent, `autopilot reports unhealthy servers: ${agent === "nomad" ? "lab-server-2.global" : "lab-server-2"}`);
      expect(run.stderr).toContain("autopilot: HTTP 429 {");
    });

    it.each(["nomad", "consul"] as const)("fails when %s autopilot reports a server that does not vote (still stabilizing, or demoted)", (agent) => {
      const apis = cluster([agent], { [agent]: { [THIS_HOST]: { ...cluster([agent])[agent]![THIS_HOST], "/v1/operator/autopilot/health": autopilotHealth(agent, [{ ip: S1 }, { ip: S2 }, { ip: S3, voter: false }]) } } });
      const run = runGate(pki, [agent], apis, { env: TOKENS });
      expectFailure(run, agent, `autopilot reports servers that do not vote: ${agent === "nomad" ? "lab-server-3.global" : "lab-server-3"}`);
    });

    it("fails when autopilot, asked with the delivered token file, reports a server unhealthy", () => {
      const apis = cluster(["consul"], { consul: { [THIS_HOST]: { ...cluster(["consul"]).consul![THIS_HOST], "/v1/operator/autopilot/health": autopilotHealth("consul", [{ ip: S1 }, { ip: S2 }, { ip: S3, healthy: false }]) } } });
      const run = runGate(pki, ["consul"], apis, { gateTokenFiles: { consul: TOKENS.CONSUL_HTTP_TOKEN } });
      expectFailure(run, "consul", "autopilot reports unhealthy servers: lab-server-3");
    });

    it("fails when autopilot knows fewer servers than the configuration lists", () => {
      const apis = cluster(["consul"], { consul: { [THIS_HOST]: { ...cluster(["consul"]).consul![THIS_HOST], "/v1/operator/autopilot/health": autopilotHealth("consul", [{ ip: S1 }, { ip: S2 }]) } } });
      const run = runGate(pki, ["consul"], apis, { env: TOKENS });
      expectFailure(run, "consul", "autopilot knows 2 servers, the configuration lists 3");
    });

    it("fails when the token may not read autopilot (403), instead of skipping the check", () => {
      const apis = cluster(["nomad"], { nomad: { [THIS_HOST]: { ...cluster(["nomad"]).nomad![THIS_HOST], "/v1/operator/autopilot/health": ANSWERS.permissionDenied } } });
      const run = runGate(pki, ["nomad"], apis, { env: TOKENS });
      expectFailure(run, "nomad", "autopilot health is not readable (HTTP 403 Permission denied); does the token have operator:read?");
    });

    it("fails after a bounded number of attempts when the local agent never answers, naming it and showing its log", () => {
      const run = runGate(pki, ["nomad"], cluster(["consul"]));
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`hashilab: nomad did not answer https://127.0.0.1:${API_PORT.nomad} after 3 attempts; is it crashing? See its log below`);
      expect(run.stderr).toContain("the agent's last log lines");
    });

    it.each(["inactive", "failed"])("fails at once when the unit is %s (a start condition unmet, or systemd gave up restarting it)", (state) => {
      const run = runGate(pki, ["consul"], cluster(["consul"]), { unitState: state });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`consul is ${state} after the delivery (re)started it`);
      expect(run.requests).toEqual([]);
    });

    it("fails on an agent it knows no endpoint for", () => {
      const run = runGate(pki, ["vault"], cluster(["consul"]));
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain("no health endpoint known for agent 'vault'");
    });

    it("fails when the Consul configuration lists no servers to ask", () => {
      const run = runGate(pki, ["consul"], cluster(["consul"]), { retryJoin: "# no retry_join" });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`no servers listed in retry_join of`);
    });
  });
});

describe("hashilab-wait-healthy as shipped", () => {
  it("passes shellcheck", () => {
    const run = spawnSync("shellcheck", ["-s", "bash", "-"], { input: shippedFile(DELIVERED_SCRIPTS.waitHealthy), encoding: "utf8" });
    expect(run.stdout).toBe("");
    expect(run.status).toBe(0);
  });
});

describe("the deliveries that restart agents", () => {
  it("upload the script exactly as shipped (the hosts' secrets delivery and the Nomad agents' Consul token delivery)", () => {
    const stacks = synthEnvironment(lab);
    const uploads = ["lab-hosts", "lab-acl"].flatMap((stack) =>
      Object.values<any>(resourcesOf(stacks[stack], "terraform_data"))
        .flatMap((resource) => resource.provisioner ?? [])
        .filter((p: any) => p.file?.destination.endsWith(`/${DELIVERED_SCRIPTS.waitHealthy}`))
        .map((p: any) => p.file.content as string),
    );
    // Three hosts, each with both deliveries and its resize gate.
    expect(uploads).toHaveLength(3 * 3);
    const evaluated = evaluateWithTerraform(Object.fromEntries(uploads.map((content, i) => [`upload_${i}`, content])));
    for (const content of Object.values(evaluated)) expect(content).toBe(shippedFile(DELIVERED_SCRIPTS.waitHealthy));
  });
});
