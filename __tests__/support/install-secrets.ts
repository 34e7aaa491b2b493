import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DELIVERED_INSTALL_SCRIPT, HOST_PATHS } from "../../constructs/hetzner-cluster/host-paths";
import { shippedFile } from "../../constructs/hetzner-cluster/host-files";

/** What cloud-init's bootstrap leaves on a host before the first delivery: the public config directories. */
const BOOTSTRAPPED_DIRS = [HOST_PATHS.tlsDir, HOST_PATHS.consulConfigDir, HOST_PATHS.nomadConfigDir, "/etc/systemd/system"];

/**
 * A host to run the real hashilab-install-secrets.sh on: a temporary root (HASHILAB_ROOT),
 * with `systemctl` recorded and `install` stripped of its owner/group (the consul user only
 * exists on a host).
 */
export function installSandbox() {
  const root = mkdtempSync(join(tmpdir(), "hashilab-install-"));
  const stubs = join(root, "stubs");
  mkdirSync(stubs);
  for (const dir of BOOTSTRAPPED_DIRS) mkdirSync(join(root, dir), { recursive: true });
  const log = join(root, "systemctl.log");
  writeFileSync(join(stubs, "systemctl"), `#!/bin/sh\necho "$*" >> "${log}"\n`);
  writeFileSync(
    join(stubs, "install"),
    [
      "#!/bin/bash",
      "args=()",
      'while [ $# -gt 0 ]; do case "$1" in -o|-g) shift 2 ;; *) args+=("$1"); shift ;; esac; done',
      'exec /usr/bin/install "${args[@]}"',
      "",
    ].join("\n"),
  );
  chmodSync(join(stubs, "systemctl"), 0o755);
  chmodSync(join(stubs, "install"), 0o755);

  return {
    root,
    path: (hostPath: string) => join(root, hostPath),
    /** Uploads `files` (by delivered name) with the install script and runs it from there, as the delivery does; returns the systemctl calls. */
    deliver(files: Record<string, string>): string[] {
      rmSync(log, { force: true });
      const delivery = join(root, HOST_PATHS.deliveryDir);
      mkdirSync(delivery, { recursive: true });
      const uploads = { ...files, [DELIVERED_INSTALL_SCRIPT]: shippedFile(DELIVERED_INSTALL_SCRIPT) };
      for (const [name, content] of Object.entries(uploads)) writeFileSync(join(delivery, name), content);
      execFileSync("bash", [join(delivery, DELIVERED_INSTALL_SCRIPT)], {
        env: { ...process.env, HASHILAB_ROOT: root, PATH: `${stubs}:${process.env.PATH}` },
        stdio: "pipe",
      });
      return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
