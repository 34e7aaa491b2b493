import { execFileSync } from "node:child_process";

/**
 * Fails unless a validator binary the tests run is installed. A missing tool is an error,
 * never a skipped check: .ci/run installs them all.
 */
export function requireTool(name: string): void {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "pipe" });
  } catch {
    throw new Error(
      `${name} is not installed. Install the validators with scripts/ci/install-validators.sh (terraform comes separately).`,
    );
  }
}
