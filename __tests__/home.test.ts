import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { home, lab } from "../environments";
import { DELIVERED_FILES } from "../constructs/hetzner-cluster/host-paths";
import { INSTALL_UPLOAD_DIR } from "../constructs/ssh-cluster/host-install";
import { localInterface, renderKeepalivedTemplate } from "./dns-vip.support";
import { evaluateJobspecs, parseJob } from "./nomad-job.support";
import { parseHcl } from "./support/hcl";
import { resourcesOf, StackJson, synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";
import { compareApps } from "../scripts/review/plan";

if (home.cluster.kind !== "ssh" || lab.cluster.kind !== "hetzner") throw new Error("home is the LAN environment, lab the Hetzner one");
const homeStacks = synthEnvironment(home);
const labStacks = synthEnvironment(lab);
const workdir = mkdtempSync(join(tmpdir(), `hashilab-home-${process.pid}-`));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** The file provisioners of the terraform_data whose construct path ends with `suffix`: destination to literal content. */
function uploads(stack: StackJson, suffix: string): Record<string, string> {
  const resource = Object.values<any>(resourcesOf(stack, "terraform_data")).find((r) => r["//"].metadata.path.endsWith(suffix));
  const files = resource.provisioner.filter((p: any) => p.file).map((p: any) => p.file);
  // Literal text escapes Terraform's template syntax ($${, %%{); references stay references.
  return Object.fromEntries(files.map((f: any) => [f.destination, f.content.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{")]));
}

/** What the install puts where on a LAN host: path to content, from files.list. */
function installedFiles(host: string): Record<string, string> {
  const upload = uploads(homeStacks["home-hosts"], `HostInstall-${host}/Install`);
  const lines = upload[`${INSTALL_UPLOAD_DIR}/files.list`].trim().split("\n").map((l) => l.split(" "));
  return Object.fromEntries(lines.map(([name, , path]) => [path, upload[`${INSTALL_UPLOAD_DIR}/files/${name}`]]));
}

/** A host's delivered agent configuration, parsed by HashiCorp's HCL parser. */
async function agentConfigs(stack: StackJson, delivery: string): Promise<{ nomad: any; consul: any }> {
  const files = uploads(stack, delivery);
  const file = (name: string) => Object.entries(files).find(([destination]) => destination.endsWith(`/${name}`))![1];
  return { nomad: await parseHcl(file(DELIVERED_FILES.nomadAgentConfig)), consul: await parseHcl(file(DELIVERED_FILES.consulAgentConfig)) };
}

/** Replaces each of `values` (longest first) by its placeholder, throughout. */
function placeholders(config: unknown, values: Record<string, string>): unknown {
  let text = JSON.stringify(config);
  for (const [value, name] of Object.entries(values).sort(([a], [b]) => b.length - a.length)) text = text.split(value).join(name);
  return JSON.parse(text);
}

describe("the home environment", () => {
  it("configures its agents like lab's in every setting that does not depend on where the hosts run", async () => {
    const homeConfigs = await agentConfigs(homeStacks["home-hosts"], "HostSecrets-node1/Delivery");
    const labConfigs = await agentConfigs(labStacks["lab-hosts"], "ServerSecrets-1/Delivery");
    // Only where the public host network is differs: Hetzner's public NIC, or the one LAN.
    expect(homeConfigs.nomad.client[0].host_network.public).toEqual([{ cidr: "192.168.1.0/24" }]);
    expect(labConfigs.nomad.client[0].host_network.public).toEqual([{ interface: "eth0" }]);
    for (const configs of [homeConfigs, labConfigs]) delete configs.nomad.client[0].host_network.public;
    const homeValues = { node1: "NODE", "192.168.1.21": "IP1", "192.168.1.22": "IP2", "192.168.1.23": "IP3", "192.168.1.0/24": "SUBNET", home01: "DC" };
    const labValues = { "lab-server-1": "NODE", "10.0.10.11": "IP1", "10.0.10.12": "IP2", "10.0.10.13": "IP3", "10.0.10.0/24": "SUBNET", lab01: "DC" };
    expect(placeholders(homeConfigs, homeValues)).toEqual(placeholders(labConfigs, labValues));
  });

  it("installs the same units and container firewall as lab's hosts get from cloud-init", () => {
    const files = installedFiles("node1");
    const labUserData = Object.values<any>(resourcesOf(labStacks["lab-hosts"], "hcloud_server"))[0].user_data as string;
    for (const path of ["/etc/systemd/system/hashilab-metadata-block.service", "/etc/hashilab/metadata-block.nft", "/usr/local/sbin/hashilab-bootstrap"]) {
      expect(files[path]).toBeDefined();
      expect(labUserData).toContain(`path: ${path}`);
    }
  });

  it("has units that pass `systemd-analyze verify`", () => {
    requireTool("systemd-analyze");
    const dir = mkdtempSync(join(workdir, "units-"));
    const units = Object.entries(installedFiles("node1"))
      .filter(([path]) => path.startsWith("/etc/systemd/system/"))
      .map(([path, content]) => {
        const file = join(dir, path.split("/").pop()!);
        writeFileSync(file, content);
        return file;
      });
    expect(units.map((u) => u.split("/").pop()).sort()).toEqual(["consul.service", "hashilab-host-firewall.service", "hashilab-metadata-block.service", "nomad.service"]);
    const result = spawnSync("systemd-analyze", ["verify", ...units], { encoding: "utf8" });
    const problems = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((line) => line.trim() !== "" && !/: Command \/usr\/(local\/)?s?bin\/(consul|nomad|nft|hashilab-wait-address) is not executable: No such file or directory$/.test(line));
    expect(problems).toEqual([]);
  });

  it("has a host firewall and a container firewall that `nft --check` accepts, the host's dropping all but what it lists", () => {
    requireTool("nft");
    const files = installedFiles("node1");
    const hostRules = files["/etc/hashilab/host-firewall.nft"];
    expect(hostRules).toContain("policy drop;");
    expect(hostRules).toContain('ip saddr { 192.168.1.0/24 } tcp dport { 22, 4646, 8501 } accept comment "operator"');
    expect(hostRules).toContain('ip saddr { 192.168.1.21, 192.168.1.22, 192.168.1.23 } udp dport { 4648, 8301-8302, 20000-32000 } accept comment "cluster"');
    expect(hostRules).toContain('udp dport { 53 } accept comment "anyone"');
    for (const [name, rules] of [["host", hostRules], ["metadata", files["/etc/hashilab/metadata-block.nft"]]]) {
      const file = join(workdir, `${name}.nft`);
      writeFileSync(file, rules);
      // --check parses and resolves the rules against the kernel without applying them (needs root).
      execFileSync(process.getuid?.() === 0 ? "nft" : "sudo", [...(process.getuid?.() === 0 ? [] : ["-n", "nft"]), "--check", "--file", file], { stdio: "pipe" });
    }
  });

  it("holds its DNS VIP by VRRP with the other hosts as unicast peers, in a keepalived.conf `keepalived -t` accepts", async () => {
    requireTool("terraform");
    requireTool("keepalived");
    const jobspec = Object.values(evaluateJobspecs(homeStacks["home-workloads"])).find((j) => j.startsWith('job "coredns"'))!;
    const group = (await parseJob(jobspec)).coredns[0].group.dns[0];
    expect(group.count).toBe(3);
    const template = group.task["keepalived-dns"][0].template.find((t: any) => t.destination === "local/keepalived.conf").data;
    const conf = renderKeepalivedTemplate(template, {
      interface: localInterface(),
      address: "192.168.1.21",
      dnsInstances: ["192.168.1.21", "192.168.1.22", "192.168.1.23"],
      variables: { vrrp_password: "s3cret" },
    });
    expect(conf).toContain("unicast_src_ip 192.168.1.21\n    unicast_peer {\n        192.168.1.22\n        192.168.1.23\n    }");
    expect(conf).toContain("192.168.1.53/24 dev");
    const file = join(workdir, "keepalived.conf");
    writeFileSync(file, conf);
    execFileSync("keepalived", ["-t", "-f", file], { stdio: "pipe" });
  });

  it("runs the same namespaces, policies and jobs as lab", () => {
    const names = (stacks: Record<string, StackJson>, env: string, type: string) =>
      Object.values<any>(resourcesOf(stacks[`${env}-${type.startsWith("nomad_job") ? "workloads" : "platform"}`], type)).map((r) => r.name).sort();
    // Only lab has the csi namespace: Hetzner Cloud Volumes; home's volumes are host volumes.
    const labNames = (type: string) => names(labStacks, "lab", type).filter((name) => name !== "csi");
    for (const type of ["nomad_namespace", "nomad_acl_policy", "nomad_acl_role"]) expect(names(homeStacks, "home", type)).toEqual(labNames(type));
    const jobs = (stack: StackJson) => Object.values<any>(resourcesOf(stack, "nomad_job")).map((j) => /^job "([^"]+)"/.exec(j.jobspec)![1]).sort();
    expect(jobs(homeStacks["home-workloads"])).toEqual(expect.arrayContaining(["coredns", "it-tools", "gitea"]));
    // lab also backs its Raft snapshots and Gitea's volume up (home leaves the buckets out), and
    // runs the Hetzner CSI plugins.
    const labOnly = /snapshot|-data-(backup|check|restic)$|^hcloud-csi-/;
    expect(jobs(homeStacks["home-workloads"])).toEqual(jobs(labStacks["lab-workloads"]).filter((j) => !labOnly.test(j)));
  });
});

describe("the review tool on home", () => {
  it("shows a version change as the rollout's steps of that agent replaced, one per host, and nothing else (no install, no delivery)", () => {
    if (home.cluster.kind !== "ssh") throw new Error("home is a LAN environment");
    const upgraded = synthEnvironment({ ...home, cluster: { ...home.cluster, nomadVersion: "2.0.6" } });
    const changes = compareApps({ "home-hosts": homeStacks["home-hosts"] }, { "home-hosts": upgraded["home-hosts"] }).flatMap((s) => s.changes);
    expect(changes.map((c) => c.constructPath?.replace("home-hosts/Cluster/", "")).sort()).toEqual([
      "Rollout/HostNomad-node1",
      "Rollout/HostNomad-node2",
      "Rollout/HostNomad-node3",
    ]);
    expect(changes.every((c) => c.action === "replace")).toBe(true);
  });
});
