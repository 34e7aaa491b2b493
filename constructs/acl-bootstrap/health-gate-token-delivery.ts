import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { TerraformData } from "../providers";
import { throwIfProblems } from "../core";
import { HOST_PATHS, HostAccess } from "../hetzner-cluster";
import { deliverTokenFiles, tokenFileInstallCommands, tokenHostProblems } from "./token-file-delivery";

export interface HealthGateTokenDeliveryProps {
  /** The hosts by name with their SSH host keys (HetznerCluster, SshCluster: `hostAccess`); a host that presents another key is refused. */
  readonly hosts: readonly HostAccess[];
  /** The Consul operator:read token's secret (a reference; it lands only in a root-only file). */
  readonly consulToken: string;
  /** The Nomad operator:read token's secret (a reference; it lands only in a root-only file). */
  readonly nomadToken: string;
  /** Must run after these (the tokens must exist before the gate uses them). */
  readonly after: readonly ITerraformDependable[];
}

const PATHS = [HOST_PATHS.healthGateConsulToken, HOST_PATHS.healthGateNomadToken];

/** The root commands that move the uploaded gate tokens into place (see tokenFileInstallCommands). */
export function gateTokenInstallCommands(): string[] {
  return tokenFileInstallCommands(HOST_PATHS.healthGateTokenUploadDir, HOST_PATHS.healthGateTokenDir, PATHS);
}

/**
 * Writes the health gate's operator:read tokens (Consul's and Nomad's) to
 * /var/lib/hashilab/secrets/gate on each host over SSH, where hashilab-wait-healthy.sh reads
 * them to check autopilot. Never under /etc (exec tasks' chroot links it in), never in user-data.
 * The hosts need no restart, so they do not wait for one another; a new token (rotation) or a
 * new host re-runs the delivery. One resource per host, keyed by its name (Host-<name>).
 */
export class HealthGateTokenDelivery extends Construct {
  readonly deliveries: readonly TerraformData[];

  constructor(scope: Construct, id: string, props: HealthGateTokenDeliveryProps) {
    super(scope, id);
    throwIfProblems(this, "invalid health gate token delivery", tokenHostProblems(props.hosts));
    this.deliveries = deliverTokenFiles(this, {
      hosts: props.hosts,
      files: [
        { token: props.consulToken, path: HOST_PATHS.healthGateConsulToken },
        { token: props.nomadToken, path: HOST_PATHS.healthGateNomadToken },
      ],
      uploadDir: HOST_PATHS.healthGateTokenUploadDir,
      dir: HOST_PATHS.healthGateTokenDir,
      after: props.after,
    });
  }
}
