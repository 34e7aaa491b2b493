import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformVariable } from "cdktf";
import { DnsVip, DnsVipProps } from "../constructs/dns-vip";
import {
  hetznerDnsVip,
  localInterface,
  planVrrpPasswords,
  renderKeepalivedTemplate,
  runNotifyScript,
  SAMPLE_HEALTH_PORT,
  SampleHost,
  SEED_FACTS,
  SEED_PROPS,
} from "./dns-vip.support";
import { evaluateJobspecs, jobStack, parseJob, synthJobStack } from "./nomad-job.support";
import { resourcesOf, StackJson } from "./support/synth";
import { requireTool } from "./support/tools";

const seedJob = () => parseJob(readFileSync(join(__dirname, "golden", "coredns-keepalived.nomad.hcl"), "utf8"));

const received = new WeakMap<StackJson, Promise<Record<string, any>>>();

/** What Nomad receives for the one DNS job of a stack (after Terraform evaluated the jobspec). */
function receivedJob(stack: StackJson): Promise<Record<string, any>> {
  if (!received.has(stack)) {
    const [jobspec] = Object.values(evaluateJobspecs(stack));
    received.set(stack, parseJob(jobspec).then((job) => job.coredns[0]));
  }
  return received.get(stack)!;
}

const group = (job: Record<string, any>) => job.group.dns[0];
const task = (job: Record<string, any>, name: string) => group(job).task[name][0];
const templateAt = (job: Record<string, any>, taskName: string, destination: string): string =>
  task(job, taskName).template.find((t: any) => t.destination === destination).data;

/**
 * Where DnsVip's job may differ from seed 000's, and why. Paths are inside the parsed job
 * (hcl2json's shape); the test removes them from both sides and compares everything else.
 */
const SEED_DIFFERENCES: { path: string; modes: readonly string[]; reason: string }[] = [
  { path: "group.dns.0.network.0.port.dns.0.static", modes: ["lan", "hetzner"], reason: 'the seed quotes the port ("53"); Nomad reads the number, which DnsVip writes' },
  { path: "group.dns.0.network.0.port.metrics.0.static", modes: ["lan", "hetzner"], reason: 'the seed quotes the port ("9153"); Nomad reads the number' },
  {
    path: "group.dns.0.task.coredns.0.template",
    modes: ["lan", "hetzner"],
    reason:
      "the Corefile is generated (asserted below): it enables prometheus on the metrics port the seed publishes but never serves, " +
      "adds log/errors to the lab zone, per-namespace rewrites and upstream forwarding, drops `debug` (it disables panic recovery), " +
      "serves health on the group's health port only; and it is reloaded with SIGUSR1, since CoreDNS ignores the seed's SIGHUP",
  },
  {
    path: "group.dns.0.task.coredns.0.identity",
    modes: ["lan", "hetzner"],
    reason:
      "a new workload identity restarts CoreDNS: the nomad plugin reads NOMAD_TOKEN from its environment, which no signal can change " +
      "(and CoreDNS ignores the seed's SIGHUP)",
  },
  {
    path: "group.dns.0.network.0.port.health",
    modes: ["lan", "hetzner"],
    reason:
      "CoreDNS's health listener is a dynamic port of the group, where keepalived checks it and gives up the VIP when CoreDNS stops " +
      "answering; the seed's health takes :8080 on every address unannounced, the port the ingress dashboard binds by default",
  },
  {
    path: "group.dns.0.task.coredns.0.service",
    modes: ["lan", "hetzner"],
    reason:
      'services use provider "nomad": CoreDNS serves Nomad services and keepalived finds its peers with nomadService; ' +
      "the seed's default (Consul) would need a Consul token in the dns namespace for its `range service`",
  },
  {
    path: "group.dns.0.task.keepalived-dns.0.config.0.volumes",
    modes: ["lan", "hetzner"],
    reason:
      "keepalived reads keepalived.conf from /local, the task directory the driver mounts anyway; the seed mounts local/ for the " +
      "image's startup scripts, which no longer run",
  },
  {
    path: "group.dns.0.task.keepalived-dns.0.config.0.entrypoint",
    modes: ["lan", "hetzner"],
    reason:
      "keepalived is the container's first process, so the SIGHUP that reloads it arrives: the image's Python supervisor handles " +
      "no SIGHUP, and the kernel drops such signals to a PID namespace's first process",
  },
  {
    path: "group.dns.0.task.keepalived-dns.0.config.0.args",
    modes: ["lan", "hetzner"],
    reason: "keepalived's own flags (the image's startup script passed them before): foreground, log to the console, VRRP only, /local/keepalived.conf",
  },
  {
    path: "group.dns.0.task.keepalived-dns.0.template",
    modes: ["lan", "hetzner"],
    reason:
      "the template renders keepalived.conf (asserted below) instead of env.yaml, with a health check on CoreDNS, and keepalived " +
      "reloads it on SIGHUP instead of restarting (a restarting MASTER moved the VIP at every CoreDNS start or stop); " +
      "hetzner adds the notify script and the API token header",
  },
  {
    path: "group.dns.0.update.0.canary",
    modes: ["lan", "hetzner"],
    reason:
      "the seed's canary = count can never be placed: each canary needs a host of its own (static port 53, distinct_hosts) and all are taken " +
      "by the running instances, so every update would fail and revert; DnsVip rolls one instance at a time (canaries is a prop)",
  },
  {
    path: "group.dns.0.update.0.auto_promote",
    modes: ["lan", "hetzner"],
    reason: "Nomad rejects auto_promote without canaries",
  },
  { path: "group.dns.0.network.0.port.dns.0.host_network", modes: ["hetzner"], reason: "on Hetzner DNS binds the private network, never the public one (an open resolver)" },
  { path: "group.dns.0.network.0.port.metrics.0.host_network", modes: ["hetzner"], reason: "metrics stay on the private network too" },
];

