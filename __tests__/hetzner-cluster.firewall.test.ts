import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { buildCluster } from "./support/hetzner-cluster";
import { asRoot } from "./support/install-secrets";
import { probeConnects, ProbeResult } from "./support/tcp-probe";
import { requireTool } from "./support/tools";
import { writtenFile } from "./support/user-data";

/**
 * The hosts' workload firewall, loaded into a throwaway network namespace standing in for a
 * host: one "container" namespace behind each bridge name the runtimes use (a veth of that
 * name on the host side, which is how the input hook sees a bridge port's traffic) and a
 * "peer" namespace on the private network. This machine's own ruleset and interfaces are
 * never touched.
 */
const rules = writtenFile(buildCluster().cluster.hosts[0].userData, HOST_PATHS.metadataFirewall).content;
const AGENT_PORTS = [4646, 4647, 4648, 8300, 8301, 8302, 8500, 8501, 8502, 8503, 8600];
const OTHER_PORT = 8080;
const suffix = `${process.pid}`;
const ns = { host: `hl-host-${suffix}`, peer: `hl-peer-${suffix}` };
/** Host-side interface, host address, container address: Docker (default and a user network), Nomad, Podman (CNI, netavark). */
const BRIDGES = [
  ["docker0", "172.17.0.1", "172.17.0.2"],
  ["br-5f1e2d3c4b5a", "172.18.0.1", "172.18.0.2"],
  ["nomad", "172.26.64.1", "172.26.64.2"],
  ["cni-podman0", "10.88.0.1", "10.88.0.2"],
  ["podman0", "10.89.0.1", "10.89.0.2"],
] as const;
const containerNs = (i: number) => `hl-ctr${i}-${suffix}`;
const allNamespaces = () => [...Object.values(ns), ...BRIDGES.map((_, i) => containerNs(i))];
const workdir = mkdtempSync(join(tmpdir(), "hashilab-firewall-"));
let listeners: ChildProcess[] = [];

function run(...args: string[]): void {
  const result = spawnSync(...asRoot(args[0], ...args.slice(1)), { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
}

beforeAll(() => {
  for (const tool of ["ip", "nft", "python3"]) requireTool(tool);
  for (const name of allNamespaces()) run("ip", "netns", "add", name);
  const links: Array<[string, string, string, string, string]> = [
    ...BRIDGES.map(([dev, hostIp, ctrIp], i): [string, string, string, string, string] => [dev, `${hostIp}/24`, containerNs(i), "eth0", `${ctrIp}/24`]),
    ["enp7s0", "10.0.10.11/24", ns.peer, "eth0", "10.0.10.12/24"],
  ];
  for (const [dev, hostCidr, other, otherDev, otherCidr] of links) {
    run("ip", "-n", ns.host, "link", "add", dev, "type", "veth", "peer", "name", otherDev, "netns", other);
    for (const [name, d, cidr] of [[ns.host, dev, hostCidr], [other, otherDev, otherCidr]]) {
      run("ip", "-n", name, "address", "add", cidr, "dev", d);
      run("ip", "-n", name, "link", "set", d, "up");
    }
  }
  for (const name of allNamespaces()) run("ip", "-n", name, "link", "set", "lo", "up");
  // Containers route everything through their bridge; the host forwards to the private
  // network, whose peer routes the container ranges back (as masquerading would make it).
  run("ip", "netns", "exec", ns.host, "sysctl", "-qw", "net.ipv4.ip_forward=1");
  BRIDGES.forEach(([, hostIp], i) => run("ip", "-n", containerNs(i), "route", "add", "default", "via", hostIp));
  run("ip", "-n", ns.peer, "route", "add", "default", "via", "10.0.10.11");
  const file = join(workdir, "rules.nft");
  writeFileSync(file, rules);
  run("ip", "netns", "exec", ns.host, "nft", "-f", file);
  const server = [
    "import select, socket",
    "socks = []",
    `for port in ${JSON.stringify([...AGENT_PORTS, OTHER_PORT])}:`,
    "    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', port)); s.listen(16); socks.append(s)",
    "print('ready', flush=True)",
    "while True:",
    "    for s in select.select(socks, [], [])[0]: s.accept()[0].close()",
  ].join("\n");
  listeners = [ns.host, ns.peer].map((name) => spawn(...asRoot("ip", "netns", "exec", name, "python3", "-c", server), { stdio: ["ignore", "pipe", "inherit"] }));
  return Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.stdout!.once("data", () => resolve())))).then(() => undefined);
});

