import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { sharedOncePerRun } from "./test-run";
import { requireTool } from "./tools";

/**
 * The binary of a Go program (`main`, a main.go or a folder of one), built once per jest run
 * into the run's shared folder, for the test files that run it many times (`go run` links it
 * anew on each call). GOPATH mode: the programs use the standard library and Debian's Go
 * packages under `gopath`. The build cache is Go's default one (safe for concurrent builds), as
 * for the `go run` callers: a cache of the run's own compiled the standard library again for
 * each program, about 4 s of CPU each.
 */
export function goProgram(name: string, main: string, gopath?: string): string {
  requireTool("go");
  return sharedOncePerRun(`go-${name}`, (dir) => {
    const env = { ...process.env, GO111MODULE: "off", GOFLAGS: "", ...(gopath ? { GOPATH: gopath } : {}) };
    const binary = join(dir, name);
    execFileSync("go", ["build", "-o", binary, main], { env, stdio: "pipe" });
    return binary;
  });
}