function lookup(value: any, path: string): any {
  return path.split(".").reduce((v, key) => v?.[key], value);
}

function withoutPaths(job: Record<string, any>, paths: readonly string[]): Record<string, any> {
  const copy = structuredClone(job);
  for (const path of paths) {
    const keys = path.split(".");
    const parent = lookup(copy, keys.slice(0, -1).join("."));
    if (parent) delete parent[keys[keys.length - 1]];
  }
  return copy;
}

describe.each([
  ["lan", (scope: any) => new DnsVip(scope, "Dns", SEED_PROPS)],
  ["hetzner", (scope: any) => hetznerDnsVip(scope)],
] as const)("DnsVip in mode %s", (mode, build) => {
  const stack = synthJobStack((scope) => build(scope), SEED_FACTS);
  const differences = SEED_DIFFERENCES.filter((d) => d.modes.includes(mode));

  it("reproduces seed 000's second CoreDNS job in every block the seed sets, apart from the listed differences", async () => {
    requireTool("terraform");
    const ours = await receivedJob(stack);
    const seed = (await seedJob()).coredns[0];
    const paths = differences.map((d) => d.path);
    expect(withoutPaths(ours, paths)).toEqual(withoutPaths(seed, paths));
  });

  it.each(differences.map((d) => [d.path, d.reason]))("differs from the seed at %s, because %s", async (path) => {
    const ours = await receivedJob(stack);
    const seed = (await seedJob()).coredns[0];
    expect(lookup(ours, path)).not.toEqual(lookup(seed, path));
  });

  it("binds its least-privilege policy to the job: dns-read-jobs over the served namespaces plus agent read", async () => {
    const [policy] = Object.values(resourcesOf(stack, "nomad_acl_policy"));
    expect(policy.name).toBe("dns-read-jobs");
    expect(policy.job_acl).toEqual({ namespace: "dns", job_id: "coredns" });
    const rules = await import("./support/hcl").then((m) => m.parseHcl(policy.rules_hcl));
    expect(Object.keys(rules.namespace).sort()).toEqual(["default", "dns", "lab", "public"]);
    expect(rules.agent).toEqual([{ policy: "read" }]);
    expect(Object.keys(rules).sort()).toEqual(["agent", "namespace"]);
  });
});

