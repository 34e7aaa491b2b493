import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, LocalBackend, TerraformStack } from "cdktf";
import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { shippedFile } from "../constructs/hetzner-cluster/host-files";
import { ClusterMembership, LEAVE_CONNECT_TIMEOUT, LEAVE_SCRIPT, LEAVE_UPLOAD_DIR } from "../constructs/hetzner-cluster/membership";
import { escapeTerraformTemplate } from "../constructs/core";
import { SshCluster } from "../constructs/ssh-cluster";
import { home, lab, sshClusterProps } from "../environments";
import { ANSWERS, Answer, SERVERS } from "./support/agent-apis";
import { commandStubs } from "./support/install-secrets";
import { StackJson, resourcesOf, synthApp, synthEnvironment } from "./support/synth";
import { evaluateWithTerraform } from "./support/terraform";
import { requireTool } from "./support/tools";

const SCRIPT = join(__dirname, "../constructs/hetzner-cluster/files", LEAVE_SCRIPT);

/** The membership's resources in a synthesized hosts stack, by their path under Cluster/Membership. */
function membershipOf(stack: StackJson) {
  const data = resourcesOf(stack, "terraform_data");
  const byPath = (path: string) => Object.values<any>(data).find((r) => r["//"].metadata.path.endsWith(`/Cluster/Membership/${path}`));
  const addressOf = (resource: any) => `terraform_data.${resource["//"].metadata.uniqueId}`;
  return { member: byPath("Member"), guard: byPath("QuorumGuard"), data, addressOf };
}

