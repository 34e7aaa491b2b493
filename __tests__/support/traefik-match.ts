import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { goProgram } from "./go";

/**
 * Traefik's own matching semantics, run by Go (the parser and regexp engine Traefik uses):
 * whether a Nomad provider `constraints` expression keeps each tag set, and whether a
 * HostRegexp pattern matches each host. See traefik-match.go.
 */
export function traefikMatch(input: { constraint?: string; tagSets?: string[][]; regexp?: string; hosts?: string[] }): {
  matches: boolean[];
  hostMatches: boolean[];
} {
  const out = execFileSync(goProgram("traefik-match", join(__dirname, "traefik-match.go")), [], { input: JSON.stringify(input), encoding: "utf8" });
  return JSON.parse(out);
}
