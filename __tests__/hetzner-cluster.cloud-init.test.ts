import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lab } from "../environments";
import { DELIVERED_FILES, DELIVERED_SCRIPTS, HOST_PATHS, LEGACY_SECRET_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { shippedFile } from "../constructs/hetzner-cluster/host-files";
import { HASHICORP_KEYRING, hashicorpKeyring } from "../constructs/hetzner-cluster/apt-repository";
import { INSTALL_COMMAND, PREPARE_COMMANDS } from "../constructs/hetzner-cluster/secrets-delivery";
import { buildCluster, VALID_CLUSTER_PROPS } from "./support/hetzner-cluster";
import { resourcesOf, synthEnvironment } from "./support/synth";
import { evaluateWithTerraform } from "./support/terraform";
import { requireTool } from "./support/tools";
import { parseUserData, writtenFile } from "./support/user-data";

const workdir = mkdtempSync(join(tmpdir(), "hashilab-cloud-init-"));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** Runs a validator on `content` written to a temp file; returns its output, throws with it on failure. */
function validate(tool: string, args: string[], content: string, name: string): string {
  requireTool(tool);
  const file = join(workdir, name);
  writeFileSync(file, content);
  try {
    return execFileSync(tool, [...args, file], { encoding: "utf8", stdio: "pipe" });
  } catch (error: any) {
    throw new Error(`${tool} rejected ${name}:\n${error.stdout ?? ""}${error.stderr ?? ""}`);
  }
}

/** The versions the hosts install: the lab environment's pins. */
const PINNED = { nomad: VALID_CLUSTER_PROPS.nomadVersion, consul: VALID_CLUSTER_PROPS.consulVersion };
const combined = buildCluster().cluster.hosts[0];
const pools = buildCluster({ serversAreClients: false, clientCount: 1, drivers: ["docker", "exec", "raw_exec"] }).cluster.hosts;
const serverOnly = pools[0];
const clientOnly = pools[3];
const variants = [
  ["combined server+client", combined],
  ["server-only", serverOnly],
  ["client-only", clientOnly],
] as const;

describe.each(variants)("user-data of a %s host", (variant, host) => {
  it("passes `cloud-init schema`", () => {
    const output = validate("cloud-init", ["schema", "--config-file"], host.userData, `${variant}.yaml`);
    expect(output).toMatch(/Valid cloud-config/);
  });

  it("stays under Hetzner's 32 KiB user-data limit", () => {
    expect(Buffer.byteLength(host.userData)).toBeLessThan(32 * 1024);
  });

  it("embeds only shell scripts that pass shellcheck", () => {
    const scripts = (parseUserData(host.userData).write_files as { path: string; content: string }[]).filter(
      (f) => f.content.startsWith("#!/bin/bash") || f.path.startsWith("/etc/profile.d/"),
    );
    expect(scripts.map((s) => s.path).sort()).toEqual(["/etc/profile.d/hashilab.sh", HOST_PATHS.bootstrapScript]);
    for (const script of scripts) validate("shellcheck", [], script.content, script.path.replace(/\//g, "_"));
  });

  it("has systemd units that pass `systemd-analyze verify`", () => {
    requireTool("systemd-analyze");
    const dir = mkdtempSync(join(workdir, "units-"));
    const units = (parseUserData(host.userData).write_files as { path: string; content: string }[])
      .filter((f) => f.path.startsWith("/etc/systemd/system/"))
      .map((f) => {
        const file = join(dir, f.path.split("/").pop()!);
        writeFileSync(file, f.content);
        return file;
      });
    expect(units).toHaveLength(3);
    const result = spawnSync("systemd-analyze", ["verify", ...units], { encoding: "utf8" });
    // The binaries come with the packages cloud-init installs; this machine has none of them.
    const problems = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((line) => line.trim() !== "" && !/: Command \/usr\/(local\/)?s?bin\/(consul|nomad|nft|hashilab-wait-address) is not executable: No such file or directory$/.test(line));
    expect(problems).toEqual([]);
  });

  it("installs pinned Nomad and Consul from HashiCorp's apt repository, signed by the vendored key (no keyserver at boot)", () => {
    const config = parseUserData(host.userData);
    expect(config.apt.sources.hashicorp).toEqual({
      source: `deb [signed-by=${HASHICORP_KEYRING}] https://apt.releases.hashicorp.com $RELEASE main`,
    });
    expect(writtenFile(host.userData, HASHICORP_KEYRING).content).toBe(hashicorpKeyring());
    expect(config.packages).toEqual(expect.arrayContaining([["nomad", `${PINNED.nomad}-1`], ["consul", `${PINNED.consul}-1`]]));
    expect(config.bootcmd).toBeUndefined();
  });

  it("starts the agents only once Terraform has delivered their secrets", () => {
    const consul = writtenFile(host.userData, "/etc/systemd/system/consul.service").content;
    const nomad = writtenFile(host.userData, "/etc/systemd/system/nomad.service").content;
    for (const unit of [consul, nomad]) expect(unit).toContain(`ConditionPathExists=${HOST_PATHS.agentKey}`);
    expect(consul).toContain(`ConditionPathExists=${HOST_PATHS.consulGossipConfig}`);
    expect(nomad.includes(`ConditionPathExists=${HOST_PATHS.nomadGossipConfig}`)).toBe(host.spec.isServer);
    // The secret settings (gossip keys, Nomad's Consul token) come from a directory of their own.
    expect(consul).toContain(
      `ExecStart=/usr/bin/consul agent -config-dir=${HOST_PATHS.consulConfigDir} -config-dir=${HOST_PATHS.consulSecretConfigDir}\n`,
    );
    expect(nomad).toContain(`ExecStart=/usr/bin/nomad agent -config=${HOST_PATHS.nomadConfigDir} -config=${HOST_PATHS.nomadSecretConfigDir}\n`);
  });

  it("drops forwarded traffic to the metadata service, with rules `nft --check` accepts", () => {
    const rules = writtenFile(host.userData, HOST_PATHS.metadataFirewall).content;
    expect(rules).toMatch(/hook forward .*\n\s*ip daddr 169\.254\.169\.254 counter drop/);
    // --check parses and resolves the rules against the kernel without applying them (needs root).
    validate("nft", ["--check", "--file"], rules, `${variant}.nft`);
    expect(writtenFile(host.userData, HOST_PATHS.bootstrapScript).content).toContain("systemctl enable --now hashilab-metadata-block.service");
  });

  it("creates the public TLS directory world-readable, for jobs that read the CA as nobody", () => {
    expect(writtenFile(host.userData, HOST_PATHS.bootstrapScript).content).toContain(`install -d -o root -g root -m 0755 "$root${HOST_PATHS.tlsDir}"\n`);
  });
});

describe("client hosts", () => {
  it("get the CNI reference plugins, the container runtimes their drivers need, and kernel settings for bridges and the DNS VIP", () => {
    const config = parseUserData(combined.userData);
    expect(config.packages).toEqual(
      expect.arrayContaining(["containernetworking-plugins", "docker.io", "podman", ["nomad-driver-podman", "0.6.4-1"]]),
    );
    const sysctl = writtenFile(combined.userData, "/etc/sysctl.d/90-hashilab.conf").content;
    expect(sysctl).toMatch(/^net\.ipv4\.ip_nonlocal_bind = 1$/m);
    expect(sysctl).toMatch(/^net\.bridge\.bridge-nf-call-iptables = 1$/m);
    expect(writtenFile(combined.userData, "/etc/modules-load.d/hashilab.conf").content).toBe("br_netfilter\n");
  });

  it("install only the runtimes of their drivers", () => {
    const packages = parseUserData(clientOnly.userData).packages;
    expect(packages).toContain("docker.io");
    expect(packages).not.toContain("podman");
  });

  it("server-only hosts get no container runtime", () => {
    const packages = parseUserData(serverOnly.userData).packages;
    expect(packages).toEqual([["nomad", `${PINNED.nomad}-1`], ["consul", `${PINNED.consul}-1`], "nftables", "age"]);
    expect(() => writtenFile(serverOnly.userData, "/etc/sysctl.d/90-hashilab.conf")).toThrow();
  });
});

describe("the shipped scripts", () => {
  const scripts = ["hashilab-bootstrap.sh", "hashilab-profile.sh", ...Object.values(DELIVERED_SCRIPTS)].map(shippedFile).join("\n");

  it("install every file a delivery can carry", () => {
    for (const name of Object.values(DELIVERED_FILES)) {
      expect(shippedFile("hashilab-install-secrets.sh")).toMatch(new RegExp(`^install_delivered ${name.replace(".", "\\.")} `, "m"));
    }
  });

  it("use only the host paths the agent configurations and units use (and the secrets' old ones, to move them)", () => {
    const known = new Set<string>([...Object.values(HOST_PATHS), ...Object.values(LEGACY_SECRET_PATHS)]);
    const used = [...scripts.matchAll(/\/(etc|var\/lib)\/hashilab\/[A-Za-z0-9./_-]+/g)].map((m) => m[0]);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((path) => !known.has(path))).toEqual([]);
  });

  it.each(Object.values(DELIVERED_SCRIPTS))("include %s, which passes shellcheck (it comes with each delivery, not in user-data)", (name) => {
    validate("shellcheck", [], shippedFile(name), name);
  });
});

describe("the secrets delivery's commands", () => {
  it("pass shellcheck", () => {
    const script = ["#!/bin/sh", ...PREPARE_COMMANDS, INSTALL_COMMAND, ""].join("\n");
    validate("shellcheck", [], script, "delivery-inline.sh");
  });
});

describe("the synthesized hcloud_server.user_data", () => {
  const userData: Record<string, string> = {};
  const stacks = synthEnvironment(lab, (built) => {
    const cluster = built.hosts!.cluster;
    if ("hosts" in cluster) for (const host of cluster.hosts) userData[host.spec.id] = host.userData;
  });
  const servers = resourcesOf(stacks["lab-hosts"], "hcloud_server");

  it("refers to no Terraform resource, so rotating a secret cannot replace a server", () => {
    for (const server of Object.values<any>(servers)) {
      expect(server.user_data.replace(/\$\$\{/g, "")).not.toContain("${");
    }
  });

  it("agrees with the agent configuration the SSH delivery keeps up to date on running hosts", () => {
    const delivery = Object.values<any>(resourcesOf(stacks["lab-hosts"], "terraform_data")).find(
      (d) => d["//"].metadata.path === "lab-hosts/Cluster/ServerSecrets-1/Delivery",
    );
    const uploaded = (name: string) => delivery.provisioner.find((p: any) => p.file?.destination.endsWith(`/${name}`)).file.content;
    const evaluated = evaluateWithTerraform({ nomad: uploaded("nomad-agent.hcl"), consul: uploaded("consul-agent.hcl") });
    expect(evaluated.nomad).toBe(writtenFile(userData["server-1"], HOST_PATHS.nomadAgentConfig).content);
    expect(evaluated.consul).toBe(writtenFile(userData["server-1"], HOST_PATHS.consulAgentConfig).content);
  });

  it("evaluates in Terraform to exactly the rendered cloud-config", () => {
    const [logicalId, server] = Object.entries<any>(servers).find(([, s]) => s.name === "lab-server-1")!;
    expect(logicalId).toBeDefined();
    const { user_data } = evaluateWithTerraform({ user_data: server.user_data });
    expect(user_data).toBe(userData["server-1"]);
  });
});
