import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shippedFile } from "../../constructs/hetzner-cluster/host-files";
import { DELIVERED_SCRIPTS, HOST_PATHS } from "../../constructs/hetzner-cluster/host-paths";
import { SERVERS } from "./agent-apis";
import { fakeApt } from "./fake-apt";
import { commandStubs } from "./install-secrets";

/**
 * Recorded answers of the CLIs the rollout runs on a host (nomad 2.0.5, consul 1.21.5):
 * - `nomad operator raft transfer-leadership -peer-address=A` prints `Transferred leadership to
 *   peer with address "A"` (command/operator_raft_leadership_transfer.go Run).
 * - `nomad node status -quiet` prints one node ID a line, or "No nodes registered" when the
 *   (filtered) list is empty (command/node_status.go Run).
 * - `nomad node drain -enable -yes ...` without -detach monitors until the drain is done and
 *   exits 0 (command/node_drain.go Run, monitorDrain).
 * - `consul operator raft list-peers` prints a table whose first columns are Node, ID, Address
 *   (both the six-column form and the later one with "Commit Index" and "Trails Leader By").
 */
export const CONSUL_NODE_IDS: Record<string, string> = {
  [SERVERS[0]]: "6f2d8e4a-1b7c-4f0e-9a3d-2c5b8e1f4a70",
  [SERVERS[1]]: "9c1e4b7d-3a2f-4e8b-b6d1-7f0a2c9e5b31",
  [SERVERS[2]]: "2b8f5c1e-7d4a-4c9b-8e2f-5a1d3b7c9e42",
};

export function consulListPeers(leader: string, wide: boolean): string {
  const header = wide ? "Node  ID  Address  State  Voter  RaftProtocol  Commit Index  Trails Leader By" : "Node  ID  Address  State  Voter  RaftProtocol";
  const rows = SERVERS.map(
    (ip, i) => `lab-server-${i + 1}  ${CONSUL_NODE_IDS[ip]}  ${ip}:8300  ${`${ip}:8300` === leader ? "leader" : "follower"}  true  3${wide ? "  164  -" : ""}`,
  );
  return [header, ...rows].join("\n");
}

/** A Nomad node as `nomad node status` lists it. */
export interface FakeNode {
  readonly id: string;
  readonly name: string;
  readonly status: "ready" | "down" | "initializing";
  readonly version: string;
}

export interface RolloutSandboxOptions {
  /** This host's address (the Consul configuration's advertise_addr). @default SERVERS[0] */
  readonly me?: string;
  /** A server host (server = true in the Consul configuration). @default true */
  readonly server?: boolean;
  /** The Raft leader of each agent's cluster, "ip:port". @default the first server */
  readonly leaders?: { readonly consul?: string; readonly nomad?: string };
  /** Whether a transfer moves the leadership (a real cluster does, within a few seconds). @default true */
  readonly transfersMove?: boolean;
  /** The rollout tokens the ACL stack delivered. @default both */
  readonly tokens?: boolean;
  /** The Nomad nodes the servers know. @default none */
  readonly nodes?: readonly FakeNode[];
  /** Servers retry_join lists after SERVERS that are no Raft peers yet (a deploy that adds them). @default none */
  readonly joining?: readonly string[];
  /** The wider list-peers table of later Consul releases. @default false */
  readonly widePeers?: boolean;
  /** Installed packages and their Debian versions. @default none */
  readonly installed?: Readonly<Record<string, string>>;
}

/**
 * Stand-ins for a three-server cluster (SERVERS) on a sandboxed host, their state in `state`:
 * curl answering the agents' status APIs with the current leader, the nomad and consul CLIs
 * answering as recorded above (a leadership transfer moves the leader), each call in `log`.
 */
