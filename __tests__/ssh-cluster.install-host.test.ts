import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { home } from "../environments";
import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { HASHICORP_KEYRING, hashicorpKeyring } from "../constructs/hetzner-cluster/apt-repository";
import { INSTALL_SCRIPT, INSTALL_UPLOAD_DIR, installScript } from "../constructs/ssh-cluster/host-install";
import { commandStubs } from "./support/install-secrets";
import { resourcesOf, synthEnvironment } from "./support/synth";
import { evaluateWithTerraform } from "./support/terraform";
import { requireTool } from "./support/tools";

/** What Terraform uploads to node1, as the host receives it: each file provisioner's content evaluated by Terraform itself. */
function node1Upload(): Record<string, string> {
  requireTool("terraform");
  const install = Object.values<any>(resourcesOf(synthEnvironment(home)["home-hosts"], "terraform_data")).find((r) =>
    r["//"].metadata.path.endsWith("HostInstall-node1/Install"),
  );
  const files = install.provisioner.filter((p: any) => p.file).map((p: any) => p.file);
  const values = evaluateWithTerraform(Object.fromEntries(files.map((f: any, i: number) => [`f${i}`, f.content])));
  return Object.fromEntries(files.map((f: any, i: number) => [f.destination, values[`f${i}`]]));
}

const DEBIAN_12 = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
const UBUNTU_2404 = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n';
const DEBIAN_11 = 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\n';

/**
 * A host to run the real install script on: a temporary root (HASHILAB_ROOT) with an
 * os-release, and stand-ins for dpkg/apt (a package database of "name version" lines that
 * apt-get install updates), systemctl and the kernel tools, each call recorded.
 */
