import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONSUL_PORTS } from "../../constructs/hetzner-cluster/consul-config";
import { shippedFile } from "../../constructs/hetzner-cluster/host-files";
import { DELIVERED_SCRIPTS, HOST_PATHS } from "../../constructs/hetzner-cluster/host-paths";
import { NOMAD_PORTS } from "../../constructs/hetzner-cluster/nomad-config";
import { asRoot, commandStubs } from "./install-secrets";
import { waitForFile } from "./stand-in";

/**
 * Recorded answers of the Nomad 2.0.5 and Consul 1.21 HTTP APIs the health gate reads, as the
 * agents produce them (status code and body, from the handlers and the structs they encode):
 * - Nomad command/agent/status_endpoint.go: /v1/status/leader and /v1/status/peers run the
 *   Status.Leader / Status.Peers RPCs (nomad/status_endpoint.go); without a leader the RPC
 *   forwarding fails with structs.ErrNoLeader, "No cluster leader" (nomad/rpc.go
 *   getLeaderForRPC), which the HTTP layer answers as 500 with that text; `?stale` reads the
 *   local Raft configuration, `[]` when empty.
 * - Nomad command/agent/agent_endpoint.go HealthRequest: /v1/agent/health?type=client is 200
 *   {"client":{"ok":true,"message":"ok"}}, or 500 with "no known servers".
 * - Nomad command/agent/operator_endpoint.go OperatorServerHealth and api/operator_autopilot.go:
 *   429 when not Healthy; servers named "<node>.<region>", LastContact as a Go duration.
 * - Consul agent/consul/status_endpoint.go: Status.Leader reads the local Raft leader (200 and
 *   "" when there is none); Status.Peers the local configuration (null when empty). A client
 *   agent that knows no server fails the RPC: 500 "No known Consul servers".
 * - Consul agent/operator_endpoint.go OperatorServerHealth: 429 when not Healthy; a token
 *   without operator:read gets 403 "Permission denied".
 */
export const SERVERS = ["10.0.1.2", "10.0.1.3", "10.0.1.4"] as const;
export const THIS_HOST = "127.0.0.1";
export type Agent = "nomad" | "consul";
export const API_PORT: Record<Agent, number> = { nomad: NOMAD_PORTS.http, consul: CONSUL_PORTS.https };
const RAFT_PORT: Record<Agent, number> = { nomad: 4647, consul: 8300 };

export interface Answer {
  readonly status: number;
  readonly body: string;
}
/** What one agent's API answers, by path and query. */
export type Routes = Record<string, Answer>;

const json = (value: unknown): Answer => ({ status: 200, body: JSON.stringify(value) });
export const raftAddress = (agent: Agent, ip: string) => `${ip}:${RAFT_PORT[agent]}`;

export const ANSWERS = {
  leader: (agent: Agent, ip: string) => json(raftAddress(agent, ip)),
  peers: (agent: Agent, ips: readonly string[]) => json(ips.map((ip) => raftAddress(agent, ip))),
  noLeader: { nomad: { status: 500, body: "No cluster leader" }, consul: json("") } satisfies Record<Agent, Answer>,
  noPeers: { nomad: json([]), consul: { status: 200, body: "null" } } satisfies Record<Agent, Answer>,
  consulClientWithoutServers: { status: 500, body: "No known Consul servers" },
  nomadClientHealthy: { status: 200, body: '{"client":{"ok":true,"message":"ok"}}' },
  nomadClientWithoutServers: { status: 500, body: '{"client":{"ok":false,"message":"no known servers"}}' },
  permissionDenied: { status: 403, body: "Permission denied" },
};

export interface AutopilotServer {
  readonly ip: string;
  readonly healthy?: boolean;
  readonly voter?: boolean;
}

