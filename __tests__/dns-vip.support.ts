import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { ClusterFacts } from "../constructs/cluster-facts";
import { DnsVip, DnsVipProps } from "../constructs/dns-vip";
import { LAB_LIKE_FACTS } from "./nomad-job.support";
import { StackJson } from "./support/synth";
import { requireTool } from "./support/tools";

/** Facts like the lab's, with the namespaces seed 000's dns-read-jobs policy names. */
export const SEED_FACTS: ClusterFacts = { ...LAB_LIKE_FACTS, namespaces: ["default", "dns", "ingress", "lab", "public"] };

/** Seed 000's second CoreDNS job in DnsVip's words (plus what a VIP mode needs). */
export const SEED_PROPS: DnsVipProps = {
  domain: "lab.example.com",
  mode: "lan",
  vip: "10.0.10.2",
  subnetCidr: "10.0.10.0/24",
  namespaces: ["default", "lab", "public"],
  datacenters: ["lab01"],
};

/** The seed's job on Hetzner, its API token a sensitive variable (set at deploy time). */
export function hetznerDnsVip(scope: Construct, props: Partial<DnsVipProps> = {}): DnsVip {
  const apiToken = new TerraformVariable(scope, "hcloud_dns_token", { type: "string", sensitive: true });
  return new DnsVip(scope, "Dns", {
    ...SEED_PROPS,
    mode: "hetzner",
    hostNetwork: "private",
    hostAddresses: ["10.0.10.11", "10.0.10.12", "10.0.10.13"],
    hetzner: { networkId: "4711", apiToken },
    ...props,
  });
}

/** The dynamic port Nomad gives CoreDNS's health listener on the sample hosts. */
export const SAMPLE_HEALTH_PORT = 24053;

/** The values consul-template would use on a sample DNS host. */
export interface SampleHost {
  readonly interface: string;
  readonly address: string;
  /** Addresses of every `coredns` registration on the dns port, this host's included. */
  readonly dnsInstances: readonly string[];
  readonly variables: Readonly<Record<string, string>>;
}

/**
 * Renders DnsVip's keepalived.conf template as consul-template would on `host`: the env,
 * sockaddr and nomadVar lookups, and the nomadService range with its `{{-` whitespace trimming
 * (one "\n        <address>" per peer, this host skipped). Any other action is left in place,
 * so a test can assert that nothing is left unrendered.
 */