export function clusterStubs(stubs: ReturnType<typeof commandStubs>, state: string, log: string, options: RolloutSandboxOptions = {}): void {
  mkdirSync(state, { recursive: true });
  writeFileSync(join(state, "consul-leader"), options.leaders?.consul ?? `${SERVERS[0]}:8300`);
  writeFileSync(join(state, "nomad-leader"), options.leaders?.nomad ?? `${SERVERS[0]}:4647`);
  writeFileSync(join(state, "list-peers"), consulListPeers(options.leaders?.consul ?? `${SERVERS[0]}:8300`, options.widePeers ?? false));
  writeFileSync(join(state, "nodes"), (options.nodes ?? []).map((n) => `${n.id} ${n.name} ${n.status} ${n.version}`).join("\n") + "\n");
  const moveLeader = options.transfersMove === false ? "" : `printf '%s' "$target" > "${state}/$agent-leader"`;
  stubs.stub(
    "curl",
    [
      "url=${!#}",
      // A server still joining does not answer yet: curl's "could not connect".
      ...(options.joining ?? []).map((ip) => `case $url in https://${ip}:*) exit 7 ;; esac`),
      "case $url in *:4646/*) agent=nomad; raft=4647 ;; *) agent=consul; raft=8300 ;; esac",
      "case $url in",
      `  */v1/status/leader) printf '"%s"\\n200' "$(cat "${state}/$agent-leader")" ;;`,
      `  */v1/status/peers*) printf '[${SERVERS.map((ip) => `"${ip}:%s"`).join(",")}]\\n200' ${SERVERS.map(() => "$raft").join(" ")} ;;`,
      `  */v1/agent/health*) printf '%s\\n200' '{"client":{"ok":true,"message":"ok"}}' ;;`,
      "  *) printf 'Invalid URL path\\n404' ;;",
      "esac",
    ].join("\n"),
  );
  stubs.stub(
    "consul",
    [
      `echo "consul $*" >> "${log}"`,
      `printf '%s\\037' consul "$@" >> "${state}/argv.log"; echo >> "${state}/argv.log"`,
      'case "$1 $2 $3" in',
      `  "operator raft list-peers") cat "${state}/list-peers" ;;`,
      "  \"operator raft transfer-leader\")",
      '    id=""; for arg in "$@"; do case $arg in -id=*) id=${arg#-id=} ;; esac; done',
      `    target=$(awk -v id="$id" '$2 == id { print $3 }' "${state}/list-peers"); agent=consul`,
      `    [ -n "$target" ] || { echo "Error transferring leadership: Unexpected response code: 500" >&2; exit 1; }`,
      `    ${moveLeader}`,
      '    echo "Success"',
      "    ;;",
      '  *) echo "unexpected consul call" >&2; exit 1 ;;',
      "esac",
    ].join("\n"),
  );
  stubs.stub(
    "nomad",
    [
      `echo "nomad $* NOMAD_TOKEN=\${NOMAD_TOKEN:-}" >> "${log}"`,
      `printf '%s\\037' nomad "$@" >> "${state}/argv.log"; echo >> "${state}/argv.log"`,
      'case "$1 $2" in',
      '  "operator raft")',
      '    target=${4#-peer-address=}; agent=nomad',
      `    ${moveLeader}`,
      '    echo "Transferred leadership to peer with address \\"$target\\""',
      "    ;;",
      '  "node status")',
      // The two filters the rollout sends: by name (not down) and by ID with another version.
      '    filter=${!#}',
      `    ids=$(while read -r id name status version; do`,
      '      [ -n "$id" ] || continue',
      '      case $filter in',
      '        "Name == \\""*) [ "$filter" = "Name == \\"$name\\" and Status != \\"down\\"" ] && [ "$status" != down ] && echo "$id" ;;',
      '        "ID == \\""*) want=${filter##*Version != \\"}; want=${want%\\"}; [ "$filter" = "ID == \\"$id\\" and Version != \\"$want\\"" ] && [ "$version" != "$want" ] && echo "$id" ;;',
      '        *) echo "unexpected filter $filter" >&2; exit 1 ;;',
      "      esac",
      `    done <"${state}/nodes")`,
      '    if [ -n "$ids" ]; then echo "$ids"; else echo "No nodes registered"; fi',
      "    ;;",
      '  "node drain") echo "Node ${!#} drain strategy set"; echo "All allocations on node ${!#} have stopped" ;;',
      '  "node eligibility") echo "Node ${!#} scheduling eligibility set: eligible for scheduling" ;;',
      '  *) echo "unexpected nomad call" >&2; exit 1 ;;',
      "esac",
    ].join("\n"),
  );
}

