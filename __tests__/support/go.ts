import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { sharedOncePerRun } from "./test-run";
import { requireTool } from "./tools";

/**
 * The binary of a Go program (`main`, a main.go or a folder of one), built once per jest run
 * into the run's shared folder, for the test files that run it many times (`go run` links it
 * anew on each call). GOPATH mode: the programs use the standard library and Debian's Go
 * packages under `gopath`; the build cache is the run's own.
 */
export function goProgram(name: string, main: string, gopath?: string): string {
  requireTool("go");
  return sharedOncePerRun(`go-${name}`, (dir) => {
    const env = { ...process.env, GO111MODULE: "off", GOCACHE: join(dir, "cache"), GOFLAGS: "", ...(gopath ? { GOPATH: gopath } : {}) };
    const binary = join(dir, name);
    execFileSync("go", ["build", "-o", binary, main], { env, stdio: "pipe" });
    return binary;
  });
}
