import { posix } from "node:path";
import { Fn, ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { TerraformData } from "../providers";
import { throwIfProblems } from "../core";
import { HOST_PATHS, remoteCommand, shellQuote, sshConnection, SshHost, sshHostProblems } from "../hetzner-cluster";

export interface HealthGateTokenDeliveryProps {
  /** The hosts and their SSH host keys (HetznerCluster: each host's `sshHost`); a host that presents another key is refused. */
  readonly hosts: readonly SshHost[];
  /** The Consul operator:read token's secret (a reference; it lands only in a root-only file). */
  readonly consulToken: string;
  /** The Nomad operator:read token's secret (a reference; it lands only in a root-only file). */
  readonly nomadToken: string;
  /** Must run after these (the tokens must exist before the gate uses them). */
  readonly after: readonly ITerraformDependable[];
}

/** Where the tokens wait between upload and install (tmpfs, root only). */
const UPLOAD_DIR = HOST_PATHS.healthGateTokenUploadDir;
const FILES = [
  { token: "consulToken", path: HOST_PATHS.healthGateConsulToken },
  { token: "nomadToken", path: HOST_PATHS.healthGateNomadToken },
] as const;
const uploaded = (path: string) => `${UPLOAD_DIR}/${posix.basename(path)}`;

/**
 * The root commands that move the uploaded tokens into place. Terraform runs `inline` as one
 * script without `set -e` (remote-exec's generateScripts), so it stops at the first failure
 * itself and removes the upload however it ends. No agent restarts: the gate reads the files
 * each time it runs.
 */
export function gateTokenInstallCommands(): string[] {
  return [
    "set -eu",
    remoteCommand("trap", `rm -rf ${shellQuote(UPLOAD_DIR)}`, "EXIT"),
    remoteCommand("install", "-d", "-o", "root", "-g", "root", "-m", "0700", HOST_PATHS.healthGateTokenDir),
    ...FILES.map(({ path }) => remoteCommand("install", "-o", "root", "-g", "root", "-m", "0600", uploaded(path), path)),
  ];
}

/**
 * Writes the health gate's operator:read tokens (Consul's and Nomad's) to
 * /var/lib/hashilab/secrets/gate on each host over SSH, where hashilab-wait-healthy.sh reads
 * them to check autopilot. Never under /etc (exec tasks' chroot links it in), never in user-data.
 * The hosts need no restart, so they do not wait for one another; a new token (rotation) or a
 * new host re-runs the delivery.
 */
export class HealthGateTokenDelivery extends Construct {
  readonly deliveries: readonly TerraformData[];

  constructor(scope: Construct, id: string, props: HealthGateTokenDeliveryProps) {
    super(scope, id);
    throwIfProblems(this, "invalid health gate token delivery", sshHostProblems(props.hosts, "hosts"));
    this.deliveries = props.hosts.map(
      (host, i) =>
        new TerraformData(this, `Host-${i}`, {
          dependsOn: [...props.after],
          triggersReplace: { host: host.address, tokens_sha256: Fn.sha256(Fn.join(",", [props.consulToken, props.nomadToken])) },
          connection: sshConnection(host),
          provisioners: [
            { type: "remote-exec", inline: [remoteCommand("install", "-d", "-m", "0700", UPLOAD_DIR)] },
            ...FILES.map(({ token, path }) => ({ type: "file" as const, content: `${props[token]}\n`, destination: uploaded(path) })),
            { type: "remote-exec", inline: gateTokenInstallCommands() },
          ],
        }),
    );
  }
}