function hostSandbox(osRelease: string, arch = "amd64") {
  const root = mkdtempSync(join(tmpdir(), `hashilab-install-host-${process.pid}-`));
  const stubs = commandStubs(join(root, "stubs"));
  const db = join(root, "dpkg.db");
  const log = join(root, "calls.log");
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc/os-release"), osRelease);
  writeFileSync(db, "");
  const record = (name: string) => `echo "${name} $*" >> "${log}"`;
  stubs.stub("dpkg", `[ "$1" = --print-architecture ] && echo ${arch}`);
  stubs.stub("dpkg-query", `v=$(awk -v n="\${@: -1}" '$1 == n { print $2 }' "${db}"); [ -n "$v" ] || exit 1; printf 'installed %s' "$v"`);
  stubs.stub(
    "apt-get",
    [
      record("apt-get"),
      'for a in "$@"; do case $a in -*|install|update) ;; *=*) n=${a%%=*}; v=${a#*=};',
      `  grep -v "^$n " "${db}" > "${db}.new" || true; echo "$n $v" >> "${db}.new"; mv "${db}.new" "${db}" ;;`,
      `  *) echo "$a 1.0" >> "${db}" ;; esac; done`,
    ].join("\n"),
  );
  for (const name of ["systemctl", "apt-mark", "modprobe", "sysctl"]) stubs.stub(name, record(name));
  stubs.stub("install", ["args=()", 'while [ $# -gt 0 ]; do case "$1" in -o|-g) shift 2 ;; *) args+=("$1"); shift ;; esac; done', 'exec /usr/bin/install "${args[@]}"'].join("\n"));

  return {
    path: (hostPath: string) => join(root, hostPath),
    /** Uploads `files` (by destination) as Terraform does and runs the install script; returns its status, output and the recorded calls. */
    install(files: Record<string, string>) {
      rmSync(log, { force: true });
      for (const [destination, content] of Object.entries(files)) {
        mkdirSync(dirname(join(root, destination)), { recursive: true });
        writeFileSync(join(root, destination), content);
      }
      const result = spawnSync("bash", [join(root, INSTALL_UPLOAD_DIR, INSTALL_SCRIPT)], {
        env: { ...process.env, HASHILAB_ROOT: root, PATH: `${stubs.dir}:${process.env.PATH}` },
        encoding: "utf8",
      });
      const calls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    },
    packages: () => readFileSync(db, "utf8"),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

describe("hashilab-install-host.sh", () => {
  const upload = node1Upload();
  let host: ReturnType<typeof hostSandbox> | undefined;
  afterEach(() => host?.cleanup());

  it("passes shellcheck, and is the script every host's install uploads", () => {
    requireTool("shellcheck");
    execFileSync("shellcheck", ["-"], { input: installScript(), stdio: ["pipe", "pipe", "pipe"] });
    expect(upload[`${INSTALL_UPLOAD_DIR}/${INSTALL_SCRIPT}`]).toBe(installScript());
  });

  it("runs inline commands that pass shellcheck and name only fixed paths (no value from the environment reaches root's shell)", () => {
    requireTool("shellcheck");
    const install = Object.values<any>(resourcesOf(synthEnvironment(home)["home-hosts"], "terraform_data")).find((r) =>
      r["//"].metadata.path.endsWith("HostInstall-node1/Install"),
    );
    const inline: string[] = install.provisioner.filter((p: any) => p["remote-exec"]).flatMap((p: any) => p["remote-exec"].inline);
    expect(inline).toEqual([
      `install -d -m 0700 ${INSTALL_UPLOAD_DIR} ${INSTALL_UPLOAD_DIR}/files`,
      `bash ${INSTALL_UPLOAD_DIR}/${INSTALL_SCRIPT}`,
    ]);
    execFileSync("shellcheck", ["-s", "sh", "-"], { input: `#!/bin/sh\n${inline.join("\n")}\n`, stdio: ["pipe", "pipe", "pipe"] });
    // Every upload lands in the install directory, under a fixed name.
    const destinations = install.provisioner.filter((p: any) => p.file).map((p: any) => p.file.destination);
    for (const d of destinations) expect(d).toMatch(new RegExp(`^${INSTALL_UPLOAD_DIR}/(files/f\\d+|files\\.list|packages\\.list|hashicorp\\.list\\.in|${INSTALL_SCRIPT.replace(/\./g, "\\.")})$`));
  });

  it("installs a Debian 12 host from scratch: the vendored key, HashiCorp's source for bookworm, the pinned packages, units and firewall", () => {
    host = hostSandbox(DEBIAN_12);
    const run = host.install(upload);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(readFileSync(host.path(HASHICORP_KEYRING), "utf8")).toBe(hashicorpKeyring());
    expect(readFileSync(host.path("/etc/apt/sources.list.d/hashicorp.list"), "utf8")).toBe(
      `deb [signed-by=${HASHICORP_KEYRING}] https://apt.releases.hashicorp.com bookworm main\n`,
    );
    expect(run.calls).toContain("apt-get update -qq");
    expect(run.calls).toContain(
      "apt-get install -y -qq --allow-change-held-packages -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=600 " +
        "nomad=2.0.5-1 consul=1.21.5-1 nftables age containernetworking-plugins docker.io podman nomad-driver-podman=0.6.4-1",
    );
    // The first-boot script ran (held packages, enabled units), and the host firewall is loaded and enabled.
    expect(run.calls).toEqual(expect.arrayContaining(["apt-mark hold nomad consul", "systemctl enable --now hashilab-metadata-block.service"]));
    expect(run.calls.slice(-2)).toEqual(["systemctl enable hashilab-host-firewall.service", "systemctl restart hashilab-host-firewall.service"]);
    expect((statSync(host.path(HOST_PATHS.bootstrapScript)).mode & 0o777).toString(8)).toBe("755");
    expect(readFileSync(host.path("/etc/hashilab/host-firewall.nft"), "utf8")).toContain("policy drop;");
    // The upload (the manifests and the script) is gone.
    expect(existsSync(host.path(INSTALL_UPLOAD_DIR))).toBe(false);
  });

  it("changes nothing when run a second time", () => {
    host = hostSandbox(DEBIAN_12);
    host.install(upload);
    const before = statSync(host.path(HOST_PATHS.consulUnit)).mtimeMs;
    const again = host.install(upload);
    expect(again.status).toBe(0);
    expect(again.calls).toEqual([]);
    expect(again.stdout).toBe("hashilab: host already installed; nothing changed\n");
    expect(statSync(host.path(HOST_PATHS.consulUnit)).mtimeMs).toBe(before);
  });

  it("leaves an installed agent package at another version to the rollout (one host at a time, leader last), and installs it where it is missing", () => {
    host = hostSandbox(DEBIAN_12);
    host.install(upload);
    const packages = `${INSTALL_UPLOAD_DIR}/packages.list`;
    expect(upload[packages]).toContain("nomad=2.0.5-1 new-only\n");
    const bumped = { ...upload, [packages]: upload[packages].replace("nomad=2.0.5-1", "nomad=2.0.6-1") };
    const running = host.install(bumped);
    expect(running.status).toBe(0);
    expect(running.calls).toEqual([]);
    expect(host.packages()).toContain("nomad 2.0.5-1\n");
    expect(existsSync(host.path(HOST_PATHS.pendingRestart))).toBe(false);
    // A reinstalled machine without the package gets the pinned one.
    writeFileSync(host.path("dpkg.db"), host.packages().replace(/^nomad .*\n/m, ""));
    const fresh = host.install(bumped);
    expect(fresh.calls.filter((c) => c.startsWith("apt-get install"))).toEqual([
      "apt-get install -y -qq --allow-change-held-packages -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=600 nomad=2.0.6-1",
    ]);
  });

  it("writes HashiCorp's source for the release it runs on (Ubuntu 24.04: noble)", () => {
    host = hostSandbox(UBUNTU_2404, "arm64");
    expect(host.install(upload).status).toBe(0);
    expect(readFileSync(host.path("/etc/apt/sources.list.d/hashicorp.list"), "utf8")).toContain(" noble main\n");
  });

  it("fails on a release or architecture hashilab does not support, before changing anything", () => {
    host = hostSandbox(DEBIAN_11);
    const old = host.install(upload);
    expect(old.status).toBe(1);
    expect(old.stderr).toBe("hashilab: Debian GNU/Linux 11 (bullseye) is not supported; hashilab hosts run Debian 12 or Ubuntu 24.04\n");
    expect(old.calls).toEqual([]);
    host.cleanup();
    host = hostSandbox(DEBIAN_12, "armhf");
    const arm32 = host.install(upload);
    expect(arm32.status).toBe(1);
    expect(arm32.stderr).toMatch(/architecture armhf is not supported/);
    expect(existsSync(host.path(HASHICORP_KEYRING))).toBe(false);
  });
});