afterAll(() => {
  for (const l of listeners) l.kill();
  // Deleting the host namespace also ends the listener in it.
  for (const name of allNamespaces()) spawnSync(...asRoot("ip", "netns", "delete", name));
  rmSync(workdir, { recursive: true, force: true });
});

describe("the workload firewall on a host", () => {
  const agentTargets = (ip: string) => AGENT_PORTS.map((port) => `${ip}:${port}`);
  /**
   * Every connect the cases up to the reload try, made at once before them: a dropped one
   * takes the probe's whole deadline, and these wait one deadline in all instead of one per case.
   */
  let seen: ProbeResult;
  beforeAll(() => {
    seen = probeConnects([
      ...BRIDGES.map(([, hostIp], i) => [
        containerNs(i),
        [...agentTargets(hostIp), ...agentTargets("10.0.10.11"), ...agentTargets("10.0.10.12"), `10.0.10.12:${OTHER_PORT}`, `${hostIp}:${OTHER_PORT}`],
      ] as const),
      [ns.peer, agentTargets("10.0.10.11")],
      [ns.host, ["127.0.0.1:4646"]],
    ]);
  });
  /** Which of the "ip:port" targets a TCP connect from namespace `from` reached within the probe's deadline. */
  const reachable = (from: string, targets: readonly string[]) => seen.reachable(from, targets);
  const connects = (from: string, ip: string, port: number) => reachable(from, [`${ip}:${port}`]).length === 1;

  it.each(BRIDGES.map(([dev, hostIp], i) => [dev, hostIp, i] as const))(
    "drops a TCP connect from a container behind %s to every agent port, on the bridge address and the private one",
    (_dev, hostIp, i) => {
      const targets = AGENT_PORTS.flatMap((port) => [`${hostIp}:${port}`, `10.0.10.11:${port}`]);
      expect(reachable(containerNs(i), targets)).toEqual([]);
    },
  );

  it.each(BRIDGES.map(([dev], i) => [dev, i] as const))(
    "drops a TCP connect from a container behind %s to another host's agent ports (forwarded through this host), and forwards other ports",
    (_dev, i) => {
      const targets = AGENT_PORTS.map((port) => `10.0.10.12:${port}`);
      expect(reachable(containerNs(i), targets)).toEqual([]);
      expect(connects(containerNs(i), "10.0.10.12", OTHER_PORT)).toBe(true);
    },
  );

  it("lets containers reach the host's other ports (published services, DNS on the VIP)", () => {
    expect(BRIDGES.filter(([, hostIp], i) => !connects(containerNs(i), hostIp, OTHER_PORT))).toEqual([]);
  });

  it("leaves the cluster's own traffic alone: other hosts on the private network and the host itself reach the agents", () => {
    const targets = AGENT_PORTS.map((port) => `10.0.10.11:${port}`);
    expect(reachable(ns.peer, targets)).toEqual(targets);
    expect(connects(ns.host, "127.0.0.1", 4646)).toBe(true);
  });

  it("counts what it drops, so an operator can see it working (nft list ruleset)", () => {
    const listed = spawnSync(...asRoot("ip", "netns", "exec", ns.host, "nft", "list", "chain", "inet", "hashilab_metadata", "input"), { encoding: "utf8" }).stdout;
    expect(listed).toMatch(/counter packets [1-9][0-9]* bytes [0-9]+ drop/);
  });

  it("can be loaded again over itself (each delivery and boot reloads it)", () => {
    const file = join(workdir, "rules.nft");
    run("ip", "netns", "exec", ns.host, "nft", "-f", file);
    run("ip", "netns", "exec", ns.host, "nft", "-f", file);
    seen = probeConnects([[containerNs(0), ["172.17.0.1:4646"]]]);
    expect(connects(containerNs(0), "172.17.0.1", 4646)).toBe(false);
  });
});