export function renderKeepalivedTemplate(template: string, host: SampleHost): string {
  const peers = host.dnsInstances
    .filter((address) => address !== host.address)
    .map((address) => `\n        ${address}`)
    .join("");
  return template
    .replace(/\n\{\{- range nomadService "coredns" \}\}[\s\S]*?\{\{- end \}\}\{\{ end \}\}/, peers)
    .replace(/\{\{ sockaddr "(?:[^"\\]|\\.)*" \}\}/g, host.interface)
    .replace(/\{\{ env "NOMAD_IP_dns" \}\}/g, host.address)
    .replace(/\{\{ env "NOMAD_ADDR_health" \}\}/g, `${host.address}:${SAMPLE_HEALTH_PORT}`)
    .replace(/\{\{ with nomadVar "[^"]+" \}\}\{\{ \.([A-Za-z_]+) \}\}\{\{ end \}\}/g, (_m, item: string) => host.variables[item]);
}

/** A network interface of this machine keepalived accepts (it refuses loopback and unknown ones). */
export function localInterface(): string {
  const name = readdirSync("/sys/class/net").sort().find((n) => n !== "lo");
  if (!name) throw new Error("no network interface besides lo: keepalived -t needs one");
  return name;
}

/** What the Hetzner notify script did against stubbed curl and sleep. */
export interface NotifyRun {
  readonly status: number;
  readonly stderr: string;
  /** POSTed change_alias_ips requests: the server id and the parsed body. */
  readonly changes: readonly { readonly server: string; readonly body: unknown }[];
  /** Every request, as "<method> <url>". */
  readonly requests: readonly string[];
}

/**
 * curl as the notify script calls it: answers the metadata service with SELF and API GETs with
 * $FIXTURES/<path, "/" as "_">.json, logs every request, and fails POSTs when FAIL_POSTS is set.
 */
const CURL_STUB = `#!/bin/sh
method=GET data= url=
while [ $# -gt 0 ]; do
  case $1 in
    -X) method=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    -H|--max-time) shift 2 ;;
    -*) shift ;;
    *) url=$1; shift ;;
  esac
done
printf '%s %s %s\\n' "$method" "$url" "$data" >>"$FIXTURES/requests.log"
case $url in
  */instance-id) echo "$SELF" ;;
  */actions/*) [ -z "$FAIL_POSTS" ] || { echo "curl: (22) 422" >&2; exit 22; }; echo '{}' ;;
  *) cat "$FIXTURES/$(echo "$url" | sed 's|^.*/v1/||; s|/|_|g').json" ;;
esac
`;

/** How a notify run is called and what it finds on the host. */
export interface NotifyOptions {
  /** The POSTs fail (the API refuses the change). */
  readonly failPosts?: boolean;
  /** Arguments, e.g. ["reconcile"]. */
  readonly args?: readonly string[];
  /** Addresses on this host's interfaces (what `ip addr show` lists). */
  readonly localAddresses?: readonly string[];
}

/**
 * Runs the notify script with sh (dash: close to the container's busybox sh), curl, ip and
 * sleep stubbed on PATH. `api` maps API paths ("networks/4711", "servers/12") to their JSON answers.
 */
export function runNotifyScript(script: string, self: string, api: Record<string, unknown>, options: NotifyOptions = {}): NotifyRun {
  const dir = mkdtempSync(join(tmpdir(), "hashilab-notify-run-"));
  try {
    writeFileSync(join(dir, "notify.sh"), script);
    writeFileSync(join(dir, "curl"), CURL_STUB, { mode: 0o755 });
    writeFileSync(join(dir, "sleep"), "#!/bin/sh\n", { mode: 0o755 });
    const inet = (options.localAddresses ?? []).map((a) => `    inet ${a} scope global ens10\n`).join("");
    writeFileSync(join(dir, "ip"), `#!/bin/sh\nprintf '3: ens10: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450\\n${inet}'\n`, { mode: 0o755 });
    writeFileSync(join(dir, "requests.log"), "");
    for (const [path, answer] of Object.entries(api)) writeFileSync(join(dir, `${path.replace(/\//g, "_")}.json`), JSON.stringify(answer, null, 2));
    const result = spawnSync("sh", [join(dir, "notify.sh"), ...(options.args ?? [])], {
      encoding: "utf8",
      env: { PATH: `${dir}:${process.env.PATH}`, FIXTURES: dir, SELF: self, FAIL_POSTS: options.failPosts ? "1" : "" },
    });
    const log = readFileSync(join(dir, "requests.log"), "utf8").split("\n").filter(Boolean);
    const changes = log
      .map((line) => /^POST \S+\/servers\/(\d+)\/actions\/change_alias_ips (.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, server, body]) => ({ server, body: JSON.parse(body) }));
    return { status: result.status ?? -1, stderr: result.stderr, changes, requests: log.map((line) => line.split(" ").slice(0, 2).join(" ")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Root for the network-namespace commands: the CI machine runs as root, a hosted runner has sudo. */
const AS_ROOT: readonly string[] = process.getuid?.() === 0 ? [] : ["sudo", "-n"];

function asRoot(command: string, args: readonly string[]): string {
  const [cmd, ...rest] = [...AS_ROOT, command, ...args];
  return execFileSync(cmd, rest, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function spawnAsRoot(command: string, args: readonly string[], logFile: string): ChildProcess {
  const [cmd, ...rest] = [...AS_ROOT, command, ...args];
  const log = openSync(logFile, "a");
  try {
    return spawn(cmd, rest, { stdio: ["ignore", log, log] });
  } finally {
    closeSync(log);
  }
}

/** What CoreDNS's health plugin does on its listener: 200 "OK" on /health, nothing else. */
const HEALTH_STAND_IN = `require("node:http").createServer((req, res) => {
  res.writeHead(req.url === "/health" ? 200 : 404);
  res.end(req.url === "/health" ? "OK" : "");
}).listen(${SAMPLE_HEALTH_PORT}, process.argv[2]);
`;

/** One DNS host of a VrrpLab: its own network namespace, keepalived, and a health listener standing in for CoreDNS. */
export interface LabHost {
  readonly name: string;
  readonly address: string;
  readonly namespace: string;
  /** The task's local/ directory as Nomad makes it (0777), where keepalived finds the notify script. */
  readonly localDir: string;
  health?: ChildProcess;
  keepalived?: ChildProcess;
}

/**
 * Two DNS hosts, each in a network namespace of its own and joined by a veth pair (interface
 * `hl0` on both ends), running the real keepalived on the keepalived.conf DnsVip renders for
 * them. The notify script keepalived runs as the new MASTER appends the host's name to a
 * file, in place of the Hetzner API calls (tested on their own).
 */
export class VrrpLab {
  static readonly INTERFACE = "hl0";
  /** Labs made by this process so far: each names its namespaces apart, so two can run at once. */
  private static made = 0;
  readonly dir = mkdtempSync(join(tmpdir(), "hashilab-vrrp-"));
  readonly hosts: readonly LabHost[];
  private readonly healthScript = join(this.dir, "health.js");
  private readonly notified = join(this.dir, "notified");
  /** Every process the lab started: stop() waits for them, since one still running keeps jest's worker from exiting. */
  private readonly started: ChildProcess[] = [];

  constructor(addresses: readonly string[], prefixLength: number, vip: string) {
    for (const tool of ["keepalived", "curl", "ip", "unshare", "nft"]) requireTool(tool);
    const tag = `${process.pid}`.slice(-6) + String.fromCharCode(97 + VrrpLab.made++);
    this.hosts = addresses.map((address, i) => ({
      name: `host${i + 1}`,
      address,
      namespace: `hashilab-${tag}-${i + 1}`,
      localDir: join(this.dir, `host${i + 1}`, "local"),
    }));
    if (this.hosts.length !== 2) throw new Error("a VrrpLab has two hosts (one veth pair)");
    writeFileSync(this.healthScript, HEALTH_STAND_IN);
    writeFileSync(this.notified, "");
    const [a, b] = this.hosts;
    for (const host of this.hosts) asRoot("ip", ["netns", "add", host.namespace]);
    asRoot("ip", ["link", "add", VrrpLab.INTERFACE, "netns", a.namespace, "type", "veth", "peer", "name", VrrpLab.INTERFACE, "netns", b.namespace]);
    for (const host of this.hosts) {
      asRoot("ip", ["-n", host.namespace, "link", "set", "lo", "up"]);
      asRoot("ip", ["-n", host.namespace, "link", "set", VrrpLab.INTERFACE, "up"]);
      asRoot("ip", ["-n", host.namespace, "addr", "add", `${host.address}/${prefixLength}`, "dev", VrrpLab.INTERFACE]);
      mkdirSync(host.localDir, { recursive: true });
      chmodSync(host.localDir, 0o777);
      // Claims as the real script does: always when called as notify, when reconciling only on
      // the MASTER (the VIP is on its interface) and only if another host claimed last.
      writeFileSync(
        join(host.localDir, "hetzner-vip.sh"),
        [
          "#!/bin/sh",
          `if [ "$#" -gt 0 ]; then`,
          `  ip addr show | grep -qF 'inet ${vip}/' || exit 0`,
          `  [ "$(tail -n 1 '${this.notified}')" != ${host.name} ] || exit 0`,
          "fi",
          `echo ${host.name} >>'${this.notified}'`,
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
    }
  }

  /** Splits the network between the hosts for VRRP: each host drops the adverts it receives. */
  split(): void {
    for (const host of this.hosts) {
      asRoot("ip", ["netns", "exec", host.namespace, "nft", "add table inet split; add chain inet split in { type filter hook input priority 0; }; add rule inet split in ip protocol vrrp drop"]);
    }
  }

  heal(): void {
    for (const host of this.hosts) asRoot("ip", ["netns", "exec", host.namespace, "nft", "delete table inet split"]);
  }

  /** The values consul-template uses on `host`, for renderKeepalivedTemplate. */
  sample(host: LabHost, dnsInstances: readonly string[], variables: Record<string, string>): SampleHost {
    return { interface: VrrpLab.INTERFACE, address: host.address, dnsInstances, variables };
  }

  /** Writes a file of the task's local/ directory on `host`; paths to /local/ in it point there. */
  writeLocal(host: LabHost, name: string, text: string): void {
    writeFileSync(join(host.localDir, name), this.localPaths(host, text));
  }

  startHealth(host: LabHost): void {
    host.health = this.start(["netns", "exec", host.namespace, process.execPath, this.healthScript, host.address], this.logPath(host, "health"));
  }

  stopHealth(host: LabHost): void {
    host.health?.kill("SIGTERM");
    host.health = undefined;
  }

  /**
   * Starts the task's command (entrypoint and args) on `host` as the first process of a PID
   * namespace, as in its container, its /local/ paths pointing at the host's local directory,
   * with pid files of its own so that two can run on one machine.
   */
  startKeepalived(host: LabHost, command: readonly string[]): void {
    const pidFiles = ["--pid", this.pidPath(host), "--vrrp_pid", join(this.dir, `${host.name}-vrrp.pid`)];
    const [program, ...args] = command.map((arg) => this.localPaths(host, arg));
    host.keepalived = this.start(["netns", "exec", host.namespace, "unshare", "--pid", "--fork", program, ...args, ...pidFiles], this.logPath(host, "keepalived"));
  }

  private start(ipArgs: readonly string[], logFile: string): ChildProcess {
    const child = spawnAsRoot("ip", ipArgs, logFile);
    this.started.push(child);
    return child;
  }

  /** Sends keepalived's main process `signal` from outside its PID namespace, as podman does for Nomad's change_signal. */
  signalKeepalived(host: LabHost, signal: string): void {
    asRoot("kill", [`-${signal}`, String(this.keepalivedPid(host))]);
  }

  /**
   * keepalived's main process as this machine sees it: the one whose command line names the
   * host's pid file and which is the first process (pid 1) of its own namespace. (The pid file
   * says 1, which is this machine's init outside the namespace.)
   */
  private keepalivedPid(host: LabHost): number {
    for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(this.pidPath(host))) continue;
        const nspid = /^NSpid:\s+(\d+)\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        if (nspid?.[2] === "1") return Number(nspid[1]);
      } catch {
        // the process ended while we looked
      }
    }
    throw new Error(`${host.name}: no keepalived running as the first process of its PID namespace`);
  }

  /** The IPv4 addresses on the host's interface. */
  addresses(host: LabHost): string[] {
    const out = asRoot("ip", ["-n", host.namespace, "-4", "-o", "addr", "show", "dev", VrrpLab.INTERFACE]);
    return [...out.matchAll(/inet (\S+)/g)].map((m) => m[1]);
  }

  keepalivedLog(host: LabHost): string {
    return existsSync(this.logPath(host, "keepalived")) ? readFileSync(this.logPath(host, "keepalived"), "utf8") : "(not started)";
  }

  /** Hosts whose notify script ran, in order. */
  notifiedHosts(): string[] {
    return readFileSync(this.notified, "utf8").split("\n").filter(Boolean);
  }

  /** Polls until `condition` holds; returns the milliseconds it took, or throws with what the hosts logged. */
  async waitFor(what: string, condition: () => boolean, timeoutMs = 20000): Promise<number> {
    const start = Date.now();
    while (!condition()) {
      if (Date.now() - start > timeoutMs) {
        const logs = this.hosts.map((h) => `--- ${h.name} keepalived:\n${this.keepalivedLog(h)}`).join("\n");
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return Date.now() - start;
  }

  /** Stops each host's processes and waits until they have exited, then removes the namespaces. */
  async stop(): Promise<void> {
    const exited = this.started.map((child) =>
      child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", resolve)),
    );
    for (const host of this.hosts) {
      this.stopHealth(host);
      // unshare passes nothing on: stop keepalived itself, which releases the VIP.
      try {
        if (host.keepalived) this.signalKeepalived(host, "TERM");
      } catch {
        // it has stopped already
      }
    }
    await Promise.all(exited);
    for (const host of this.hosts) {
      try {
        asRoot("ip", ["netns", "del", host.namespace]);
      } catch {
        // never created
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private localPaths(host: LabHost, text: string): string {
    return text.replace(/\/local\//g, `${host.localDir}/`);
  }

  private pidPath(host: LabHost): string {
    return join(this.dir, `${host.name}.pid`);
  }

  private logPath(host: LabHost, what: string): string {
    return join(this.dir, `${host.name}-${what}.log`);
  }
}

/**
 * terraform plan against the preconditions DnsVip puts on its Secrets variable (the VRRP
 * password's), carried by terraform_data since the Nomad provider cannot run offline. Returns
 * plan's stderr for each password, "" where Terraform accepts it.
 */
export function planVrrpPasswords(stack: StackJson, passwords: readonly string[]): Record<string, string> {
  const [secrets] = Object.values<any>(stack.resource.nomad_variable);
  const config = {
    variable: { vrrp_password: stack.variable.vrrp_password },
    resource: { terraform_data: { secrets: { input: "x", lifecycle: secrets.lifecycle } } },
  };
  const dir = mkdtempSync(join(tmpdir(), "hashilab-vrrp-plan-"));
  const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
  try {
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config));
    execFileSync("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, env, stdio: "pipe" });
    const plan = (password: string): string => {
      const run = spawnSync("terraform", ["plan", "-input=false", "-no-color"], { cwd: dir, env: { ...env, TF_VAR_vrrp_password: password }, encoding: "utf8" });
      return run.status === 0 ? "" : run.stderr;
    };
    return Object.fromEntries(passwords.map((password) => [password, plan(password)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
