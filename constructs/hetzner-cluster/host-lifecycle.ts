import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { AgentVersions } from "./agent-versions";
import { rotateCaHostByHost } from "./ca-rotation";
import { ClusterPki } from "./cluster-pki";
import { GossipKeys, rotateGossipKeys } from "./gossip-rotation";
import { ConfiguredHost } from "./host-configuration";
import { ClusterMembership } from "./membership";
import { AgentRollout, DEFAULT_DRAIN_DEADLINE_MINUTES, HostAccess } from "./rollout";
import { SecretsDelivery } from "./secrets-delivery";
import { SshHost } from "./ssh-host-key";

/** A host as the day-two steps see it. */
export interface LifecycleHost {
  readonly spec: ConfiguredHost;
  /** Where Terraform reaches the host and the host key it pins. */
  readonly sshHost: SshHost;
  readonly delivery: SecretsDelivery;
  /** The machine's identity, as its delivery's: a new machine gets the CA rotation's steps anew. */
  readonly instanceId: string;
  /** What must exist before Terraform can connect to the host (never another host's delivery). */
  readonly connectAfter: readonly ITerraformDependable[];
}

export interface HostLifecycleProps {
  /** Every host, in rollout order (rolloutOrder: servers first), each after its delivery is built. */
  readonly hosts: readonly LifecycleHost[];
  readonly pki: ClusterPki;
  readonly gossipKeys: GossipKeys;
  /** The pinned agent versions the upgrades bring the hosts to. */
  readonly versions: AgentVersions;
  /** @default DEFAULT_DRAIN_DEADLINE_MINUTES */
  readonly drainDeadlineMinutes?: number;
  /** The environment field that lists or counts the servers, named in the quorum guard's refusal. */
  readonly serversField: string;
}

/**
 * What HetznerCluster and SshCluster add after their hosts' deliveries, one source for both:
 * removal (ClusterMembership), the CA and gossip rotations, and the agent upgrades, which wait
 * for the last delivery and for the keyring step (upgrades restart agents).
 * @returns the upgrades and each host's access for the acl stack's token deliveries
 */
export function addHostLifecycle(scope: Construct, props: HostLifecycleProps): { rollout: AgentRollout; hostAccess: HostAccess[] } {
  const { hosts } = props;
  new ClusterMembership(scope, "Membership", { hosts, serversField: props.serversField });
  rotateCaHostByHost(
    scope,
    props.pki,
    hosts.map((h) => ({ host: h.spec, sshHost: h.sshHost, instanceId: h.instanceId, after: h.connectAfter, delivery: h.delivery })),
  );
  const gossipRotation = rotateGossipKeys(scope, props.gossipKeys, { server: hosts[0].sshHost, deliveries: hosts.map((h) => h.delivery.resource) });
  const rollout = new AgentRollout(scope, "Rollout", {
    hosts,
    versions: props.versions,
    drainDeadlineMinutes: props.drainDeadlineMinutes ?? DEFAULT_DRAIN_DEADLINE_MINUTES,
    after: [hosts[hosts.length - 1].delivery.resource, ...(gossipRotation ? [gossipRotation] : [])],
  });
  return { rollout, hostAccess: hosts.map((h) => ({ name: h.spec.name, isServer: h.spec.isServer, sshHost: h.sshHost })) };
}
