import { stringify } from "yaml";
import type { TaskDriver } from "../cluster-facts";
import { HostFile, systemFiles } from "./host-files";
import { HOST_PATHS } from "./host-paths";

/** HashiCorp's package signing key (https://www.hashicorp.com/trust/security). */
export const HASHICORP_APT_KEY_FINGERPRINT = "798AEC654E5C15428C8E42EEAA16FCBCA621E701";

export interface UserDataSettings {
  readonly isServer: boolean;
  readonly isClient: boolean;
  /** The host's private address, which the agents wait for before they start. */
  readonly privateIp: string;
  /** Rendered agent.hcl files (no secrets in them). */
  readonly nomadConfig: string;
  readonly consulConfig: string;
  /** Upstream versions, e.g. "1.10.5"; HashiCorp's packages are "<version>-1". */
  readonly nomadVersion: string;
  readonly consulVersion: string;
  readonly podmanDriverVersion: string;
  readonly drivers: readonly TaskDriver[];
  /** @default HASHICORP_APT_KEY_FINGERPRINT */
  readonly hashicorpAptKeyFingerprint?: string;
}

/** HashiCorp's Debian packages carry a "-1" revision after the upstream version. */
function hashicorpPackage(name: string, version: string): [string, string] {
  return [name, `${version}-1`];
}

function packages(settings: UserDataSettings): Array<string | [string, string]> {
  const list: Array<string | [string, string]> = [
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

/**
 * Runs before cloud-init's apt module: it fetches the HashiCorp key with gpg and dirmngr,
 * which Debian's cloud images do not ship (canonical/cloud-init#5535).
 */
export const BOOT_COMMANDS = [
  "command -v dirmngr >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gpg dirmngr; }",
];

function writeFile(file: HostFile) {
  return { path: file.path, content: file.content, owner: "root:root", permissions: file.permissions };
}

/**
 * The cloud-config of one host. Everything in it is public: user-data is served by the
 * metadata service to anything on the VM and changing it replaces the server, so keys,
 * certificates and tokens are delivered over SSH instead (see SecretsDelivery).
 */
export function renderUserData(settings: UserDataSettings): string {
  const config = {
    bootcmd: BOOT_COMMANDS,
    package_update: true,
    apt: {
      // Leave Debian's own sources alone; only add HashiCorp's repository.
      preserve_sources_list: true,
      sources: {
        hashicorp: {
          // cloud-init fetches the key by its full fingerprint (gpg checks the key matches it)
          // into its own keyring file, /etc/apt/cloud-init.gpg.d/hashicorp.gpg, for $KEY_FILE.
          source: "deb [signed-by=$KEY_FILE] https://apt.releases.hashicorp.com $RELEASE main",
          keyid: settings.hashicorpAptKeyFingerprint ?? HASHICORP_APT_KEY_FINGERPRINT,
          keyserver: "hkps://keyserver.ubuntu.com",
        },
      },
    },
    packages: packages(settings),
    write_files: [
      ...systemFiles(settings),
      { path: HOST_PATHS.nomadAgentConfig, content: settings.nomadConfig, permissions: "0600" },
      { path: HOST_PATHS.consulAgentConfig, content: settings.consulConfig, permissions: "0644" },
    ].map(writeFile),
    runcmd: [[HOST_PATHS.bootstrapScript]],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}