/**
 * A host to run the real hashilab-rollout.sh on (HASHILAB_ROOT), uploaded beside the health gate
 * and the upgrade script as the rollout's steps upload them. Stand-ins, each recording its calls
 * in one log in order: systemctl (every unit active), apt-get and dpkg-query (fake-apt), the
 * nomad and consul CLIs answering as recorded above (a leadership transfer moves the leader),
 * and curl answering the agents' APIs like a healthy three-server cluster with that leader.
 */
export function rolloutSandbox(options: RolloutSandboxOptions = {}) {
  const root = mkdtempSync(join(tmpdir(), `hashilab-rollout-${process.pid}-`));
  const stubs = commandStubs(join(root, "stubs"));
  const log = join(root, "calls.log");
  const state = join(root, "fake-cluster");
  const me = options.me ?? SERVERS[0];
  for (const dir of [HOST_PATHS.consulConfigDir, HOST_PATHS.nomadConfigDir, HOST_PATHS.tlsDir, HOST_PATHS.rolloutUploadDir]) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(
    join(root, HOST_PATHS.consulAgentConfig),
    `advertise_addr = "${me}"\nretry_join = [${[...SERVERS, ...(options.joining ?? [])].map((ip) => `"${ip}"`).join(", ")}]\n${options.server === false ? "" : "server = true\n"}`,
  );
  writeFileSync(join(root, HOST_PATHS.nomadAgentConfig), "client {\n  enabled = true\n}\n");
  if (options.tokens !== false) {
    mkdirSync(join(root, HOST_PATHS.rolloutTokenDir), { recursive: true });
    writeFileSync(join(root, HOST_PATHS.rolloutConsulToken), "consul-rollout-secret\n");
    writeFileSync(join(root, HOST_PATHS.rolloutNomadToken), "nomad-rollout-secret\n");
  }
  for (const dir of ["var/lib/fake-dpkg", "var/lib/hashilab"]) mkdirSync(join(root, dir), { recursive: true });
  for (const [pkg, version] of Object.entries(options.installed ?? {})) writeFileSync(join(root, "var/lib/fake-dpkg", pkg), version);
  for (const name of [DELIVERED_SCRIPTS.rollout, DELIVERED_SCRIPTS.waitHealthy, DELIVERED_SCRIPTS.upgradeAgents]) {
    writeFileSync(join(root, HOST_PATHS.rolloutUploadDir, name), shippedFile(name));
  }

  clusterStubs(stubs, state, log, options);
  stubs.stub("systemctl", `case $1 in is-active) [ "$2" = --quiet ] || echo active ;; *) echo "systemctl $*" >> "${log}" ;; esac`);
  stubs.stub("journalctl", `echo "the agent's last log lines"`);
  stubs.stub("sleep", "true");
  for (const [name, body] of Object.entries(fakeApt(root, log))) stubs.stub(name, body);

  return {
    root,
    path: (hostPath: string) => join(root, hostPath),
    leader: (agent: "consul" | "nomad") => readFileSync(join(state, `${agent}-leader`), "utf8"),
    /** Every nomad and consul command line run so far, as argument lists (the CLI first). */
    cliCalls: (): string[][] =>
      existsSync(join(state, "argv.log"))
        ? readFileSync(join(state, "argv.log"), "utf8").split("\n").filter(Boolean).map((line) => line.split("\x1f").slice(0, -1))
        : [],
    /** Runs hashilab-rollout.sh with `args` from the upload directory. */
    run(args: readonly string[], env: Record<string, string> = {}) {
      rmSync(log, { force: true });
      const result = spawnSync("bash", [join(root, HOST_PATHS.rolloutUploadDir, DELIVERED_SCRIPTS.rollout), ...args], {
        env: { ...process.env, HASHILAB_ROOT: root, HASHILAB_WAIT_ATTEMPTS: "2", PATH: `${stubs.dir}:${process.env.PATH}`, ...env },
        encoding: "utf8",
      });
      const calls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
