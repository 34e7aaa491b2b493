import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DELIVERED_SCRIPTS, HOST_PATHS } from "../../constructs/hetzner-cluster/host-paths";
import { shippedFile } from "../../constructs/hetzner-cluster/host-files";
import { HEALTHY_CLUSTER_CURL } from "./agent-apis";
import { fakeApt } from "./fake-apt";

/** What cloud-init's bootstrap leaves on a host before the first delivery: the public config directories. */
const BOOTSTRAPPED_DIRS = [HOST_PATHS.tlsDir, HOST_PATHS.consulConfigDir, HOST_PATHS.nomadConfigDir, "/etc/systemd/system", "/usr/local/sbin"];

/** A directory of stand-in commands to put first on PATH. */
export function commandStubs(dir: string) {
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    /** Writes the command `name` as a bash script with `body`. */
    stub(name: string, body: string): void {
      writeFileSync(join(dir, name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    },
  };
}

/**
 * A host to run the real hashilab-install-secrets.sh on: a temporary root (HASHILAB_ROOT),
 * with `systemctl` recorded (a unit is active once started), `curl` answering like a healthy cluster, and
 * `install` stripped of its owner/group (the consul user only exists on a host).
 */
export function installSandbox() {
  const root = mkdtempSync(join(tmpdir(), "hashilab-install-"));
  const stubs = commandStubs(join(root, "stubs"));
  for (const dir of BOOTSTRAPPED_DIRS) mkdirSync(join(root, dir), { recursive: true });
  const log = join(root, "systemctl.log");
  // A unit is active once something (re)started it: a new host's agents are not running yet.
  const units = join(root, "fake-systemd");
  stubs.stub(
    "systemctl",
    [
      `mkdir -p "${units}"`,
      'case "$1" in',
      `  is-active) if [ -e "${units}/\${!#}" ]; then echo active; else echo inactive; exit 3; fi ;;`,
      `  restart | reload-or-restart | start) echo "$*" >> "${log}"; touch "${units}/\${!#}" ;;`,
      `  *) echo "$*" >> "${log}" ;;`,
      "esac",
    ].join("\n"),
  );
  stubs.stub("curl", HEALTHY_CLUSTER_CURL);
  for (const [name, body] of Object.entries(fakeApt(root, join(root, "apt.log")))) stubs.stub(name, body);
  stubs.stub(
    "install",
    ["args=()", 'while [ $# -gt 0 ]; do case "$1" in -o|-g) shift 2 ;; *) args+=("$1"); shift ;; esac; done', 'exec /usr/bin/install "${args[@]}"'].join(
      "\n",
    ),
  );

  return {
    root,
    stubs,
    path: (hostPath: string) => join(root, hostPath),
    /** Uploads `files` (by delivered name) with the scripts and runs the install script from there, as the delivery does; returns the systemctl calls. */
    deliver(files: Record<string, string>, env: Record<string, string> = {}): string[] {
      rmSync(log, { force: true });
      const delivery = join(root, HOST_PATHS.deliveryDir);
      mkdirSync(delivery, { recursive: true });
      const scripts = Object.fromEntries(Object.values(DELIVERED_SCRIPTS).map((name) => [name, shippedFile(name)]));
      for (const [name, content] of Object.entries({ ...files, ...scripts })) writeFileSync(join(delivery, name), content);
      execFileSync("bash", [join(delivery, DELIVERED_SCRIPTS.install)], {
        env: { ...process.env, ...env, HASHILAB_ROOT: root, PATH: `${stubs.dir}:${process.env.PATH}` },
        stdio: "pipe",
      });
      return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** One recorded call of a stubbed command: its name and arguments. */
export type RecordedCall = readonly string[];

/**
 * Runs remote-exec `inline` lines the way Terraform does (one script, the lines joined by
 * newlines, run by root's bash) with every command in `commands` replaced by a stub that
 * records its arguments and prints its line of `outputs`; `failing` stubs exit 1. Returns the
 * exit status and the calls.
 */
export function runInlineScript(
  lines: readonly string[],
  commands: readonly string[],
  options: { failing?: readonly string[]; outputs?: Readonly<Record<string, string>> } = {},
): { status: number | null; calls: RecordedCall[]; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "hashilab-inline-"));
  const stubs = commandStubs(join(dir, "stubs"));
  const log = join(dir, "calls.log");
  for (const name of commands) {
    // Each call: its name, its argument count and its arguments, NUL-terminated (no argument holds a NUL).
    const outputFile = join(dir, `${name}.out`);
    writeFileSync(outputFile, options.outputs?.[name] === undefined ? "" : `${options.outputs[name]}\n`);
    stubs.stub(name, `printf '%s\\0' "${name}" "$#" "$@" >> "${log}"; cat "${outputFile}"; exit ${options.failing?.includes(name) ? 1 : 0}`);
  }
  const script = join(dir, "script.sh");
  writeFileSync(script, `${lines.join("\n")}\n`);
  const result = spawnSync("/bin/bash", [script], { env: { ...process.env, PATH: `${stubs.dir}:${process.env.PATH}` }, encoding: "utf8" });
  const fields = existsSync(log) ? readFileSync(log, "utf8").split("\0").slice(0, -1) : [];
  const calls: RecordedCall[] = [];
  for (let i = 0; i < fields.length; i += 2 + Number(fields[i + 1])) {
    calls.push([fields[i], ...fields.slice(i + 2, i + 2 + Number(fields[i + 1]))]);
  }
  return { status: result.status, calls, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A command line run as root: network namespaces, nft and mount need it. CI's hosted runners
 * are not root but have password-less sudo (scripts/ci/install-validators.sh uses it too).
 */
export function asRoot(command: string, ...args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? [command, args] : ["sudo", ["-n", command, ...args]];
}
