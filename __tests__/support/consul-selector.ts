import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { goProgram } from "./go";

/** Debian's golang-github-hashicorp-go-bexpr-dev: go-bexpr 0.1.2, the release Consul builds with. */
const GOPATH = "/usr/share/gocode";

/**
 * For each selector, whether Consul would match it against each set of JWT claims (as
 * `value.<claim>`), evaluated by the real go-bexpr; "invalid: …" where Consul refuses the selector.
 */
export function evaluateConsulSelectors(selectors: readonly string[], claims: readonly Record<string, string>[]): (boolean | string)[][] {
  if (!existsSync(join(GOPATH, "src/github.com/hashicorp/go-bexpr"))) {
    throw new Error("go-bexpr is not installed: install golang-github-hashicorp-go-bexpr-dev (scripts/ci/install-validators.sh)");
  }
  const binary = goProgram("consul-selector", join(__dirname, "consul-selector", "main.go"), GOPATH);
  return JSON.parse(execFileSync(binary, [], { input: JSON.stringify({ Selectors: selectors, Claims: claims }), encoding: "utf8" }));
}
