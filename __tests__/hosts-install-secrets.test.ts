import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DELIVERED_FILES, HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { shippedFile } from "../constructs/hetzner-cluster/host-files";

/**
 * Runs the real hashilab-install-secrets under a temporary root (HASHILAB_ROOT), with
 * `systemctl` recorded and `install` stripped of its owner/group (the consul user only
 * exists on a host).
 */
function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "hashilab-install-"));
  const stubs = join(root, "stubs");
  mkdirSync(stubs);
  for (const dir of [HOST_PATHS.tlsDir, HOST_PATHS.consulConfigDir, HOST_PATHS.nomadConfigDir]) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  const log = join(root, "systemctl.log");
  writeFileSync(join(stubs, "systemctl"), `#!/bin/sh\necho "$*" >> "${log}"\n`);
  writeFileSync(
    join(stubs, "install"),
    '#!/bin/sh\nwhile [ "$1" = -o ] || [ "$1" = -g ]; do shift 2; done\nexec /usr/bin/install "$@"\n',
  );
  chmodSync(join(stubs, "systemctl"), 0o755);
  chmodSync(join(stubs, "install"), 0o755);
  const script = join(root, "install-secrets");
  writeFileSync(script, shippedFile("hashilab-install-secrets.sh"));

  return {
    path: (hostPath: string) => join(root, hostPath),
    /** Uploads `files` (by delivered name) and runs the script; returns the systemctl calls. */
    deliver(files: Record<string, string>): string[] {
      rmSync(log, { force: true });
      const delivery = join(root, HOST_PATHS.deliveryDir);
      mkdirSync(delivery, { recursive: true });
      for (const [name, content] of Object.entries(files)) writeFileSync(join(delivery, name), content);
      execFileSync("bash", [script], {
        env: { ...process.env, HASHILAB_ROOT: root, PATH: `${stubs}:${process.env.PATH}` },
        stdio: "pipe",
      });
      return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

const SERVER_DELIVERY = {
  [DELIVERED_FILES.caCert]: "CA\n",
  [DELIVERED_FILES.agentCert]: "CERT 1\n",
  [DELIVERED_FILES.agentKey]: "KEY 1\n",
  [DELIVERED_FILES.consulGossip]: 'encrypt = "consul key"\n',
  [DELIVERED_FILES.nomadGossip]: 'server {\n  encrypt = "nomad key"\n}\n',
  [DELIVERED_FILES.consulAgentConfig]: "consul config\n",
  [DELIVERED_FILES.nomadAgentConfig]: "nomad config\n",
};

describe("hashilab-install-secrets", () => {
  let host: ReturnType<typeof sandbox>;
  beforeEach(() => {
    host = sandbox();
    // cloud-init wrote the agent configuration on first boot.
    writeFileSync(host.path(HOST_PATHS.consulAgentConfig), "consul config\n");
    writeFileSync(host.path(HOST_PATHS.nomadAgentConfig), "nomad config\n");
  });
  afterEach(() => host?.cleanup());

  it("installs the first delivery with tight permissions, starts both agents and removes the upload", () => {
    expect(host.deliver(SERVER_DELIVERY)).toEqual(["restart consul.service", "restart nomad.service"]);
    const mode = (path: string) => (statSync(host.path(path)).mode & 0o777).toString(8);
    expect(readFileSync(host.path(HOST_PATHS.agentKey), "utf8")).toBe("KEY 1\n");
    expect(mode(HOST_PATHS.agentKey)).toBe("640");
    expect(mode(HOST_PATHS.caCert)).toBe("644");
    expect(mode(HOST_PATHS.consulGossipConfig)).toBe("640");
    expect(mode(HOST_PATHS.nomadGossipConfig)).toBe("600");
    expect(readFileSync(host.path(HOST_PATHS.nomadGossipConfig), "utf8")).toContain("nomad key");
    expect(existsSync(host.path(HOST_PATHS.deliveryDir))).toBe(false);
  });

  it("only reloads the agents when nothing they need a restart for changed", () => {
    host.deliver(SERVER_DELIVERY);
    expect(host.deliver(SERVER_DELIVERY)).toEqual(["reload-or-restart consul.service", "reload-or-restart nomad.service"]);
  });

  it("reloads (not restarts) for a renewed certificate, which the agents pick up on SIGHUP", () => {
    host.deliver(SERVER_DELIVERY);
    const renewed = { ...SERVER_DELIVERY, [DELIVERED_FILES.agentCert]: "CERT 2\n", [DELIVERED_FILES.agentKey]: "KEY 2\n" };
    expect(host.deliver(renewed)).toEqual(["reload-or-restart consul.service", "reload-or-restart nomad.service"]);
    expect(readFileSync(host.path(HOST_PATHS.agentCert), "utf8")).toBe("CERT 2\n");
  });

  it("restarts only the agent whose configuration changed", () => {
    host.deliver(SERVER_DELIVERY);
    const changed = { ...SERVER_DELIVERY, [DELIVERED_FILES.nomadAgentConfig]: "nomad config with raw_exec\n" };
    expect(host.deliver(changed)).toEqual(["reload-or-restart consul.service", "restart nomad.service"]);
    expect(readFileSync(host.path(HOST_PATHS.nomadAgentConfig), "utf8")).toBe("nomad config with raw_exec\n");
  });

  it("installs a client's delivery, which has no Nomad gossip key", () => {
    const client: Record<string, string> = { ...SERVER_DELIVERY };
    delete client[DELIVERED_FILES.nomadGossip];
    expect(host.deliver(client)).toEqual(["restart consul.service", "reload-or-restart nomad.service"]);
    expect(existsSync(host.path(HOST_PATHS.nomadGossipConfig))).toBe(false);
  });
});
