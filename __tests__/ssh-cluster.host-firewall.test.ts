import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOST_PORTS, renderHostFirewall } from "../constructs/hetzner-cluster/firewall-rules";
import { asRoot } from "./support/install-secrets";
import { probeConnects, ProbeResult } from "./support/tcp-probe";
import { requireTool } from "./support/tools";

/**
 * A LAN host's input firewall, loaded into a throwaway network namespace standing in for the
 * host, with two neighbours on its LAN: the operator's workstation and another host of the
 * cluster, and a machine outside behind the workstation (for the rules, any address that is
 * neither). This machine's own ruleset and interfaces are never touched.
 */
const OPERATOR = "192.168.1.10";
const rules = renderHostFirewall({
  operatorCidrs: [`${OPERATOR}/32`],
  clusterSources: ["192.168.1.21", "192.168.1.22", "192.168.1.23"],
  isClient: true,
  publicPorts: [{ protocol: "tcp", port: "53", description: "DNS" }],
});
const suffix = `${process.pid}`;
const ns = { host: `hf-host-${suffix}`, operator: `hf-op-${suffix}`, peer: `hf-peer-${suffix}`, outside: `hf-out-${suffix}` };
const workdir = mkdtempSync(join(tmpdir(), `hashilab-host-firewall-${suffix}-`));
const PORTS = [22, 4646, 4647, 8300, 8501, 25000, 80, 443, 53, 8080];
let listener: ChildProcess | undefined;

function run(...args: string[]): void {
  const result = spawnSync(...asRoot(args[0], ...args.slice(1)), { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
}

const portsOfHost = PORTS.map((p) => `192.168.1.21:${p}`);
/** Tries every port of the host from each of the namespaces, all at once. */
const probeFrom = (...namespaces: string[]) => probeConnects(namespaces.map((from) => [from, portsOfHost]));

beforeAll(() => {
  for (const tool of ["ip", "nft", "python3"]) requireTool(tool);
  for (const name of Object.values(ns)) run("ip", "netns", "add", name);
  // The host and its two LAN neighbours on one bridge (one layer-2 LAN); "outside" routes through the operator's namespace.
  run("ip", "-n", ns.host, "link", "add", "br-lan", "type", "bridge");
  run("ip", "-n", ns.host, "address", "add", "192.168.1.21/24", "dev", "br-lan");
  run("ip", "-n", ns.host, "link", "set", "br-lan", "up");
  for (const [dev, other, cidr] of [["lan-op", ns.operator, `${OPERATOR}/24`], ["lan-peer", ns.peer, "192.168.1.22/24"]]) {
    run("ip", "-n", ns.host, "link", "add", dev, "type", "veth", "peer", "name", "eth0", "netns", other);
    run("ip", "-n", ns.host, "link", "set", dev, "master", "br-lan");
    run("ip", "-n", ns.host, "link", "set", dev, "up");
    run("ip", "-n", other, "address", "add", cidr, "dev", "eth0");
    run("ip", "-n", other, "link", "set", "eth0", "up");
  }
  run("ip", "-n", ns.operator, "link", "add", "wan", "type", "veth", "peer", "name", "eth0", "netns", ns.outside);
  run("ip", "-n", ns.operator, "address", "add", "203.0.113.1/24", "dev", "wan");
  run("ip", "-n", ns.outside, "address", "add", "203.0.113.7/24", "dev", "eth0");
  run("ip", "-n", ns.operator, "link", "set", "wan", "up");
  run("ip", "-n", ns.outside, "link", "set", "eth0", "up");
  run("ip", "-n", ns.outside, "route", "add", "default", "via", "203.0.113.1");
  run("ip", "-n", ns.host, "route", "add", "203.0.113.0/24", "via", OPERATOR);
  run("ip", "netns", "exec", ns.operator, "sysctl", "-qw", "net.ipv4.ip_forward=1");
  for (const name of Object.values(ns)) run("ip", "-n", name, "link", "set", "lo", "up");
  const file = join(workdir, "host.nft");
  writeFileSync(file, rules);
  run("ip", "netns", "exec", ns.host, "nft", "-f", file);
  const server = [
    "import select, socket",
    "socks = []",
    `for port in ${JSON.stringify(PORTS)}:`,
    "    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', port)); s.listen(16); socks.append(s)",
    "print('ready', flush=True)",
    "while True:",
    "    for s in select.select(socks, [], [])[0]: s.accept()[0].close()",
  ].join("\n");
  listener = spawn(...asRoot("ip", "netns", "exec", ns.host, "python3", "-c", server), { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise<void>((resolve) => listener!.stdout!.once("data", () => resolve()));
});

afterAll(() => {
  listener?.kill();
  for (const name of Object.values(ns)) spawnSync(...asRoot("ip", "netns", "delete", name));
  rmSync(workdir, { recursive: true, force: true });
});

describe("a LAN host's input firewall", () => {
  // The three neighbours' connects at once: a dropped one takes the probe's whole deadline.
  let seen: ProbeResult;
  beforeAll(() => {
    seen = probeFrom(ns.operator, ns.peer, ns.outside);
  });
  /** The ports of the host a TCP connect from namespace `from` reached within the probe's deadline, in the last probe. */
  const reachable = (from: string): number[] => seen.reachable(from, portsOfHost).map((t) => Number(t.split(":")[1]));

  it("lets the operator reach SSH, the HTTPS APIs, the ingress and DNS, but not the agents' other ports", () => {
    expect(reachable(ns.operator)).toEqual([22, 4646, 8501, 80, 443, 53]);
  });

  it("lets another host of the cluster reach the agents' and tasks' ports, the ingress and DNS, but not SSH", () => {
    expect(reachable(ns.peer)).toEqual([4646, 4647, 8300, 8501, 25000, 80, 443, 53]);
  });

  it("lets anyone else (the rest of the LAN) reach only the ingress and DNS", () => {
    expect(reachable(ns.outside)).toEqual([80, 443, 53]);
  });

  it("is rendered from the same port table as the Hetzner firewall", () => {
    for (const p of [...HOST_PORTS.operator, ...HOST_PORTS.cluster, ...HOST_PORTS.ingress]) expect(rules).toContain(p.port);
  });

  it("can be loaded again over itself (each change reloads it)", () => {
    const file = join(workdir, "host.nft");
    run("ip", "netns", "exec", ns.host, "nft", "-f", file);
    run("ip", "netns", "exec", ns.host, "nft", "-f", file);
    seen = probeFrom(ns.outside);
    expect(reachable(ns.outside)).toEqual([80, 443, 53]);
  });
});
