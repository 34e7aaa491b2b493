import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * Fails unless a validator binary the tests run is installed. A missing tool is an error,
 * never a skipped check: .ci/run installs them all.
 */
export function requireTool(name: string): void {
  if (!onPath(name)) {
    throw new Error(
      `${name} is not installed. Install the validators with scripts/ci/install-validators.sh (terraform comes separately).`,
    );
  }
}

/** Whether `command -v name` would find an executable file: looked up here, without a shell per check. */
function onPath(name: string): boolean {
  const candidates = name.includes("/") ? [name] : (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir || ".", name));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}