describe("keepalived.conf, rendered as consul-template does on a DNS host", () => {
  const hosts = ["10.0.10.11", "10.0.10.12", "10.0.10.13"];
  const sample = (): SampleHost => ({
    interface: localInterface(),
    address: hosts[0],
    dnsInstances: hosts,
    variables: { vrrp_password: "s3cret", hcloud_token: "unused" },
  });

  async function renderedConf(props: Partial<DnsVipProps>, hetzner: boolean): Promise<string> {
    const stack = synthJobStack((scope) => {
      const vrrpPassword = new TerraformVariable(scope, "vrrp_password", { type: "string", sensitive: true });
      if (hetzner) hetznerDnsVip(scope, { vrrpPassword, ...props });
      else new DnsVip(scope, "Dns", { ...SEED_PROPS, vrrpPassword, ...props });
    }, SEED_FACTS);
    const template = templateAt(await receivedJob(stack), "keepalived-dns", "local/keepalived.conf");
    return renderKeepalivedTemplate(template, sample());
  }

  function keepalivedCheck(conf: string): void {
    requireTool("keepalived");
    const dir = mkdtempSync(join(tmpdir(), "hashilab-keepalived-"));
    try {
      const file = join(dir, "keepalived.conf");
      writeFileSync(file, conf);
      execFileSync("keepalived", ["-t", "-f", file], { stdio: "pipe" });
    } catch (error: any) {
      throw new Error(`keepalived -t rejected:\n${conf}\n${error.stderr ?? error}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it.each([
    ["lan", false],
    ["hetzner", true],
  ] as const)("passes keepalived -t in mode %s", async (_mode, hetzner) => {
    const conf = await renderedConf({}, hetzner);
    expect(conf).not.toContain("{{");
    keepalivedCheck(conf);
  });

  it("lists the other DNS hosts as unicast peers, never this one", async () => {
    const conf = await renderedConf({}, false);
    expect(conf).toContain(`unicast_src_ip 10.0.10.11\n    unicast_peer {\n        10.0.10.12\n        10.0.10.13\n    }`);
  });

  it("adds the VIP with the subnet's prefix on a LAN and as a /32 on Hetzner's layer-3 network", async () => {
    const iface = localInterface();
    expect(await renderedConf({}, false)).toContain(`10.0.10.2/24 dev ${iface}`);
    expect(await renderedConf({}, true)).toContain(`10.0.10.2/32 dev ${iface}`);
  });

  it("moves the VIP through the Hetzner API only in mode hetzner", async () => {
    const hetzner = await renderedConf({}, true);
    expect(hetzner).toContain('    notify_master "/bin/sh /local/hetzner-vip.sh"\n');
    // Also when a MASTER hears another one: it stays MASTER, and the other may have claimed the VIP last.
    expect(hetzner).toContain('    notify_master_rx_lower_pri "/bin/sh /local/hetzner-vip.sh"\n');
    // And every 30 s, with a weight: a failed run lowers the priority, never FAULTs.
    expect(hetzner).toContain('vrrp_script vip_reconcile {\n    script "/bin/sh /local/hetzner-vip.sh reconcile"\n    interval 30\n    timeout 90\n    weight 1\n}\n');
    expect(hetzner).toMatch(/track_script \{\n        coredns_health\n        vip_reconcile\n    \}/);
    expect(await renderedConf({}, false)).not.toContain("vip_reconcile");
  });

  it("repeats gratuitous ARPs every 60 s on a LAN, where clients may still point at a MASTER that stepped down", async () => {
    expect(await renderedConf({}, false)).toContain("    advert_int 1\n    garp_master_refresh 60\n");
    expect(await renderedConf({}, true)).not.toContain("garp_master_refresh");
    expect(await renderedConf({}, false)).not.toContain("notify_master");
  });

  it("finds the interface on the host by the subnet, whichever interface has the default route", async () => {
    const stack = synthJobStack((scope) => new DnsVip(scope, "Dns", SEED_PROPS), SEED_FACTS);
    const template = templateAt(await receivedJob(stack), "keepalived-dns", "local/keepalived.conf");
    expect(template).toContain(`interface {{ sockaddr "GetAllInterfaces | include \\"network\\" \\"10.0.10.0/24\\" | limit 1 | attr \\"name\\"" }}`);
  });

  it("takes the VRRP password from the Nomad variable, and a named interface as written", async () => {
    const conf = await renderedConf({ interface: "ens10" }, false);
    expect(conf).toContain("auth_pass s3cret");
    expect(conf).toContain("interface ens10");
  });

  it("checks CoreDNS's health listener on this host: the group's health port, where the Corefile's health plugin listens", async () => {
    const conf = await renderedConf({}, true);
    expect(conf).toContain(`    script "/usr/bin/curl --fail --silent --output /dev/null --max-time 1 http://10.0.10.11:${SAMPLE_HEALTH_PORT}/health"\n`);
    expect(await renderedConf({}, false)).toMatch(/\n    track_script \{\n        coredns_health\n    \}\n/);
    const job = await receivedJob(synthJobStack((scope) => hetznerDnsVip(scope), SEED_FACTS));
    expect(templateAt(job, "coredns", "local/coredns/corefile")).toContain('    health {{ env "NOMAD_ADDR_health" }}\n');
    expect(templateAt(job, "keepalived-dns", "local/keepalived.conf")).toContain('http://{{ env "NOMAD_ADDR_health" }}/health"');
    // Dynamic: a static 8080 (the plugin's default) collides with the ingress dashboard's default port on a shared host.
    expect(group(job).network[0].port.health).toEqual([{ host_network: "private" }]);
  });

  it("fails keepalived -t without script security, since the health check runs as root", async () => {
    const conf = await renderedConf({}, false);
    expect(conf).toContain("    enable_script_security\n");
    expect(() => keepalivedCheck(conf.replace("    enable_script_security\n", ""))).toThrow(/SECURITY VIOLATION/);
  });

  it("fails keepalived -t for a router id keepalived rejects (the construct refuses it earlier)", () => {
    requireTool("keepalived");
    const conf = `vrrp_instance x {\n    interface ${localInterface()}\n    virtual_router_id 256\n    priority 100\n    virtual_ipaddress {\n        10.0.10.2/32\n    }\n}\n`;
    expect(() => keepalivedCheck(conf)).toThrow(/virtual_router_id|VRID/);
  });
});

describe("what each task does with a changed file or token (mode hetzner)", () => {
  const stack = synthJobStack((scope) => hetznerDnsVip(scope), SEED_FACTS);
  const changeModes = async (taskName: string) =>
    Object.fromEntries(task(await receivedJob(stack), taskName).template.map((t: any) => [t.destination, [t.change_mode, t.change_signal, t.splay]]));

  it("reloads keepalived with SIGHUP on a new keepalived.conf (peers, password) and leaves it alone when the notify script or token header changes", async () => {
    // keepalived runs the notify script anew at each transition, and curl reads the header at each call.
    expect(await changeModes("keepalived-dns")).toEqual({
      "local/keepalived.conf": ["signal", "SIGHUP", undefined],
      "local/hetzner-vip.sh": ["noop", undefined, undefined],
      "secrets/hcloud-auth.header": ["noop", undefined, undefined],
    });
  });

  it("runs keepalived as the container's first process, reading keepalived.conf where Nomad renders it", async () => {
    const config = task(await receivedJob(stack), "keepalived-dns").config[0];
    expect(config.entrypoint).toEqual(["keepalived"]);
    expect(config.args).toEqual(["--dont-fork", "--log-console", "--log-detail", "--vrrp", "--use-file", "/local/keepalived.conf"]);
    // A bind mount of the single file would keep the first version: renders replace the file by rename.
    expect(config.volumes).toBeUndefined();
  });

  it("reloads CoreDNS with SIGUSR1 on a new Corefile (CoreDNS ignores SIGHUP)", async () => {
    expect(await changeModes("coredns")).toEqual({ "local/coredns/corefile": ["signal", "SIGUSR1", undefined] });
  });

  it("restarts CoreDNS on a new workload identity: the nomad plugin reads NOMAD_TOKEN from its environment", async () => {
    expect(task(await receivedJob(stack), "coredns").identity).toEqual([{ env: true, change_mode: "restart" }]);
  });
});

describe("the Hetzner notify script", () => {
  const stack = synthJobStack((scope) => hetznerDnsVip(scope), SEED_FACTS);

  it("passes shellcheck as Nomad writes it", async () => {
    requireTool("shellcheck");
    const script = templateAt(await receivedJob(stack), "keepalived-dns", "local/hetzner-vip.sh");
    const dir = mkdtempSync(join(tmpdir(), "hashilab-notify-"));
    try {
      writeFileSync(join(dir, "notify.sh"), script);
      execFileSync("shellcheck", ["--shell=sh", join(dir, "notify.sh")], { stdio: "pipe" });
    } catch (error: any) {
      throw new Error(`shellcheck:\n${error.stdout ?? error}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Hetzner's answers: servers 11 (this one), 12 (holds the VIP) and 13 on network 4711. */
  const attachment = (network: number, ip: string, aliasIps: string[]) => ({ alias_ips: aliasIps, ip, mac_address: "86:00:00:2a:7d:e1", network });
  const server = (id: number, ...privateNet: object[]) => ({
    server: { id, name: `lab-${id}`, private_net: privateNet, public_net: { ipv4: { id: 1, ip: "203.0.113.10" }, firewalls: [] }, datacenter: { location: { name: "fsn1" } } },
  });
  const API = {
    "networks/4711": { network: { id: 4711, ip_range: "10.0.0.0/16", subnets: [{ ip_range: "10.0.10.0/24" }], routes: [], servers: [11, 12, 13], load_balancers: [] } },
    "servers/11": server(11, attachment(4711, "10.0.10.11", ["10.0.10.30"])),
    // The VIP's address also sits on another network (47110), which the script must leave alone.
    "servers/12": server(12, attachment(47110, "10.0.10.12", ["10.0.10.2"]), attachment(4711, "10.0.10.12", ["10.0.10.20", "10.0.10.2", "10.0.10.21"])),
    "servers/13": server(13, attachment(4711, "10.0.10.13", ["10.0.10.25"])),
  };

  it("takes only the VIP off the server holding it and adds it to its own, keeping every other alias IP", async () => {
    requireTool("sh");
    const script = templateAt(await receivedJob(stack), "keepalived-dns", "local/hetzner-vip.sh");
    const run = runNotifyScript(script, "11", API);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.changes).toEqual([
      { server: "12", body: { network: 4711, alias_ips: ["10.0.10.20", "10.0.10.21"] } },
      { server: "11", body: { network: 4711, alias_ips: ["10.0.10.30", "10.0.10.2"] } },
    ]);
  });

  it("claims the VIP alone when no server holds it and its own attachment has no alias IPs", async () => {
    requireTool("sh");
    const script = templateAt(await receivedJob(stack), "keepalived-dns", "local/hetzner-vip.sh");
    const run = runNotifyScript(script, "13", { ...API, "servers/12": server(12, attachment(4711, "10.0.10.12", [])), "servers/13": server(13, attachment(4711, "10.0.10.13", [])) });
    expect(run.status).toBe(0);
    expect(run.changes).toEqual([{ server: "13", body: { network: 4711, alias_ips: ["10.0.10.2"] } }]);
  });

  it("fails (exit 1) after its last attempt when the API refuses the change", async () => {
    requireTool("sh");
    const script = templateAt(await receivedJob(stack), "keepalived-dns", "local/hetzner-vip.sh");
    const run = runNotifyScript(script, "11", API, { failPosts: true });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/could not release 10\.0\.10\.2 from server 12/);
    expect(run.stderr).toMatch(/giving up: 10\.0\.10\.2 is not assigned to server 11 after 5 attempts\n$/);
    expect(run.changes).toHaveLength(5);
  });

  describe("run by keepalived every 30 s to reconcile", () => {
    const reconcile = async (self: string, localAddresses: string[], api = API, failPosts = false) =>
      runNotifyScript(templateAt(await receivedJob(stack), "keepalived-dns", "local/hetzner-vip.sh"), self, api, { args: ["reconcile"], localAddresses, failPosts });

    it("calls nothing on a host that does not hold the VIP (not MASTER)", async () => {
      const run = await reconcile("11", ["10.0.10.11/24"]);
      expect(run.status).toBe(0);
      expect(run.requests).toEqual([]);
    });

    it("only reads its own server when the MASTER's server has the alias", async () => {
      const run = await reconcile("12", ["10.0.10.12/24", "10.0.10.2/32"]);
      expect(run.status).toBe(0);
      expect(run.requests).toEqual(["GET http://169.254.169.254/hetzner/v1/metadata/instance-id", "GET https://api.hetzner.cloud/v1/servers/12"]);
    });

    it("takes the alias back, once, when the MASTER's server lacks it (another MASTER claimed it last)", async () => {
      const run = await reconcile("11", ["10.0.10.11/24", "10.0.10.2/32"]);
      expect(run.status).toBe(0);
      expect(run.stderr).toMatch(/this server \(11\) holds 10\.0\.10\.2 as MASTER but not as an alias IP: claiming it/);
      expect(run.changes).toEqual([
        { server: "12", body: { network: 4711, alias_ips: ["10.0.10.20", "10.0.10.21"] } },
        { server: "11", body: { network: 4711, alias_ips: ["10.0.10.30", "10.0.10.2"] } },
      ]);
      const refused = await reconcile("11", ["10.0.10.2/32"], API, true);
      expect(refused.status).toBe(1);
      expect(refused.changes).toHaveLength(1);
    });
  });

  it("is executable and moves the VIP on the configured network", async () => {
    const job = await receivedJob(stack);
    const template = task(job, "keepalived-dns").template.find((t: any) => t.destination === "local/hetzner-vip.sh");
    expect(template.perms).toBe("0755");
    expect(template.data).toContain("network_id='4711'");
    expect(template.data).toContain("vip='10.0.10.2'");
    expect(template.data).toContain('"/servers/$1/actions/change_alias_ips"');
  });

  it("reads the API token from a Nomad variable only the keepalived task can read, never from the jobspec", async () => {
    const job = await receivedJob(stack);
    const header = task(job, "keepalived-dns").template.find((t: any) => t.destination === "secrets/hcloud-auth.header");
    expect(header.perms).toBe("0400");
    expect(header.data).toBe('Authorization: Bearer {{ with nomadVar "nomad/jobs/coredns/dns/keepalived-dns" }}{{ .hcloud_token }}{{ end }}\n');
    const [variable] = Object.values(resourcesOf(stack, "nomad_variable"));
    expect(variable.path).toBe("nomad/jobs/coredns/dns/keepalived-dns");
    expect(variable.namespace).toBe("dns");
    expect(variable.items).toEqual({ hcloud_token: "${var.hcloud_dns_token}" });
    expect(JSON.stringify(resourcesOf(stack, "nomad_job"))).not.toContain("hcloud_dns_token");
    const [jobResource] = Object.values(resourcesOf(stack, "nomad_job"));
    expect(jobResource.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^nomad_variable\.[^$]+$/)]));
  });
});