/** An autopilot health reply for `servers` (the first one leads), in each agent's own shape. */
export function autopilotHealth(agent: Agent, servers: readonly AutopilotServer[]): Answer {
  const healthy = servers.every((s) => s.healthy !== false);
  const ids = servers.map((_, i) => `e349749b-3303-3ddf-959c-b5885a0e1f6${i}`);
  const entries = servers.map((s, i) => ({
    ID: ids[i],
    Name: agent === "nomad" ? `lab-server-${i + 1}.global` : `lab-server-${i + 1}`,
    Address: raftAddress(agent, s.ip),
    SerfStatus: s.healthy === false ? "failed" : "alive",
    Version: agent === "nomad" ? "2.0.5" : "1.21.5",
    Leader: i === 0,
    LastContact: i === 0 ? "0s" : "24.601ms",
    LastTerm: 2,
    LastIndex: 164,
    Healthy: s.healthy !== false,
    Voter: s.voter !== false,
    StableSince: "2026-11-26T14:00:00Z",
    // Consul adds the node's metadata, a nested object the gate must step over.
    ...(agent === "consul" ? { Meta: { "consul-network-segment": "", "consul-version": "1.21.5" } } : {}),
  }));
  const reply =
    agent === "nomad"
      ? { Healthy: healthy, FailureTolerance: healthy ? 1 : 0, Servers: entries, Leader: ids[0], Voters: ids.filter((_, i) => servers[i].voter !== false) }
      : { Healthy: healthy, FailureTolerance: healthy ? 1 : 0, Servers: entries };
  return { status: healthy ? 200 : 429, body: JSON.stringify(reply) };
}

/** A healthy three-server cluster led by the first server, seen by each server's agent. */
export function healthyServer(agent: Agent, leader: string = SERVERS[0]): Routes {
  return {
    "/v1/status/leader": ANSWERS.leader(agent, leader),
    "/v1/status/peers?stale": ANSWERS.peers(agent, SERVERS),
  };
}

/** This host's agent in a healthy cluster: a server or a client (a Nomad client also answers its client health). */
export function healthyThisHost(agent: Agent): Routes {
  return {
    "/v1/status/leader": ANSWERS.leader(agent, SERVERS[0]),
    "/v1/status/peers?stale": ANSWERS.peers(agent, SERVERS),
    ...(agent === "nomad" ? { "/v1/agent/health?type=client": ANSWERS.nomadClientHealthy } : {}),
    "/v1/operator/autopilot/health": autopilotHealth(agent, SERVERS.map((ip) => ({ ip }))),
  };
}

/** Every agent API of a cluster by address ("ip" for this host: THIS_HOST); a missing address does not answer. */
export type ClusterApis = Partial<Record<Agent, Record<string, Routes>>>;

/** The healthy cluster for `agents`, with `changes` applied per agent and address (undefined: that agent does not answer). */
export function cluster(agents: readonly Agent[], changes: Partial<Record<Agent, Record<string, Routes | undefined>>> = {}): ClusterApis {
  const apis: ClusterApis = {};
  for (const agent of agents) {
    const routes: Record<string, Routes | undefined> = { [THIS_HOST]: healthyThisHost(agent) };
    for (const ip of SERVERS) routes[ip] = healthyServer(agent);
    Object.assign(routes, changes[agent] ?? {});
    apis[agent] = Object.fromEntries(Object.entries(routes).filter(([, r]) => r !== undefined)) as Record<string, Routes>;
  }
  return apis;
}

