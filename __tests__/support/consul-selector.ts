import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTool } from "./tools";

/** Debian's golang-github-hashicorp-go-bexpr-dev: go-bexpr 0.1.2, the release Consul builds with. */
const GOPATH = "/usr/share/gocode";
let binary: string | undefined;

/**
 * For each selector, whether Consul would match it against each set of JWT claims (as
 * `value.<claim>`), evaluated by the real go-bexpr; "invalid: …" where Consul refuses the selector.
 */
export function evaluateConsulSelectors(selectors: readonly string[], claims: readonly Record<string, string>[]): (boolean | string)[][] {
  requireTool("go");
  if (!existsSync(join(GOPATH, "src/github.com/hashicorp/go-bexpr"))) {
    throw new Error("go-bexpr is not installed: install golang-github-hashicorp-go-bexpr-dev (scripts/ci/install-validators.sh)");
  }
  if (binary === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "hashilab-bexpr-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const env = { ...process.env, GO111MODULE: "off", GOPATH, GOCACHE: join(dir, "cache"), GOFLAGS: "" };
    execFileSync("go", ["build", "-o", join(dir, "selector"), join(__dirname, "consul-selector", "main.go")], { env, stdio: "pipe" });
    binary = join(dir, "selector");
  }
  return JSON.parse(execFileSync(binary, [], { input: JSON.stringify({ Selectors: selectors, Claims: claims }), encoding: "utf8" }));
}
