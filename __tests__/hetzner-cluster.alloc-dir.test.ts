import { execFileSync, spawnSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allocImageUnit, allocMountUnit, metadataBlockUnit, nomadUnit, shippedFile } from "../constructs/hetzner-cluster/host-files";
import { DELIVERED_FILES, HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { buildCluster } from "./support/hetzner-cluster";
import { resourcesOf, synthApp } from "./support/synth";
import { asRoot } from "./support/install-secrets";
import { requireTool } from "./support/tools";

const workdir = mkdtempSync(join(tmpdir(), "hashilab-alloc-"));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** The mount options of the rendered mount unit. */
const mountOptions = /^Options=(.*)$/m.exec(allocMountUnit())![1];

describe("Nomad's alloc dir on a filesystem of its own", () => {
  it("gives client hosts a mount unit, named after its mount point, that Nomad's unit requires", () => {
    const escaped = execFileSync("systemd-escape", ["--path", "--suffix=mount", HOST_PATHS.nomadAllocDir], { encoding: "utf8" }).trim();
    expect(HOST_PATHS.nomadAllocMountUnit).toBe(`/etc/systemd/system/${escaped}`);
    expect(DELIVERED_FILES.allocMountUnit).toBe(escaped);
    expect(allocMountUnit()).toContain(`Where=${HOST_PATHS.nomadAllocDir}\n`);
    const client = nomadUnit({ isServer: true, isClient: true, privateIp: "10.0.10.11" });
    expect(client).toContain(`RequiresMountsFor=${HOST_PATHS.nomadAllocDir}\n`);
    expect(nomadUnit({ isServer: true, isClient: false, privateIp: "10.0.10.11" })).not.toContain("RequiresMountsFor");
  });

  it("keeps Nomad's default alloc dir, so hosts already running allocations see no config change", () => {
    const combined = buildCluster().cluster.hosts[0];
    expect(HOST_PATHS.nomadAllocDir).toBe(`${HOST_PATHS.nomadDataDir}/alloc`);
    expect(combined.userData).not.toMatch(/alloc_dir/);
  });

  it("keeps Nomad down unless the alloc dir is really mounted (a mount skipped by its condition would not fail a Requires=) and the container firewall loaded", () => {
    const unit = nomadUnit({ isServer: false, isClient: true, privateIp: "10.0.10.101" });
    expect(unit).toContain(`AssertPathIsMountPoint=${HOST_PATHS.nomadAllocDir}\n`);
    expect(unit).toContain("Requires=hashilab-metadata-block.service\n");
  });

  it("has units that pass `systemd-analyze verify` together with the client's nomad.service", () => {
    requireTool("systemd-analyze");
    const dir = mkdtempSync(join(workdir, "units-"));
    const files = [
      [DELIVERED_FILES.allocMountUnit, allocMountUnit()],
      [DELIVERED_FILES.allocImageUnit, allocImageUnit()],
      ["nomad.service", nomadUnit({ isServer: false, isClient: true, privateIp: "10.0.10.101" })],
      ["hashilab-metadata-block.service", metadataBlockUnit()],
    ].map(([name, content]) => {
      writeFileSync(join(dir, name), content);
      return join(dir, name);
    });
    const result = spawnSync("systemd-analyze", ["verify", ...files], { encoding: "utf8" });
    const problems = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((line) => line.trim() !== "" && !/: Command \/usr\/(local\/)?s?bin\/(nomad|hashilab-wait-address|hashilab-nomad-alloc-image) is not executable/.test(line));
    expect(problems).toEqual([]);
  });

  it("delivers the units and the image script to clients only", () => {
    const stack = synthApp((app) => buildCluster({ serversAreClients: false, clientCount: 1 }, app)).test;
    const uploads = (id: string) =>
      Object.values<any>(resourcesOf(stack, "terraform_data"))
        .find((d) => d["//"].metadata.path === `test/Cluster/${id}/Delivery`)
        .provisioner.filter((p: any) => p.file)
        .map((p: any) => p.file.destination.split("/").pop());
    const alloc = [DELIVERED_FILES.allocImageUnit, DELIVERED_FILES.allocMountUnit];
    expect(uploads("ClientSecrets-1")).toEqual(expect.arrayContaining([...alloc, "hashilab-nomad-alloc-image.sh"]));
    expect(uploads("ServerSecrets-1")).not.toEqual(expect.arrayContaining([alloc[0]]));
    expect(uploads("ServerSecrets-1")).not.toEqual(expect.arrayContaining([alloc[1]]));
  });
});

describe("hashilab-nomad-alloc-image", () => {
  const script = join(workdir, "hashilab-nomad-alloc-image");
  writeFileSync(script, shippedFile("hashilab-nomad-alloc-image.sh"));
  const create = (image: string, dir: string) =>
    spawnSync("bash", [script, image, dir], { encoding: "utf8", env: { ...process.env, HASHILAB_ALLOC_IMAGE_BYTES: String(64 * 1024 * 1024) } });

  it("creates a sparse ext4 image whose root is 0711, and mounted with the unit's options it refuses hard links to host files: Nomad copies", () => {
    for (const tool of ["mkfs.ext4", "debugfs", "mount", "umount"]) requireTool(tool);
    const host = mkdtempSync(join(workdir, "host-"));
    const image = join(host, "nomad-alloc.ext4");
    const allocDir = join(host, "alloc");
    const result = create(image, allocDir);
    expect([result.status, result.stderr]).toEqual([0, ""]);
    expect(statSync(image).size).toBe(64 * 1024 * 1024);
    // Sparse: far fewer blocks in use than the image's size.
    expect(statSync(image).blocks * 512).toBeLessThan(16 * 1024 * 1024);
    mkdirSync(allocDir);
    execFileSync(...asRoot("mount", "-t", "ext4", "-o", mountOptions, image, allocDir));
    try {
      expect((statSync(allocDir).mode & 0o777).toString(8)).toBe("711");
      const hostBinary = join(host, "busybox");
      writeFileSync(hostBinary, "host binary\n");
      // What linkOrCopy tries first: across filesystems the link fails (EXDEV) and Nomad copies.
      expect(() => linkSync(hostBinary, join(allocDir, "busybox"))).toThrow(/EXDEV/);
      // The same link on the host's filesystem succeeds: the check above can fail.
      expect(() => linkSync(hostBinary, join(host, "busybox-link"))).not.toThrow();
    } finally {
      execFileSync(...asRoot("umount", allocDir));
    }
    // Every later start finds the image and changes nothing.
    const again = create(image, allocDir);
    expect([again.status, again.stderr]).toEqual([0, ""]);
  });

  it("leaves a host whose alloc dir already holds allocations alone (moving them would break running tasks), saying how to migrate", () => {
    const host = mkdtempSync(join(workdir, "host-"));
    const allocDir = join(host, "alloc");
    mkdirSync(join(allocDir, "0f3c9a2e-running-alloc"), { recursive: true });
    const result = create(join(host, "nomad-alloc.ext4"), allocDir);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/holds allocations on the root filesystem.*migrate it \(docs\/operations\.md/);
    expect(() => statSync(join(host, "nomad-alloc.ext4"))).toThrow(/ENOENT/);
  });
});
