import { compareVersions, parseVersion } from "../../policies";

/**
 * The oldest Nomad release the hosts may run. hashilab's privilege model relies on the docker
 * driver refusing host paths with volumes off and host namespaces without allow_privileged;
 * before 2.0.4 a task could bypass the first through a symlink in its alloc dir
 * (CVE-2026-14896, hashicorp/nomad#28177/#28217) and set `pid_mode = "host"` freely
 * (CVE-2026-14891, #28190). Both fixes shipped in 2.0.4 (July 2026); the 1.10 and 1.11 series
 * have no community release after 1.10.5 and 1.11.3 (later ones are Enterprise only), so no
 * community release of those series has them.
 */
export const MINIMUM_NOMAD_VERSION = "2.0.4";

/** The nomad-driver-podman release HetznerCluster and SshCluster install where podman is a driver, unless told otherwise. */
export const DEFAULT_PODMAN_DRIVER_VERSION = "0.6.4";

/** The pinned agent packages (the rollout installs them on running hosts: rollout.ts). */
export interface AgentVersions {
  readonly consul: string;
  readonly nomad: string;
  /** Hosts that run podman tasks. @default not installed */
  readonly nomadDriverPodman?: string;
}

/** What is wrong with pinning Nomad `version` on the hosts (empty when it is fine). */
export function nomadVersionFloorProblems(version: string): string[] {
  const parsed = parseVersion(version);
  if (!parsed || compareVersions(parsed, parseVersion(MINIMUM_NOMAD_VERSION)!) >= 0) return [];
  return [
    `nomadVersion "${version}" lacks the docker driver's fixes for CVE-2026-14896 (volume symlink escape) and CVE-2026-14891 (host namespaces), ` +
      `which the privilege model relies on; pin "${MINIMUM_NOMAD_VERSION}" or later (docs/operations.md "Pinned versions")`,
  ];
}
