import type { TaskDriver } from "../cluster-facts";
import { shippedFile } from "./host-files";

/**
 * HashiCorp's package signing key: its fingerprint as HashiCorp publishes it
 * (https://www.hashicorp.com/trust/security), checked in a test against the key vendored in
 * files/hashicorp-archive-keyring.asc.
 */
export const HASHICORP_APT_KEY_FINGERPRINT = "798AEC654E5C15428C8E42EEAA16FCBCA621E701";

/**
 * Where the vendored key lands on every host. apt reads an ASCII-armored key from a `.asc`
 * file named in `signed-by` (apt 1.4+; sources.list(5)), so no gpg, dirmngr or keyserver is
 * needed at boot: hosts reach only HashiCorp's repository and their distribution's mirrors.
 */
export const HASHICORP_KEYRING = "/usr/share/keyrings/hashicorp-archive-keyring.asc";

/** The vendored key (public), as shipped to every host. */
export function hashicorpKeyring(): string {
  return shippedFile("hashicorp-archive-keyring.asc");
}

/** HashiCorp's apt repository for the host's release (e.g. "$RELEASE" in cloud-init, `$VERSION_CODENAME` in a script). */
export function hashicorpAptSource(release: string): string {
  return `deb [signed-by=${HASHICORP_KEYRING}] https://apt.releases.hashicorp.com ${release} main`;
}

/** What decides a host's packages. */
export interface HostPackageSettings {
  readonly isClient: boolean;
  /** Upstream versions, e.g. "2.0.5"; HashiCorp's packages are "<version>-1". */
  readonly nomadVersion: string;
  readonly consulVersion: string;
  readonly podmanDriverVersion: string;
  readonly drivers: readonly TaskDriver[];
}

/** A Debian package, pinned to a version where it comes from HashiCorp. */
export type HostPackage = string | readonly [name: string, version: string];

/** HashiCorp's Debian packages carry a "-1" revision after the upstream version. */
function hashicorpPackage(name: string, version: string): [string, string] {
  return [name, `${version}-1`];
}

/** The packages every host installs (cloud-init on Hetzner, the SSH install on LAN hosts). */
export function hostPackages(settings: HostPackageSettings): HostPackage[] {
  const list: HostPackage[] = [
    hashicorpPackage("nomad", settings.nomadVersion),
    hashicorpPackage("consul", settings.consulVersion),
    "nftables",
    // Encrypts Raft snapshots to the operators' public keys before they leave the host (Debian 12 ships age 1.1).
    "age",
  ];
  if (!settings.isClient) return list;
  // Debian's CNI reference plugins (bridge, portmap, firewall, host-local, loopback) in /usr/lib/cni.
  list.push("containernetworking-plugins");
  if (settings.drivers.includes("docker")) list.push("docker.io");
  if (settings.drivers.includes("podman")) {
    list.push("podman", hashicorpPackage("nomad-driver-podman", settings.podmanDriverVersion));
  }
  return list;
}
