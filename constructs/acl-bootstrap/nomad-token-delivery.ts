import { posix } from "node:path";
import { Fn, ITerraformDependable, Token } from "cdktf";
import { Construct } from "constructs";
import { TerraformData } from "../providers";
import { escapeTerraformTemplate, throwIfProblems } from "../core";
import { DELIVERED_SCRIPTS, HOST_PATHS, HostAccess, remoteCommand, shellQuote, shippedFile, sshConnection } from "../hetzner-cluster";
import { tokenHostProblems } from "./token-file-delivery";

export interface NomadConsulTokenDeliveryProps {
  /**
   * The hosts by name with their SSH host keys (HetznerCluster, SshCluster: `hostAccess`), in
   * rollout order; Terraform connects as root, authenticated by the operator's ssh-agent, and
   * refuses a host that presents another key.
   */
  readonly hosts: readonly HostAccess[];
  /** The Consul token for the Nomad agents (a reference; it lands only in a root-only file). */
  readonly token: string;
  /** Must run after these (the Consul token must exist before Nomad uses it). */
  readonly after: readonly ITerraformDependable[];
  /**
   * The file written: a `.hcl` file directly in /var/lib/hashilab/secrets/nomad.d, the secret
   * config directory the Nomad agent loads (it reads no subdirectory); Nomad merges its
   * `consul` block. Anywhere else the token would be ignored or, under /etc, linked into
   * every exec task's chroot.
   * @default "/var/lib/hashilab/secrets/nomad.d/consul-token.hcl"
   */
  readonly configFile?: string;
}

/** Where the file waits between upload and install (tmpfs, root only). */
const UPLOAD_DIR = HOST_PATHS.nomadTokenUploadDir;
const UPLOADED_TOKEN = `${UPLOAD_DIR}/consul-token.hcl`;

/** Names in the secret config directory that other files own. */
const TAKEN_NAMES = [posix.basename(HOST_PATHS.nomadGossipConfig)];

/**
 * What is wrong with `configFile`, if anything. It reaches root's shell on every host, so
 * beyond being a file Nomad loads it may hold only path characters (the commands also quote it).
 */
export function configFileProblems(configFile: string): string[] {
  if (Token.isUnresolved(configFile)) {
    return ["configFile is a Terraform reference; give the literal path, e.g. the default " + HOST_PATHS.nomadConsulTokenConfig];
  }
  const shown = JSON.stringify(configFile);
  const problems: string[] = [];
  if (!/^[A-Za-z0-9._/-]+$/.test(configFile)) {
    problems.push(`configFile ${shown} holds characters other than letters, digits, ".", "_", "-" and "/" (it reaches root's shell on every host); rename it`);
  }
  if (!configFile.startsWith("/") || posix.normalize(configFile) !== configFile || configFile.split("/").includes("..")) {
    problems.push(`configFile ${shown} is not an absolute, normalized path (no "..", "." or "//"); write it out in full`);
  }
  const dir = HOST_PATHS.nomadSecretConfigDir;
  const name = posix.basename(configFile);
  if (posix.dirname(configFile) !== dir) {
    problems.push(
      `configFile ${shown} is not directly in ${dir}, the only secret directory the Nomad agent loads (and not under /etc, which exec tasks' chroot links in); use ${dir}/<name>.hcl`,
    );
  }
  if (!name.endsWith(".hcl") || name === ".hcl") {
    problems.push(`configFile ${shown} does not end in ".hcl": Nomad loads only .hcl and .json files from a config directory, and this one is HCL`);
  }
  if (TAKEN_NAMES.includes(name)) {
    problems.push(`configFile ${shown} would overwrite the servers' gossip key file; pick another name, e.g. consul-token.hcl`);
  }
  return problems;
}

/**
 * The root commands that move the uploaded file into place and restart Nomad, each value
 * quoted. Terraform runs `inline` as one script without `set -e` and takes the last
 * command's status (remote-exec's generateScripts), so the script stops at the first failure
 * itself and removes the upload (the token) however it ends.
 */
export function tokenInstallCommands(configFile: string): string[] {
  return [
    "set -eu",
    remoteCommand("trap", `rm -rf ${shellQuote(UPLOAD_DIR)}`, "EXIT"),
    remoteCommand("install", "-d", "-o", "root", "-g", "root", "-m", "0700", posix.dirname(configFile)),
    remoteCommand("install", "-o", "root", "-g", "root", "-m", "0600", UPLOADED_TOKEN, configFile),
    // The token is gone from the upload before anything below can fail.
    remoteCommand("rm", "-f", UPLOADED_TOKEN),
    // A server that leads hands leadership to the server restarted last (nothing on clients).
    remoteCommand("bash", `${UPLOAD_DIR}/${DELIVERED_SCRIPTS.rollout}`, "leader-away", "nomad"),
    remoteCommand("systemctl", "restart", "nomad.service"),
    remoteCommand("bash", `${UPLOAD_DIR}/${DELIVERED_SCRIPTS.waitHealthy}`, "nomad"),
  ];
}

/**
 * Writes the Nomad agents' Consul token (`consul { token = ... }`) onto each host over SSH
 * and restarts Nomad: Nomad has no API to set it, and user-data must not hold it. The hosts
 * go one after another, each only once the Nomad cluster is healthy again (the health gate,
 * hashilab-wait-healthy.sh: a Nomad that does not come back or rejoin fails the delivery), so
 * at most one Nomad server restarts at a time, and a server that leads hands leadership over
 * first (hashilab-rollout.sh leader-away, with the rollout's token).
 * A new token (rotation) or a new host re-runs the delivery; the servers are not replaced. One
 * resource per host, keyed by its name (Host-<name>): removing a host touches no other.
 */
export class NomadConsulTokenDelivery extends Construct {
  readonly deliveries: readonly TerraformData[];

  constructor(scope: Construct, id: string, props: NomadConsulTokenDeliveryProps) {
    super(scope, id);
    const configFile = props.configFile ?? HOST_PATHS.nomadConsulTokenConfig;
    const problems = [...configFileProblems(configFile), ...tokenHostProblems(props.hosts)];
    throwIfProblems(this, "invalid Nomad agent Consul token delivery", problems);
    const deliveries: TerraformData[] = [];
    props.hosts.forEach((host, i) => {
      deliveries.push(
        new TerraformData(this, `Host-${host.name}`, {
          dependsOn: i === 0 ? [...props.after] : [deliveries[i - 1]],
          triggersReplace: { host: host.sshHost.address, token_sha256: Fn.sha256(props.token), config_file: configFile },
          connection: sshConnection(host.sshHost),
          provisioners: [
            { type: "remote-exec", inline: [remoteCommand("install", "-d", "-m", "0700", UPLOAD_DIR)] },
            { type: "file", content: `consul {\n  token = "${props.token}"\n}\n`, destination: UPLOADED_TOKEN },
            ...[DELIVERED_SCRIPTS.waitHealthy, DELIVERED_SCRIPTS.rollout].map((name) => ({
              type: "file" as const,
              content: escapeTerraformTemplate(shippedFile(name)),
              destination: `${UPLOAD_DIR}/${name}`,
            })),
            { type: "remote-exec", inline: tokenInstallCommands(configFile) },
          ],
        }),
      );
    });
    this.deliveries = deliveries;
  }
}