describe.each([
  ["lab (Hetzner)", lab, "lab-hosts", ["lab-server-1", "lab-server-2", "lab-server-3"]],
  ["home (LAN over SSH)", home, "home-hosts", ["node1", "node2", "node3"]],
])("the membership of %s", (_, env, stackName, names) => {
  const stack = synthEnvironment(env)[stackName];
  const { member, guard, data, addressOf } = membershipOf(stack);
  const deliveries = Object.values<any>(data).filter((r) => /Secrets-[^/]+\/Delivery$/.test(r["//"].metadata.path));

  it("is one terraform_data with for_each over the hosts, keyed by host name, whose input is what the destroy step needs", () => {
    expect(Object.keys(member.for_each)).toEqual(names);
    expect(member.input).toBe("${each.value}");
    for (const name of names) {
      expect(Object.keys(member.for_each[name]).sort()).toEqual(["address", "host_key", "name", "private_ip", "role"]);
      expect(member.for_each[name].name).toBe(name);
      expect(member.for_each[name].role).toBe("both");
    }
  });

  it("pins each host where Terraform reaches it: the same address and host key as its delivery", () => {
    for (const [i, name] of names.entries()) {
      const delivery = deliveries.find((d) => d.connection.host === member.for_each[name].address);
      expect(delivery).toBeDefined();
      expect(member.for_each[name].host_key).toBe(delivery.connection.host_key);
      expect(member.for_each[name].private_ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(i).toBeLessThan(names.length);
    }
  });

  it("connects from its own state only (self.input), as root with the operator's agent, giving up on a dead host", () => {
    expect(member.connection).toEqual({
      type: "ssh",
      host: "${self.input.address}",
      host_key: "${self.input.host_key}",
      user: "root",
      agent: "true",
      timeout: LEAVE_CONNECT_TIMEOUT,
      script_path: HOST_PATHS.terraformScript,
    });
  });

  it("runs only at destroy: creates a root-only upload directory, uploads the leave script, runs it with the host's role and private address", () => {
    const steps = member.provisioner;
    expect(steps.map((p: any) => Object.keys(p)[0])).toEqual(["remote-exec", "file", "remote-exec"]);
    expect(steps.map((p: any) => Object.values<any>(p)[0].when)).toEqual(["destroy", "destroy", "destroy"]);
    expect(steps[0]["remote-exec"].inline).toEqual([`install -d -m 0700 ${LEAVE_UPLOAD_DIR}`]);
    expect(steps[1].file).toEqual({ when: "destroy", content: escapeTerraformTemplate(shippedFile(LEAVE_SCRIPT)), destination: `${LEAVE_UPLOAD_DIR}/${LEAVE_SCRIPT}` });
    expect(steps[2]["remote-exec"].inline).toEqual([
      `bash ${LEAVE_UPLOAD_DIR}/${LEAVE_SCRIPT} '\${replace(self.input.role, "'", "'\\\\''")}' '\${replace(self.input.private_ip, "'", "'\\\\''")}'`,
    ]);
    // Nothing but self, count.index and each.key may appear in a destroy-time provisioner.
    // (`$${` is the script's own text, escaped.)
    expect(JSON.stringify([steps, member.connection])).not.toMatch(/(?<!\$)\$\{(?!self\.input\.|replace\(self\.input\.)/);
  });

  it("depends on every host's delivery, so a removed host leaves before its machine goes and before the others' deliveries re-run, and on the quorum guard, so a -target of the members plans the guard too", () => {
    expect(deliveries).toHaveLength(names.length);
    const guardAddress = `terraform_data.${Object.keys(stack.resource.terraform_data).find((id) => id.startsWith("Cluster_Membership_QuorumGuard_"))}`;
    expect([...member.depends_on].sort()).toEqual([...deliveries.map(addressOf), guardAddress].sort());
  });

  it("outputs the servers' names and guards the plan with the stack's own previous state, read from the stack's backend", () => {
    // Recorded only once every member's change (a removed host's leave) succeeded: a failed leave keeps the previous list.
    const [recordId, record] = Object.entries<any>(stack.resource.terraform_data).find(([id]) => id.startsWith("Cluster_Membership_ServerRecord_"))!;
    expect(record.input).toEqual({ servers: names });
    expect(record.depends_on).toEqual([`terraform_data.${Object.keys(stack.resource.terraform_data).find((id) => id.startsWith("Cluster_Membership_Member_"))}`]);
    const servers = Object.entries<any>(stack.output).find(([id]) => id.startsWith("Cluster_Membership_Servers_"));
    expect(servers?.[1].value).toBe(`\${terraform_data.${recordId}.output.servers}`);
    const [previousId, previous] = Object.entries<any>(stack.data.terraform_remote_state)[0];
    expect(previous.backend).toBe("local");
    expect(previous.config.path).toBe(stack.terraform.backend.local.path);
    expect(previous.count).toMatch(/^\$\{fileexists\(local\.\w+\) \? \(length\(file\(local\.\w+\)\) > 0 \? 1 : 0\) : 0\}$/);
    const previousServers = Object.entries<any>(stack.locals).find(([id]) => id.startsWith("Cluster_Membership_PreviousServers_"));
    expect(previousServers?.[1]).toBe(`\${try(one(data.terraform_remote_state.${previousId}[*].outputs).${servers?.[0]}, [])}`);
    const [condition] = guard.lifecycle.precondition;
    expect(condition.condition).toContain(`[${names.map((n) => JSON.stringify(n)).join(", ")}]`);
    expect(condition.error_message).toContain(`${stackName}/Cluster/Membership: this deploy removes the servers`);
    expect(condition.error_message).toContain(env.cluster.kind === "hetzner" ? "Change cluster.serverCount" : "Change cluster.hosts (a host's role)");
  });
});

describe("the destroy step's arguments", () => {
  beforeAll(() => requireTool("terraform"));

  it("reach the script as one word each, whatever the state holds (Terraform's replace() quotes them)", () => {
    const { member } = membershipOf(synthEnvironment(home)["home-hosts"]);
    const line: string = member.provisioner[2]["remote-exec"].inline[0];
    const hostile = { role: "both' ; touch /tmp/pwned ; echo '", private_ip: "10.0.0.1 $(id) `id` \"x\"" };
    const { command } = evaluateWithTerraform(
      { command: line.replace(/self\.input\./g, "local.input.").replace(`bash ${LEAVE_UPLOAD_DIR}/${LEAVE_SCRIPT}`, "printf '%s\\n'") },
      { locals: { input: hostile } },
    );
    expect(execFileSync("bash", ["-c", command], { encoding: "utf8" })).toBe(`${hostile.role}\n${hostile.private_ip}\n`);
  });
});

describe("the quorum guard's state file", () => {
  beforeAll(() => requireTool("terraform"));

  it("is the file the backend names, whatever its path holds (the backend block is no template, a data source's arguments are)", () => {
    const path = 'state/${x}%{y}"quoted"\\.tfstate';
    const stack = synthApp((app) => {
      const s = new TerraformStack(app, "hosts");
      new LocalBackend(s, { path });
      new ClusterMembership(s, "Membership", { hosts: [], serversField: "cluster.serverCount" });
    }).hosts;
    expect(stack.terraform.backend.local.path).toBe(path);
    const [, previous] = Object.entries<any>(stack.data.terraform_remote_state)[0];
    const [statePath] = Object.keys(stack.locals).filter((id) => id.startsWith("Membership_StatePath_"));
    const values = evaluateWithTerraform({ local: `\${local.${statePath}}`, read: previous.config.path }, { locals: { [statePath]: stack.locals[statePath] } });
    expect(values).toEqual({ local: path, read: path });
  });
});

describe("host names reach the membership's keys only once validated", () => {
  if (home.cluster.kind !== "ssh") throw new Error("home is a LAN (ssh) environment");
  const valid = { ...sshClusterProps(home, home.cluster), name: "test" };
  it.each([['node1"}', "a quote and brace"], ["${node1}", "a Terraform template"], ["node1;reboot", "a shell metacharacter"]])(
    "fails on a host name with %s (%s) before any membership is built",
    (name) => {
      const stack = new TerraformStack(new App(), "test");
      const hosts = valid.hosts.map((h, i) => (i === 2 ? { ...h, name } : h));
      expect(() => new SshCluster(stack, "Cluster", { ...valid, hosts })).toThrow(/^test\/Cluster: invalid SshCluster:[\s\S]*is not a lowercase DNS label/);
      expect(stack.node.tryFindChild("Cluster")?.node.tryFindChild("Membership")).toBeUndefined();
    },
  );
});

/**
 * A removed host to run the real hashilab-leave.sh on: a temporary root (HASHILAB_ROOT) with
 * `systemctl` recorded (a unit is active while started: restart starts, stop stops), `curl`
 * answering from recorded API replies by URL (none: no answer, HTTP 000), and `journalctl`.
 */
function leaveSandbox(options: { active?: readonly string[]; routes?: Record<string, Answer> }) {
  const root = mkdtempSync(join(tmpdir(), `hashilab-leave-${process.pid}-`));
  const stubs = commandStubs(join(root, "stubs"));
  const units = join(root, "units");
  const log = join(root, "calls.log");
  const api = join(root, "api");
  mkdirSync(units);
  mkdirSync(api);
  for (const dir of [HOST_PATHS.tlsDir, HOST_PATHS.nomadConfigDir, HOST_PATHS.consulConfigDir]) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, HOST_PATHS.consulAgentConfig), `retry_join = [${SERVERS.map((ip) => `"${ip}"`).join(", ")}]\n`);
  for (const unit of options.active ?? ["nomad.service", "consul.service"]) writeFileSync(join(units, unit), "");
  const key = (url: string) => url.replace(/[^A-Za-z0-9.]/g, "_");
  for (const [url, answer] of Object.entries(options.routes ?? {})) writeFileSync(join(api, key(url)), `${answer.status}\n${answer.body}`);
  // On each (re)start, the agent's configuration directory as the agent then reads it.
  const leaveConfigs = `${HOST_PATHS.nomadConfigDir}/zz-hashilab-leave.hcl ${HOST_PATHS.consulConfigDir}/zz-hashilab-leave.hcl /run/systemd/system/nomad.service.d/hashilab-leave.conf`;
  stubs.stub(
    "systemctl",
    [
      `echo "$*" >> "${log}"`,
      'unit="${!#}"',
      'case "$1" in',
      `  is-active) [ -e "${units}/$unit" ] ;;`,
      `  restart) touch "${units}/$unit"; for f in ${leaveConfigs}; do [ ! -e "${root}$f" ] || { echo "  $f:"; sed 's/^/    /' "${root}$f"; } >> "${log}"; done ;;`,
      `  stop) rm -f "${units}/$unit" ;;`,
      "esac",
    ].join("\n"),
  );
  stubs.stub(
    "curl",
    [
      'url="${!#}"',
      `file="${api}/$(printf '%s' "$url" | sed 's/[^A-Za-z0-9.]/_/g')"`,
      `echo "curl $url" >> "${log}"`,
      '[ -e "$file" ] || exit 7',
      'tail -n +2 "$file"; printf "\\n%s" "$(head -n 1 "$file")"',
    ].join("\n"),
  );
  stubs.stub("journalctl", 'echo "journal: $*"');
  return {
    run(...args: string[]) {
      const result = spawnSync("bash", [SCRIPT, ...args], {
        env: { ...process.env, HASHILAB_ROOT: root, HASHILAB_WAIT_ATTEMPTS: "3", HASHILAB_WAIT_INTERVAL_SECONDS: "0", PATH: `${stubs.dir}:${process.env.PATH}` },
        encoding: "utf8",
      });
      const calls = existsSync(log) ? readFileSync(log, "utf8").trimEnd().split("\n") : [];
      return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls, systemctl: calls.filter((c) => !c.startsWith("curl ") && !c.startsWith("  ")) };
    },
    leftover: () => [`${HOST_PATHS.nomadConfigDir}/zz-hashilab-leave.hcl`, `${HOST_PATHS.consulConfigDir}/zz-hashilab-leave.hcl`, "/run/systemd/system/nomad.service.d/hashilab-leave.conf"].filter((f) => existsSync(join(root, f))),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

const [self, ...others] = SERVERS;
const url = (agent: "nomad" | "consul", ip: string, path: string) => `https://${ip}:${agent === "nomad" ? 4646 : 8501}${path}`;
/** The other servers' Raft configurations after this host left (or with it still in). */
const peersOfOthers = (agent: "nomad" | "consul", members: readonly string[]) =>
  Object.fromEntries(others.map((ip) => [url(agent, ip, "/v1/status/peers?stale"), ANSWERS.peers(agent, members)]));
/** A cluster that answers like a healthy one to the restarted agents, and from which this host has left. */
const leftCleanly = (): Record<string, Answer> => ({
  [url("nomad", "127.0.0.1", "/v1/agent/health?type=client")]: ANSWERS.nomadClientHealthy,
  [url("nomad", "127.0.0.1", "/v1/status/leader")]: ANSWERS.leader("nomad", others[0]),
  [url("consul", "127.0.0.1", "/v1/status/leader")]: ANSWERS.leader("consul", others[0]),
  ...peersOfOthers("nomad", others),
  ...peersOfOthers("consul", others),
});

describe("hashilab-leave.sh (the removed host's destroy step)", () => {
  let host: ReturnType<typeof leaveSandbox> | undefined;
  afterEach(() => {
    host?.cleanup();
    host = undefined;
  });

  it("passes shellcheck", () => {
    requireTool("shellcheck");
    execFileSync("shellcheck", [SCRIPT]);
  });

  it("on a combined host: drains and leaves Nomad, then leaves Consul, then disables both, each agent restarted once to load its leave settings", () => {
    host = leaveSandbox({ routes: leftCleanly() });
    const run = host.run("both", self);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.systemctl).toEqual([
      "is-active --quiet nomad.service",
      "daemon-reload",
      "restart nomad.service",
      "stop nomad.service",
      "daemon-reload",
      "is-active --quiet consul.service",
      "restart consul.service",
      "stop consul.service",
      "disable nomad.service consul.service",
    ]);
    // What each agent read at its restart: Nomad the graceful leave and the self-drain, with
    // systemd's stop timeout beyond the drain deadline; Consul the graceful leave.
    const restarts = run.calls.join("\n");
    expect(restarts).toContain(
      [
        "restart nomad.service",
        `  ${HOST_PATHS.nomadConfigDir}/zz-hashilab-leave.hcl:`,
        "    # Written by hashilab-leave.sh while this host leaves the cluster; removed when it is done.",
        "    leave_on_interrupt = true",
        "    leave_on_terminate = true",
        "    client {",
        "      drain_on_shutdown {",
        '        deadline = "300s"',
        "      }",
        "    }",
        "  /run/systemd/system/nomad.service.d/hashilab-leave.conf:",
        "    [Service]",
        "    TimeoutStopSec=360",
      ].join("\n"),
    );
    // (Nomad's leave settings are gone once it stopped.)
    expect(restarts).toContain(
      [
        "restart consul.service",
        `  ${HOST_PATHS.consulConfigDir}/zz-hashilab-leave.hcl:`,
        "    # Written by hashilab-leave.sh while this host leaves the cluster; removed when it is done.",
        "    leave_on_terminate = true",
        `curl ${url("consul", "127.0.0.1", "/v1/status/leader")}`,
      ].join("\n"),
    );
    // Back in the cluster before the stop (the client has servers, the Consul agent a leader),
    // and gone from every other server's Raft configuration after it.
    const curls = run.calls.filter((c) => c.startsWith("curl "));
    expect(curls).toEqual([
      `curl ${url("nomad", "127.0.0.1", "/v1/agent/health?type=client")}`,
      ...others.map((ip) => `curl ${url("nomad", ip, "/v1/status/peers?stale")}`),
      `curl ${url("consul", "127.0.0.1", "/v1/status/leader")}`,
      ...others.map((ip) => `curl ${url("consul", ip, "/v1/status/peers?stale")}`),
    ]);
    expect(run.stdout).toContain("this host left the cluster; nomad and consul are stopped and disabled");
    expect(host.leftover()).toEqual([]);
  });

  it("on a client-only host: drains (no token needed) and checks no Raft configuration", () => {
    host = leaveSandbox({ routes: leftCleanly() });
    const run = host.run("client", "10.0.1.9");
    expect(run.code).toBe(0);
    expect(run.calls.join("\n")).toContain("drain_on_shutdown");
    expect(run.calls.filter((c) => c.startsWith("curl "))).toEqual([
      `curl ${url("nomad", "127.0.0.1", "/v1/agent/health?type=client")}`,
      `curl ${url("consul", "127.0.0.1", "/v1/status/leader")}`,
    ]);
  });

  it("on a server-only host: leaves Raft without a client block, waiting for a leader instead of client health", () => {
    host = leaveSandbox({ routes: leftCleanly() });
    const run = host.run("server", self);
    expect(run.code).toBe(0);
    expect(run.calls.join("\n")).not.toContain("drain_on_shutdown");
    expect(run.calls).toContain(`curl ${url("nomad", "127.0.0.1", "/v1/status/leader")}`);
    expect(run.calls).not.toContain(`curl ${url("nomad", "127.0.0.1", "/v1/agent/health?type=client")}`);
  });

  it("skips agents that are already stopped (a second run after a failure goes on where it stopped)", () => {
    host = leaveSandbox({ active: ["consul.service"], routes: leftCleanly() });
    const run = host.run("both", self);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("nomad is not running: nothing to drain or leave");
    expect(run.systemctl).toEqual([
      "is-active --quiet nomad.service",
      "is-active --quiet consul.service",
      "restart consul.service",
      "stop consul.service",
      "disable nomad.service consul.service",
    ]);
  });

  it("goes on with a warning when no other server answers (the whole cluster is being destroyed)", () => {
    const routes = leftCleanly();
    for (const ip of others) for (const agent of ["nomad", "consul"] as const) delete routes[url(agent, ip, "/v1/status/peers?stale")];
    host = leaveSandbox({ routes });
    const run = host.run("both", self);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("WARNING: nomad: no other server answers");
  });

  it("fails when another server still holds this host as a Raft peer, and leaves no leave settings behind", () => {
    host = leaveSandbox({ routes: { ...leftCleanly(), ...peersOfOthers("nomad", SERVERS) } });
    const run = host.run("both", self);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`hashilab-leave: nomad left, but ${self}:4647 is still a Raft peer of: ${others.join(" ")}`);
    expect(run.stderr).toContain("journal: --unit nomad.service");
    expect(run.systemctl).not.toContain("disable nomad.service consul.service");
    expect(host.leftover()).toEqual([]);
  });

  it("fails without stopping the agent when the restarted client has no servers (it could not drain)", () => {
    host = leaveSandbox({ routes: { ...leftCleanly(), [url("nomad", "127.0.0.1", "/v1/agent/health?type=client")]: ANSWERS.nomadClientWithoutServers } });
    const run = host.run("client", "10.0.1.9");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("hashilab-leave: nomad is not back in the cluster after its restart (its client health answers HTTP 500");
    expect(run.systemctl).not.toContain("stop nomad.service");
    expect(host.leftover()).toEqual([]);
    // The agent runs with the leave settings loaded: killed (no graceful leave) and started without them.
    const restarts = run.calls.filter((c) => c === "restart nomad.service" || c === "kill --signal=SIGKILL --kill-who=main nomad.service");
    expect(restarts).toEqual(["restart nomad.service", "kill --signal=SIGKILL --kill-who=main nomad.service", "restart nomad.service"]);
    const lastRestart = run.calls.lastIndexOf("restart nomad.service");
    expect(run.calls.slice(lastRestart + 1).filter((c) => c.startsWith("  "))).toEqual([]);
  });

  it("fails when the restarted server knows no leader (it could not leave Raft)", () => {
    host = leaveSandbox({ routes: { ...leftCleanly(), [url("nomad", "127.0.0.1", "/v1/status/leader")]: ANSWERS.noLeader.nomad } });
    const run = host.run("server", self);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("it knows no leader (HTTP 500 No cluster leader)");
  });

  it.each([
    ["a role it does not know", ["server; reboot", self], "role 'server; reboot' is none of them"],
    ["no role", [], "role '' is none of them"],
    ["an address that is no IPv4 address", ["both", "10.0.1.2 $(reboot)"], "'10.0.1.2 $(reboot)' is no IPv4 address"],
  ])("fails on %s before touching anything", (_, args, message) => {
    host = leaveSandbox({ routes: leftCleanly() });
    const run = host.run(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.calls).toEqual([]);
  });
});
