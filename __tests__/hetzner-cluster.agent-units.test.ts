import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metadataBlockUnit, PRIVATE_ADDRESS_WAIT_SECONDS } from "../constructs/hetzner-cluster/host-files";
import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { shippedFile } from "../constructs/hetzner-cluster/host-files";
import { buildCluster } from "./support/hetzner-cluster";
import { commandStubs } from "./support/install-secrets";
import { requireTool } from "./support/tools";
import { writtenFile } from "./support/user-data";

const workdir = mkdtempSync(join(tmpdir(), "hashilab-units-"));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** `systemctl show`-like view of a rendered unit: section -> key -> values. */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let current = "";
  for (const line of text.split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) current = header[1];
    else if (line.includes("=")) {
      const [key, ...rest] = line.split("=");
      ((sections[current] ??= {})[key] ??= []).push(rest.join("="));
    }
  }
  return sections;
}

const host = buildCluster().cluster.hosts[1];
const units = {
  consul: writtenFile(host.userData, HOST_PATHS.consulUnit).content,
  nomad: writtenFile(host.userData, HOST_PATHS.nomadUnit).content,
};

describe.each(Object.entries(units))("%s.service", (agent, text) => {
  const unit = parseUnit(text);

  it("retries forever: restarts 2 s after a failure, with the start limit off (a [Unit] setting)", () => {
    expect(unit.Unit.StartLimitIntervalSec).toEqual(["0"]);
    expect(unit.Service.StartLimitIntervalSec).toBeUndefined();
    expect(unit.Service.Restart).toEqual(["on-failure"]);
    expect(unit.Service.RestartSec).toEqual(["2"]);
  });

  it("waits (bounded) for this host's own private address before starting", () => {
    expect(unit.Service.ExecStartPre).toEqual([`${HOST_PATHS.waitAddressScript} ${host.spec.privateIp} ${PRIVATE_ADDRESS_WAIT_SECONDS}`]);
    const startTimeout = Number(unit.Service.TimeoutStartSec?.[0] ?? 90);
    expect(startTimeout).toBeGreaterThan(PRIVATE_ADDRESS_WAIT_SECONDS);
  });

  it("passes `systemd-analyze verify`", () => {
    requireTool("systemd-analyze");
    const dir = mkdtempSync(join(workdir, `${agent}-`));
    const file = join(dir, `${agent}.service`);
    writeFileSync(file, text);
    // Nomad requires the firewall's unit, so verify it beside it.
    writeFileSync(join(dir, "hashilab-metadata-block.service"), metadataBlockUnit());
    const result = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
    const problems = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((line) => line.trim() !== "" && !/: Command \/usr\/(local\/)?s?bin\/(consul|nomad|hashilab-wait-address) is not executable/.test(line));
    expect(problems).toEqual([]);
    // A misspelt setting is reported, so the check above can fail.
    writeFileSync(file, text.replace("RestartSec=", "RestartSecs="));
    const misspelt = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
    expect(`${misspelt.stdout}${misspelt.stderr}`).toMatch(/Unknown key 'RestartSecs' in section \[Service\]/);
  });
});

describe("hashilab-wait-address", () => {
  const script = join(workdir, "hashilab-wait-address");
  writeFileSync(script, shippedFile("hashilab-wait-address.sh"));

  /** Runs the script with `sleep` counted instead of slept and, unless `realIp`, a stubbed `ip` that finds the address on its `after`-th look. */
  function wait(address: string, seconds: number, ip: { after?: number; real?: boolean }) {
    const stubs = commandStubs(mkdtempSync(join(workdir, "stubs-")));
    const sleeps = join(stubs.dir, "sleeps");
    stubs.stub("sleep", `echo >> "${sleeps}"`);
    if (!ip.real) {
      const looks = join(stubs.dir, "looks");
      stubs.stub("ip", `echo >> "${looks}"; [ "$(wc -l < "${looks}")" -ge ${ip.after ?? 1_000_000} ] && echo "3: enp7s0    inet $6 scope global dynamic enp7s0" || true`);
    }
    const result = spawnSync("bash", [script, address, String(seconds)], { encoding: "utf8", env: { ...process.env, PATH: `${stubs.dir}:${process.env.PATH}` } });
    const slept = spawnSync("sh", ["-c", `cat "${sleeps}" 2>/dev/null | wc -l`], { encoding: "utf8" }).stdout.trim();
    return { status: result.status, stderr: result.stderr, slept: Number(slept) };
  }

  it("returns at once when the address is configured (the real `ip` finds 127.0.0.1 here)", () => {
    expect(wait("127.0.0.1", 5, { real: true })).toEqual({ status: 0, stderr: "", slept: 0 });
  });

  it("does not take another address of the same subnet for its own (the real `ip` finds no 127.0.0.2)", () => {
    expect(wait("127.0.0.2", 3, { real: true })).toMatchObject({ status: 1, slept: 3 });
  });

  it("waits for a NIC that comes up late, one second at a time", () => {
    expect(wait("10.0.10.11", 60, { after: 4 })).toEqual({ status: 0, stderr: "", slept: 3 });
  });

  it("fails after the bound, saying why, so systemd restarts the agent to wait again", () => {
    const result = wait("10.0.10.11", 5, {});
    expect(result.status).toBe(1);
    expect(result.slept).toBe(5);
    expect(result.stderr).toMatch(/no interface has the private address 10\.0\.10\.11 after 5s/);
  });
});