/** A CA and one certificate for every address, made once per test file. */
export function testPki(dir: string): { ca: string; cert: string; key: string } {
  const ca = join(dir, "ca.pem");
  const caKey = join(dir, "ca-key.pem");
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const ext = join(dir, "san.cnf");
  writeFileSync(ext, `subjectAltName = ${[THIS_HOST, ...SERVERS].map((ip) => `IP:${ip}`).join(",")}\n`);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", caKey, "-out", ca, "-days", "2", "-subj", "/CN=hashilab test CA");
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", join(dir, "cert.csr"), "-subj", "/CN=server.global.nomad");
  openssl("x509", "-req", "-in", join(dir, "cert.csr"), "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext);
  return { ca, cert, key };
}

/**
 * How to get a network namespace of our own, and how to enter it: as an unprivileged user where
 * the kernel allows it, else as root (Ubuntu's AppArmor restricts unprivileged user namespaces;
 * CI has sudo).
 */
function netnsCommands(): { create: [string, string[]]; enter: (pid: string) => [string, string[]] } {
  const unprivileged = spawnSync("unshare", ["--net", "--map-root-user", "true"]);
  return unprivileged.status === 0
    ? { create: ["unshare", ["--net", "--map-root-user"]], enter: (pid) => ["nsenter", ["--target", pid, "--user", "--net", "--preserve-credentials"]] }
    : { create: asRoot("unshare", "--net"), enter: (pid) => asRoot("nsenter", "--target", pid, "--net") };
}

/**
 * The agent APIs' stand-in (agent-api-server.mjs) of this test file, in its network namespace:
 * the servers' addresses on its loopback, so the real ports on 127.0.0.1 collide with nothing
 * on this machine. Started by the first gate run, it serves each run's scenario in turn.
 */
let apiServer: { pki: object; process: ChildProcess; dir: string; enter: [string, string[]]; runs: number } | undefined;

function startApiServer(pki: { cert: string; key: string }): NonNullable<typeof apiServer> {
  const dir = mkdtempSync(join(tmpdir(), `hashilab-gate-apis-${process.pid}-`));
  const { create, enter } = netnsCommands();
  const inside = [
    "set -e",
    "ip link set lo up",
    ...SERVERS.map((ip) => `ip addr add ${ip}/32 dev lo`),
    `exec "${process.execPath}" "${join(__dirname, "agent-api-server.mjs")}" "${pki.cert}" "${pki.key}" "${dir}"`,
  ].join("\n");
  const stderr = openSync(join(dir, "stderr"), "w");
  // Its stdin stays open while this process lives; neither keeps jest waiting at the end.
  const server = spawn(create[0], [...create[1], "bash", "-c", inside], { stdio: ["pipe", "ignore", stderr] });
  closeSync(stderr);
  server.unref();
  (server.stdin as Socket).unref();
  const pid = waitForFile(join(dir, "ready"), undefined, () => `the agent API stand-in did not start: ${readFileSync(join(dir, "stderr"), "utf8")}`);
  return { pki, process: server, dir, enter: enter(pid), runs: 0 };
}

/** Stops the agent APIs' stand-in (the test file's afterAll). */
export function stopAgentApis(): void {
  if (!apiServer) return;
  apiServer.process.kill();
  rmSync(apiServer.dir, { recursive: true, force: true });
  apiServer = undefined;
}

/** Has the stand-in serve `routes` (by "ip:port"), logging requests to `log`, and returns it. */
function serve(pki: { cert: string; key: string }, routes: Record<string, Routes>, log: string): NonNullable<typeof apiServer> {
  if (apiServer?.pki !== pki) {
    stopAgentApis();
    apiServer = startApiServer(pki);
  }
  const server = apiServer;
  const id = String(++server.runs);
  writeFileSync(join(server.dir, "scenario.tmp"), JSON.stringify({ id, routes, log }));
  renameSync(join(server.dir, "scenario.tmp"), join(server.dir, "scenario.json"));
  waitForFile(join(server.dir, "applied"), id, () => `the agent API stand-in did not serve scenario ${id}: ${readFileSync(join(server.dir, "stderr"), "utf8")}`);
  return server;
}

export interface GateRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The requests the agents' APIs received: address, path and the tokens sent. */
  readonly requests: Array<{ address: string; path: string; nomadToken?: string; consulToken?: string }>;
  /** Every curl command line the gate ran. */
  readonly curlCalls: string[];
  /** The stubbed systemctl, journalctl and sleep calls. */
  readonly calls: string[];
}

export interface GateOptions {
  /** Nomad runs a client on this host. @default true */
  readonly client?: boolean;
  /** What `systemctl is-active` says. @default "active" */
  readonly unitState?: string;
  /** @default 3 */
  readonly attempts?: number;
  /** Extra environment (tokens). */
  readonly env?: Record<string, string>;
  /** The Consul agent configuration's retry_join line. @default the three servers */
  readonly retryJoin?: string;
  /** The content of /run/hashilab-gate-lenient. @default no such file */
  readonly lenient?: string;
  /** The gate token files' content, as the ACL stack delivers them. @default no such files */
  readonly gateTokenFiles?: { readonly consul?: string; readonly nomad?: string };
}

/**
 * Runs the real hashilab-wait-healthy.sh with the real curl against `apis` served over HTTPS
 * on their own addresses, inside the network namespace of this file's agent API stand-in.
 * `systemctl`, `journalctl` and `sleep` are stand-ins that record their calls.
 */
