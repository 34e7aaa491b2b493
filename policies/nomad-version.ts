/** Which namespace capabilities a Nomad release's policy parser accepts. */
import { NAMESPACE_CAPABILITIES_SINCE, NAMESPACE_CAPABILITY_PREDECESSORS, NamespaceCapability } from "./nomad-capabilities";

export type Version = readonly [number, number, number];

const OLDEST_KNOWN = NAMESPACE_CAPABILITIES_SINCE[0].since;

/** What is wrong with `nomadVersion` as the release policies are checked against. */
export function nomadVersionProblems(nomadVersion: string): string[] {
  const version = parseVersion(nomadVersion);
  if (!version) return [`Nomad version "${nomadVersion}" is not a release version like "2.0.5"`];
  if (compareVersions(version, parseVersion(OLDEST_KNOWN)!) < 0) {
    return [`Nomad ${nomadVersion} is older than ${OLDEST_KNOWN}, the oldest release whose ACL capabilities are known here; upgrade Nomad`];
  }
  return [];
}

/**
 * Why Nomad `nomadVersion` rejects `capability` in the rule `where`, with the fix; undefined
 * when it accepts it, or when either is unknown (other checks report those).
 */
export function capabilityVersionProblem(
  where: string,
  capability: NamespaceCapability,
  nomadVersion: string,
  source = "the cluster's Nomad version",
): string | undefined {
  const version = parseVersion(nomadVersion);
  const since = NAMESPACE_CAPABILITIES_SINCE.find((group) => group.capabilities.includes(capability))?.since;
  if (!version || !since || compareVersions(version, parseVersion(since)!) >= 0) return undefined;
  const predecessor = NAMESPACE_CAPABILITY_PREDECESSORS[capability];
  const fix = predecessor ? `use "${predecessor}" instead (it grants ${capability} there)` : `drop it`;
  return `${where}: capability "${capability}" needs Nomad ${since} or later, but the cluster runs Nomad ${nomadVersion}, whose policy parser rejects it; ${fix}, or upgrade Nomad (${source})`;
}

/** `[major, minor, patch]` of a release version like "2.0.5"; undefined for anything else. */
export function parseVersion(text: string): Version | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`. */
export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}
