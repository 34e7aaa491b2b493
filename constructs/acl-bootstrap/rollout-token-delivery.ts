import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { TerraformData } from "../providers";
import { throwIfProblems } from "../core";
import { HOST_PATHS, HostAccess } from "../hetzner-cluster";
import { deliverTokenFiles, tokenHostProblems } from "./token-file-delivery";

export interface RolloutTokenDeliveryProps {
  /**
   * The hosts by name with their SSH host keys (HetznerCluster, SshCluster: `hostAccess`); only
   * the server hosts among them get the tokens.
   */
  readonly hosts: readonly HostAccess[];
  /** The Consul token with operator:write (a reference; it lands only in a root-only file). */
  readonly consulToken: string;
  /** The Nomad token that may transfer leadership and drain nodes (a reference). */
  readonly nomadToken: string;
  /** Must run after these (the tokens must exist before a rollout uses them). */
  readonly after: readonly ITerraformDependable[];
}

/**
 * Writes the rollout's write tokens to /var/lib/hashilab/secrets/rollout (root only) on the
 * server hosts only, over SSH, where hashilab-rollout.sh reads them to hand Raft leadership over
 * before a server restarts and to drain Nomad clients before their upgrade. A server host's root
 * already holds the Raft state, every token's secret included, so the tokens give it nothing it
 * lacks; a client host never gets them (node:write would let it drain the others or attract
 * jobs with node metadata). One resource per server host, keyed by its name (Host-<name>).
 */
export class RolloutTokenDelivery extends Construct {
  readonly deliveries: readonly TerraformData[];

  constructor(scope: Construct, id: string, props: RolloutTokenDeliveryProps) {
    super(scope, id);
    throwIfProblems(this, "invalid rollout token delivery", tokenHostProblems(props.hosts));
    this.deliveries = deliverTokenFiles(this, {
      hosts: props.hosts.filter((h) => h.isServer),
      files: [
        { token: props.consulToken, path: HOST_PATHS.rolloutConsulToken },
        { token: props.nomadToken, path: HOST_PATHS.rolloutNomadToken },
      ],
      uploadDir: HOST_PATHS.rolloutTokenUploadDir,
      dir: HOST_PATHS.rolloutTokenDir,
      after: props.after,
    });
  }
}
