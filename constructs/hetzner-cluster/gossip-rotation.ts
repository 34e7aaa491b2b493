import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { escapeTerraformTemplate, throwIfProblems } from "../core";
import { RandomBytes, TerraformData } from "../providers";
import { shippedFile } from "./host-files";
import { remoteCommand } from "./shell";
import { SshHost, sshConnection } from "./ssh-host-key";

/**
 * A gossip key rotation in one deploy, driven by `gossipKeyGeneration`: a new generation is a
 * new pair of keys (new RandomBytes ids), which every host's own delivery writes into its
 * gossip config files, host by host as usual. Those files alone change nothing on a running
 * cluster (each agent keeps its keyring in its data directory after the first start), so once
 * every host has them, one step on a server runs hashilab-rotate-gossip.sh: install the new
 * key on every member, wait until all hold it, make it primary, remove the others; Consul,
 * then Nomad (only servers gossip there). The step runs once per generation.
 */

/** The script the step uploads and runs. */
export const GOSSIP_ROTATION_SCRIPT = "hashilab-rotate-gossip.sh";

/** Where the script waits on the host (tmpfs: gone at the next boot). */
const UPLOAD_DIR = "/run/hashilab-gossip-rotation";

/** A generation bound that no deploy cadence reaches, and that keeps ids short. */
const MAX_GENERATION = 1000;

/** The cluster's gossip keys of one generation. */
export interface GossipKeys {
  /** gossipKeyGeneration, defaulted. */
  readonly generation: number;
  readonly consulGossipKey: RandomBytes;
  readonly nomadGossipKey: RandomBytes;
}

/**
 * The gossip keys of `generation` (@default 1), as children of `scope`: generation 1 keeps
 * the ids the keys had before rotations existed (ConsulGossipKey, NomadGossipKey), a later
 * one has its own (ConsulGossipKey-2, ...), so raising it creates new keys. The previous
 * generation's keys leave the state: the cluster holds them until the rotation removes them.
 */
export function createGossipKeys(scope: Construct, generation: number | undefined): GossipKeys {
  const value = generation ?? 1;
  throwIfProblems(
    scope,
    "invalid gossip keys",
    Number.isInteger(value) && value >= 1 && value <= MAX_GENERATION
      ? []
      : [`gossipKeyGeneration ${value} must be a whole number from 1 to ${MAX_GENERATION}; raise it by exactly one to rotate the gossip keys`],
  );
  const suffix = value === 1 ? "" : `-${value}`;
  return {
    generation: value,
    // 32 random bytes, base64: what `consul keygen` and `nomad operator gossip keyring generate` produce.
    consulGossipKey: new RandomBytes(scope, `ConsulGossipKey${suffix}`, { length: 32 }),
    nomadGossipKey: new RandomBytes(scope, `NomadGossipKey${suffix}`, { length: 32 }),
  };
}

export interface GossipRotationProps {
  /** A server host (it runs both servers and holds the rollout tokens): where the script runs. */
  readonly server: SshHost;
  /** Every host's delivery: the new key files are everywhere before the keyring changes. */
  readonly deliveries: readonly ITerraformDependable[];
}

/**
 * Renders the keyring step (GossipKeyRotation) when `keys` is a generation above 1, after
 * every delivery; nothing at generation 1.
 * @returns the step, if any
 */
export function rotateGossipKeys(scope: Construct, keys: GossipKeys, props: GossipRotationProps): TerraformData | undefined {
  if (keys.generation === 1) return undefined;
  const script = `${UPLOAD_DIR}/${GOSSIP_ROTATION_SCRIPT}`;
  return new TerraformData(scope, "GossipKeyRotation", {
    // Once per generation: not on a new script (a later deploy leaves the step alone) nor on
    // the key (a new key is a new generation).
    triggersReplace: { gossip_key_generation: String(keys.generation) },
    dependsOn: [...props.deliveries],
    connection: sshConnection(props.server),
    provisioners: [
      { type: "remote-exec", inline: [remoteCommand("install", "-d", "-m", "0700", UPLOAD_DIR)] },
      { type: "file", content: escapeTerraformTemplate(shippedFile(GOSSIP_ROTATION_SCRIPT)), destination: script },
      { type: "remote-exec", inline: [remoteCommand("bash", script)] },
    ],
  });
}
