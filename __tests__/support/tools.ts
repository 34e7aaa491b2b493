import { execFileSync } from "node:child_process";

/**
 * Whether a validator binary (shellcheck, keepalived, cloud-init, terraform) is installed.
 * Under CI a missing tool is an error, never a skipped check: .ci/run installs them.
 */
export function requireTool(name: string): void {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "pipe" });
  } catch {
    throw new Error(
      `${name} is not installed. Install the validators with: apt-get install -y shellcheck keepalived cloud-init (see .ci/run)`,
    );
  }
}