export function runGate(pki: { ca: string; cert: string; key: string }, agents: readonly string[], apis: ClusterApis, options: GateOptions = {}): GateRun {
  const dir = mkdtempSync(join(tmpdir(), `hashilab-gate-${process.pid}-`));
  try {
    const root = join(dir, "root");
    for (const sub of [HOST_PATHS.tlsDir, HOST_PATHS.consulConfigDir, HOST_PATHS.nomadConfigDir]) mkdirSync(join(root, sub), { recursive: true });
    writeFileSync(join(root, HOST_PATHS.caCert), readFileSync(pki.ca));
    const retryJoin = options.retryJoin ?? `retry_join = [${SERVERS.map((ip) => `"${ip}"`).join(", ")}]`;
    writeFileSync(join(root, HOST_PATHS.consulAgentConfig), `datacenter = "dc1"\n${retryJoin}\n`);
    if (options.lenient !== undefined) {
      mkdirSync(join(root, "run"), { recursive: true });
      writeFileSync(join(root, "run/hashilab-gate-lenient"), `${options.lenient}\n`);
    }
    for (const [agent, content] of Object.entries(options.gateTokenFiles ?? {})) {
      mkdirSync(join(root, HOST_PATHS.healthGateTokenDir), { recursive: true });
      writeFileSync(join(root, agent === "consul" ? HOST_PATHS.healthGateConsulToken : HOST_PATHS.healthGateNomadToken), content);
    }
    writeFileSync(join(root, HOST_PATHS.nomadAgentConfig), options.client === false ? "server {\n  enabled = true\n}\n" : "client {\n  enabled = true\n}\n");
    const scenario: Record<string, Routes> = {};
    for (const [agent, byAddress] of Object.entries(apis)) {
      for (const [ip, routes] of Object.entries(byAddress ?? {})) scenario[`${ip}:${API_PORT[agent as Agent]}`] = routes;
    }
    const stubs = commandStubs(join(dir, "bin"));
    const log = join(dir, "calls.log");
    const curlLog = join(dir, "curl.log");
    const state = options.unitState ?? "active";
    stubs.stub("curl", `printf '%s\\n' "$*" >> "${curlLog}"; exec /usr/bin/curl "$@"`);
    stubs.stub("systemctl", `echo "systemctl $*" >> "${log}"; [ "$1" = is-active ] && echo ${state}; [ ${state} = active ]`);
    stubs.stub("journalctl", `echo "journalctl $*" >> "${log}"; echo "the agent's last log lines"`);
    stubs.stub("sleep", `echo "sleep $*" >> "${log}"`);
    const script = join(dir, DELIVERED_SCRIPTS.waitHealthy);
    writeFileSync(script, shippedFile(DELIVERED_SCRIPTS.waitHealthy));
    const requestLog = join(dir, "requests.log");
    const server = serve(pki, scenario, requestLog);
    const inside = [
      // Passed in the script, not the environment: sudo (the root fallback) starts a clean one.
      ...Object.entries(options.env ?? {}).map(([name, value]) => `export ${name}='${value.replace(/'/g, "'\\''")}'`),
      `PATH="${stubs.dir}:$PATH" HASHILAB_ROOT="${root}" HASHILAB_WAIT_ATTEMPTS=${options.attempts ?? 3} exec bash "${script}" "$@"`,
    ].join("\n");
    const [nsenter, nsenterArgs] = server.enter;
    const run = spawnSync(nsenter, [...nsenterArgs, "bash", "-c", inside, "gate", ...agents], {
      encoding: "utf8",
      timeout: 60_000,
    });
    const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : []);
    return {
      code: run.status,
      stdout: run.stdout,
      stderr: run.stderr,
      requests: lines(requestLog).map((line) => JSON.parse(line)),
      curlCalls: lines(curlLog),
      calls: lines(log),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The Consul configuration line of a host whose cluster is the one server HEALTHY_CLUSTER_CURL
 * stands in for (install sandboxes: the health gate asks the servers retry_join lists).
 */
export const SANDBOX_RETRY_JOIN = 'retry_join = ["10.0.1.2"]\n';

/**
 * A `curl` stand-in (bash) for sandboxes that test something else than the health gate: every
 * agent answers like a healthy one-server cluster led by 10.0.1.2 (the recorded answers above),
 * with its status code last, as the gate's --write-out asks.
 */
export const HEALTHY_CLUSTER_CURL = [
  'url=${!#}',
  'case $url in *:4646/*) raft=4647 ;; *) raft=8300 ;; esac',
  'case $url in',
  `  */v1/status/leader) printf '"10.0.1.2:%s"\\n200' "$raft" ;;`,
  `  */v1/status/peers*) printf '["10.0.1.2:%s"]\\n200' "$raft" ;;`,
  `  */v1/agent/health*) printf '%s\\n200' '{"client":{"ok":true,"message":"ok"}}' ;;`,
  `  *) printf 'Invalid URL path\\n404' ;;`,
  'esac',
].join("\n");
