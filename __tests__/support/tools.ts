import { execFileSync } from "node:child_process";

/** The Debian packages that provide every tool the tests run (terraform comes with the machine image). */
const DEBIAN_PACKAGES = "shellcheck keepalived cloud-init nftables systemd openssl curl";

/**
 * Fails unless a validator binary the tests run is installed. A missing tool is an error,
 * never a skipped check: .ci/run installs them all.
 */
export function requireTool(name: string): void {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "pipe" });
  } catch {
    throw new Error(
      `${name} is not installed. Install the validators with: apt-get install -y ${DEBIAN_PACKAGES} (see .ci/run)`,
    );
  }
}
