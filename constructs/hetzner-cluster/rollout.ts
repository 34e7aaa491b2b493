import { TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { TerraformData } from "../providers";
import { addDependsOn, escapeTerraformTemplate, throwIfProblems } from "../core";
import { AgentVersions } from "./agent-versions";
import { ConfiguredHost } from "./host-configuration";
import { hostConstructId } from "./host-plan";
import { DELIVERED_SCRIPTS, HOST_PATHS } from "./host-paths";
import { remoteCommand } from "./shell";
import { sshConnection, SshHost } from "./ssh-host-key";

/**
 * The rolling change, the same for HetznerCluster and SshCluster: the order hosts go in, the
 * chaining of their deliveries, and the agent upgrades (Consul on every host, then Nomad),
 * each host behind the health gate, the Raft leader last, Nomad clients drained.
 */

/** A host as the rollout sees it. */
export interface RolloutHost {
  readonly spec: ConfiguredHost;
  /** Where Terraform reaches the host and the host key it pins. */
  readonly sshHost: SshHost;
}

/** What the acl stack needs of each host to deliver tokens to it, keyed by its name. */
export interface HostAccess {
  /** The host's (node) name: the key of its token deliveries, so removing a host touches no other. */
  readonly name: string;
  /** Server hosts also get the rollout's write tokens. */
  readonly isServer: boolean;
  readonly sshHost: SshHost;
}

/** Servers first, in their order (the order of retry_join, whose last server leads last), then client-only hosts. */
export function rolloutOrder<T extends { readonly spec: { readonly isServer: boolean } }>(hosts: readonly T[]): T[] {
  return [...hosts.filter((h) => h.spec.isServer), ...hosts.filter((h) => !h.spec.isServer)];
}

/** Makes each resource wait for the one before it: one host at a time. */
export function oneAtATime(resources: readonly TerraformData[]): void {
  resources.slice(1).forEach((resource, i) => addDependsOn(resource, resources[i]));
}

/** The packages the rollout upgrades on running hosts (hashilab-upgrade-agents.sh maps each to its agent). */
export const ROLLED_OUT_PACKAGES = { consul: "consul", nomad: "nomad", nomadDriverPodman: "nomad-driver-podman" } as const;

/** How long a drain may take before Nomad stops what is left on the node. */
export const DEFAULT_DRAIN_DEADLINE_MINUTES = 15;

export interface AgentRolloutProps {
  /** The hosts, in rollout order (rolloutOrder). */
  readonly hosts: readonly RolloutHost[];
  /** The pinned versions; the podman driver's only on hosts that run the Nomad client. */
  readonly versions: AgentVersions;
  /** `nomad node drain -deadline`: after it, allocations still on the node are stopped. */
  readonly drainDeadlineMinutes: number;
  /** Runs after these (the hosts' deliveries). */
  readonly after: readonly TerraformResource[];
}

const UPLOAD_DIR = HOST_PATHS.rolloutUploadDir;
/** Installed by every delivery, which runs before the rollout: the current script on every host. */
const ROLLOUT = `${HOST_PATHS.rolloutScriptsDir}/${DELIVERED_SCRIPTS.rollout}`;
/** The versions one step installs: "<package> <version>" lines (hashilab-upgrade-agents.sh). */
const VERSIONS = `${UPLOAD_DIR}/agent-versions`;

/** A step run by root: hashilab-rollout.sh with `args`, on the resource's host or on `on`. */
function step(args: readonly string[], on?: SshHost) {
  return { type: "remote-exec" as const, inline: [remoteCommand("bash", ROLLOUT, ...args)], ...(on ? { connection: sshConnection(on) } : {}) };
}

/** The upgrade on the host itself: the versions file uploaded, then the step; the upload is removed however it ends. */
function upgradeStep(agent: "consul" | "nomad", versions: string) {
  return [
    { type: "remote-exec" as const, inline: [remoteCommand("install", "-d", "-m", "0700", UPLOAD_DIR)] },
    { type: "file" as const, content: escapeTerraformTemplate(versions), destination: VERSIONS },
    // remote-exec runs `inline` as one script without `set -e` and takes the last command's status.
    { type: "remote-exec" as const, inline: [remoteCommand("trap", `rm -rf ${UPLOAD_DIR}`, "EXIT"), remoteCommand("bash", ROLLOUT, "upgrade", agent, VERSIONS)] },
  ];
}

/** The "<package> <version>" lines of one agent's packages on one host. */
function versionsFile(lines: ReadonlyArray<readonly [string, string | undefined]>): string {
  return lines.flatMap(([name, version]) => (version ? [`${name} ${version}\n`] : [])).join("");
}

/**
 * Brings running hosts to the pinned agent versions, after the deliveries: Consul on every host
 * (ServerConsul-1, ServerConsul-2, ..., then the clients), then Nomad the same way, one host at
 * a time. Each step is triggered by its own versions only, so an unchanged pin does nothing and a
 * new host (installed at the pins) passes at once. On a host, hashilab-rollout.sh upgrade waits for
 * a healthy cluster, hands Raft leadership away when this server leads (to the server that comes
 * last), installs, restarts and waits for the health gate; a host that fails stops the rollout
 * with its journal, and the next apply resumes at that host. A host that runs the Nomad client is
 * drained first and made eligible again afterwards, from the first server (client hosts hold no
 * write token).
 */
export class AgentRollout extends Construct {
  /** The Consul upgrades then the Nomad upgrades, in the order they run. */
  readonly steps: readonly TerraformData[];

  constructor(scope: Construct, id: string, props: AgentRolloutProps) {
    super(scope, id);
    const minutes = props.drainDeadlineMinutes;
    const problems = Number.isInteger(minutes) && minutes >= 1 && minutes <= 1440
      ? []
      : [`drainDeadlineMinutes ${minutes} must be a whole number of minutes from 1 to 1440 (nomad node drain -deadline: after it, what is left on the node is stopped)`];
    throwIfProblems(this, "invalid rollout", problems);
    const runner = props.hosts.find((h) => h.spec.isServer)!;
    const upgrade = (host: RolloutHost, agent: "consul" | "nomad", versions: string, triggers: Record<string, string>, around: { before: ReturnType<typeof step>[]; after: ReturnType<typeof step>[] }) =>
      new TerraformData(this, hostConstructId(host.spec, agent === "consul" ? "Consul" : "Nomad"), {
        triggersReplace: triggers,
        connection: sshConnection(host.sshHost),
        provisioners: [...around.before, ...upgradeStep(agent, versions), ...around.after],
      });
    const consul = props.hosts.map((host) =>
      upgrade(host, "consul", versionsFile([[ROLLED_OUT_PACKAGES.consul, props.versions.consul]]), { consul: props.versions.consul }, { before: [], after: [] }),
    );
    const nomad = props.hosts.map((host) => {
      const podman = host.spec.isClient ? props.versions.nomadDriverPodman : undefined;
      const name = host.spec.name;
      const drain = host.spec.isClient
        ? {
            before: [step(["drain", name, props.versions.nomad, String(minutes)], runner.sshHost)],
            after: [step(["eligible", name], runner.sshHost)],
          }
        : { before: [], after: [] };
      return upgrade(
        host,
        "nomad",
        versionsFile([
          [ROLLED_OUT_PACKAGES.nomad, props.versions.nomad],
          [ROLLED_OUT_PACKAGES.nomadDriverPodman, podman],
        ]),
        { nomad: props.versions.nomad, ...(podman ? { nomad_driver_podman: podman } : {}) },
        drain,
      );
    });
    this.steps = [...consul, ...nomad];
    props.after.forEach((resource) => addDependsOn(this.steps[0], resource));
    oneAtATime(this.steps);
  }
}