describe("DnsVip in mode none (a single dev agent)", () => {
  const stack = synthJobStack(
    (scope) => new DnsVip(scope, "Dns", { domain: "lab.example.com", mode: "none", namespaces: ["default"], driver: "docker" }),
    { ...SEED_FACTS, clientCount: 1 },
  );

  it("runs one CoreDNS on the host's address, without keepalived", async () => {
    const job = await receivedJob(stack);
    expect(group(job).count).toBe(1);
    expect(Object.keys(group(job).task)).toEqual(["coredns"]);
    expect(templateAt(job, "coredns", "local/coredns/corefile")).toContain('    bind {{ env "NOMAD_IP_dns" }}\n');
    expect(resourcesOf(stack, "nomad_variable")).toEqual({});
  });
});

describe("DnsVip validation", () => {
  const build = (props: Partial<DnsVipProps>) => () =>
    new DnsVip(jobStack(SEED_FACTS), "Dns", { ...SEED_PROPS, hostAddresses: ["10.0.10.11", "10.0.10.12", "10.0.10.13"], ...props });

  it("fails for a VIP outside the hosts' subnet", () => {
    expect(build({ vip: "10.0.20.2" })).toThrow(/test\/Dns: invalid DnsVip:[\s\S]*vip "10\.0\.20\.2" is outside the hosts' subnet 10\.0\.10\.0\/24/);
  });

  it("fails for a VIP that is a host's address", () => {
    expect(build({ vip: "10.0.10.12" })).toThrow(/test\/Dns:[\s\S]*vip "10\.0\.10\.12" is the address of a host/);
  });

  it("fails for the subnet's network or broadcast address as VIP", () => {
    expect(build({ vip: "10.0.10.255" })).toThrow(/network or broadcast address of 10\.0\.10\.0\/24/);
    expect(build({ vip: "10.0.10.0" })).toThrow(/network or broadcast address/);
  });

  it.each([0, 256, 1.5])("fails for virtual_router_id %s", (id) => {
    expect(build({ virtualRouterId: id })).toThrow(new RegExp(`test/Dns:[\\s\\S]*virtualRouterId ${id} is not a VRRP router id: use a whole number from 1 to 255`));
  });

  it("fails for a VIP that is not an address, or a subnet that is not a CIDR", () => {
    expect(build({ vip: "dns.lab" })).toThrow(/vip "dns\.lab" is not an IPv4 address/);
    expect(build({ subnetCidr: "10.0.10.5/24" })).toThrow(/subnetCidr: "10\.0\.10\.5\/24" has host bits set/);
  });

  it("fails in mode lan or hetzner without a VIP", () => {
    expect(build({ vip: undefined })).toThrow(/mode "lan" needs vip and subnetCidr/);
  });

  it("fails in mode hetzner without the Hetzner network and token", () => {
    expect(build({ mode: "hetzner" })).toThrow(/mode "hetzner" needs hetzner: \{ networkId, apiToken \}/);
  });

  it("fails for a domain that is not a DNS name", () => {
    expect(build({ domain: "Lab.Example.com." })).toThrow(`domain "Lab.Example.com." ends in a dot; write it without the trailing dot ("lab.example.com")`);
  });

  it("fails when the default namespace is not served", () => {
    expect(build({ namespaces: ["lab"] })).toThrow(/defaultNamespace "default" is not in namespaces \(lab\)/);
  });

  it("fails for keepalived on the docker driver, which refuses its capabilities without allow_caps", () => {
    expect(build({ driver: "docker" })).toThrow(
      /test\/Dns: invalid DnsVip:[\s\S]*mode "lan" runs keepalived, which needs NET_ADMIN and NET_BROADCAST; Docker refuses them .*use driver "podman"/,
    );
  });

  it("fails for a driver the clients do not enable, saying where to enable it", () => {
    const facts = { ...SEED_FACTS, drivers: ["docker" as const, "exec" as const] };
    expect(() => new DnsVip(jobStack(facts), "Dns", SEED_PROPS)).toThrow(
      /test\/Dns: invalid DnsVip:[\s\S]*driver "podman" \(keepalived needs podman in mode "lan"\) is not enabled on the clients \(enabled: docker, exec\): add "podman" to drivers in declareClusterFacts\(\.\.\.\)/,
    );
    expect(() => new DnsVip(jobStack({ ...facts, drivers: ["podman"] }), "Dns", { ...SEED_PROPS, mode: "none", driver: "docker" })).toThrow(
      /driver "docker" is not enabled on the clients \(enabled: podman\): add "docker" to drivers in declareClusterFacts\(\.\.\.\), or pick an enabled driver/,
    );
  });

  it("fails for canaries the clients cannot hold beside the running instances", () => {
    expect(build({ canaries: 3 })).toThrow(/3 instances \+ 3 canaries need 6 clients \(static port 53, one per host\), but there are 3 \(clientCount in declareClusterFacts\(\.\.\.\)\): set canaries to 0 or fewer/);
    expect(build({ canaries: -1 })).toThrow(/canaries -1 is not a whole number/);
  });

  it.each(["1.1.1.1\n}\n. {", "resolver.example", "ftp://1.1.1.1", "1.1.1.1:70000", "1.1.1.1 9.9.9.9", "{{ env \"X\" }}", ""])(
    "fails for upstream %j, which CoreDNS's forward plugin does not take (or which would end the Corefile's directive)",
    (upstream) => {
      expect(build({ upstreams: ["185.12.64.1", upstream] })).toThrow(
        new RegExp(`test/Dns: invalid DnsVip:[\\s\\S]*upstreams\\[1\\] .* is not a resolver CoreDNS's forward plugin takes: use an IP address`),
      );
    },
  );

  it("takes every upstream form CoreDNS's forward plugin does: IPv4/IPv6 with port, zone or transport, and resolv.conf paths", () => {
    const upstreams = ["185.12.64.1", "185.12.64.1:5353", "tls://9.9.9.9", "dns://[2a01:4ff:ff00::add:1]:53", "2a01:4ff:ff00::add:2", "fe80::1%ens10", "/etc/resolv.conf"];
    expect(build({ upstreams })).not.toThrow();
  });

  it.each([0, -5, 1.5, NaN])("fails for cacheSeconds %s, which CoreDNS's cache refuses", (cacheSeconds) => {
    expect(build({ cacheSeconds })).toThrow(new RegExp(`test/Dns: invalid DnsVip:[\\s\\S]*cacheSeconds ${cacheSeconds} is not a whole number of seconds of 1 or more`));
  });

  it("fails for a namespace glob: CoreDNS answers each namespace by its name", () => {
    expect(build({ namespaces: ["default", "*"] })).toThrow(/test\/Dns: invalid DnsVip:[\s\S]*namespaces entry "\*" is a glob/);
  });

  it.each([0, 1.5, NaN])("fails for instances %s", (instances) => {
    expect(build({ instances })).toThrow(new RegExp(`test/Dns: invalid DnsVip:[\\s\\S]*instances ${instances} is not a whole number of 1 or more`));
  });

  it.each(["ens10\n    notify_master \"/tmp/x\"", "eth0 }", "{{ env \"X\" }}", "a-name-longer-than-15", ""])(
    "fails for interface %j, which is no interface name and would rewrite keepalived.conf",
    (iface) => {
      expect(build({ interface: iface })).toThrow(/test\/Dns: invalid DnsVip:[\s\S]*interface .* is not a network interface name: use the name `ip link` shows/);
    },
  );

  it("fails for a Hetzner network id that is not a number (it goes unquoted into the notify script's API calls)", () => {
    const stack = jobStack(SEED_FACTS);
    expect(() => hetznerDnsVip(stack, { hetzner: { networkId: "4711'; reboot; '", apiToken: new TerraformVariable(stack, "t", { type: "string", sensitive: true }) } })).toThrow(
      /test\/Dns: invalid DnsVip:[\s\S]*hetzner\.networkId "4711'; reboot; '" is not a Hetzner network id \(a number such as "4711"\)/,
    );
  });

  it("fails at plan for a VRRP password keepalived.conf would cut short or refuse, without printing it, and takes the rest of printable ASCII", () => {
    requireTool("terraform");
    const stack = synthJobStack(
      (scope) => new DnsVip(scope, "Dns", { ...SEED_PROPS, vrrpPassword: new TerraformVariable(scope, "vrrp_password", { type: "string", sensitive: true }) }),
      SEED_FACTS,
    );
    const good = ["s3cret", "a$b%c&d", "ab'c;d", "x\\y`z", "[~|^]_-="];
    const bad = ["ab cd", "ab#cd", "ab!cd", 'ab"cd', "ab{cd", "ab}cd", "pässwd"];
    const results = planVrrpPasswords(stack, [...good, ...bad]);
    for (const password of good) expect([password, results[password]]).toEqual([password, ""]);
    for (const password of bad) {
      expect([password, results[password]]).toEqual([
        password,
        expect.stringMatching(/Resource precondition failed[\s\S]*must be printable ASCII without\s+spaces/),
      ]);
      expect(results[password]).not.toContain(password);
    }
  });

  it("promotes canaries automatically when the clients can hold them", async () => {
    requireTool("terraform");
    const stack = synthJobStack((scope) => new DnsVip(scope, "Dns", { ...SEED_PROPS, instances: 2, canaries: 1 }), SEED_FACTS);
    expect(group(await receivedJob(stack)).update).toEqual([
      { max_parallel: 1, min_healthy_time: "60s", auto_revert: true, auto_promote: true, canary: 1 },
    ]);
  });
});
