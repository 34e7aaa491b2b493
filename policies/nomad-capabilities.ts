/**
 * The names Nomad's ACL policy parser accepts (hashicorp/nomad acl/policy.go:
 * isNamespaceCapabilityValid and its siblings, read at every release tag). A name outside
 * these lists is a typo, and a name newer than the cluster's Nomad is rejected by its
 * parser: either way Nomad would reject the whole policy at apply time, so synth rejects
 * it first.
 */

/** Namespace capabilities every Nomad release from 1.3.0 on accepts. */
export const NAMESPACE_CAPABILITIES_1_3 = [
  "deny",
  "list-jobs",
  "parse-job",
  "read-job",
  "submit-job",
  "dispatch-job",
  "read-logs",
  "read-fs",
  "alloc-exec",
  "alloc-node-exec",
  "alloc-lifecycle",
  "csi-register-plugin",
  "csi-write-volume",
  "csi-read-volume",
  "csi-list-volume",
  "csi-mount-volume",
  "list-scaling-policies",
  "read-scaling-policy",
  "read-job-scaling",
  "scale-job",
  "sentinel-override",
  "submit-recommendation",
] as const;

/**
 * Dynamic host volumes, accepted from Nomad 1.10.0. `host-volume-delete` is documented with
 * them, but parsers before 1.11.2 reject it (hashicorp/nomad#27433); there `host-volume-write`
 * grants deleting.
 */
export const NAMESPACE_CAPABILITIES_1_10 = ["host-volume-create", "host-volume-register", "host-volume-read", "host-volume-write"] as const;

/**
 * Accepted from Nomad 1.11.2 (and in 2.0): the job, deployment and allocation capabilities
 * split out of `submit-job` (hashicorp/nomad#27287, backported to 1.11.2), which still grants
 * each of them, and `host-volume-delete` (#27434).
 */
export const NAMESPACE_CAPABILITIES_1_11_2 = [
  "register-job",
  "revert-job",
  "deregister-job",
  "purge-job",
  "evaluate-job",
  "plan-job",
  "tag-job-version",
  "stable-job",
  "fail-deployment",
  "pause-deployment",
  "promote-deployment",
  "unblock-deployment",
  "cancel-deployment",
  "set-alloc-health-deployment",
  "gc-allocation",
  "pause-allocation",
  "force-periodic-job",
  "delete-service-registration",
  "host-volume-delete",
] as const;

export type NamespaceCapability =
  | (typeof NAMESPACE_CAPABILITIES_1_3)[number]
  | (typeof NAMESPACE_CAPABILITIES_1_10)[number]
  | (typeof NAMESPACE_CAPABILITIES_1_11_2)[number];

/** Every namespace capability some Nomad release accepts. */
export const NAMESPACE_CAPABILITIES: readonly NamespaceCapability[] = [
  ...NAMESPACE_CAPABILITIES_1_3,
  ...NAMESPACE_CAPABILITIES_1_10,
  ...NAMESPACE_CAPABILITIES_1_11_2,
];

/** The first Nomad release whose parser accepts each group of namespace capabilities, oldest first. */
export const NAMESPACE_CAPABILITIES_SINCE: ReadonlyArray<{ readonly since: string; readonly capabilities: readonly NamespaceCapability[] }> = [
  { since: "1.3.0", capabilities: NAMESPACE_CAPABILITIES_1_3 },
  { since: "1.10.0", capabilities: NAMESPACE_CAPABILITIES_1_10 },
  { since: "1.11.2", capabilities: NAMESPACE_CAPABILITIES_1_11_2 },
];

/**
 * What grants a capability on releases older than the one that accepts its name: the
 * fine-grained job capabilities were all part of `submit-job`, and `host-volume-write`
 * includes deleting.
 */
export const NAMESPACE_CAPABILITY_PREDECESSORS: Readonly<Partial<Record<NamespaceCapability, NamespaceCapability>>> = {
  ...Object.fromEntries(NAMESPACE_CAPABILITIES_1_11_2.map((capability) => [capability, "submit-job"])),
  "host-volume-delete": "host-volume-write",
};

/** `policy = ...` shorthands of namespace, host_volume, node_pool, agent, node, operator and quota rules. */
export const POLICY_LEVELS = ["deny", "read", "write", "scale"] as const;
export type PolicyLevel = (typeof POLICY_LEVELS)[number];

/** The plugin rule has its own levels: `list` but no `scale`. */
export const PLUGIN_POLICY_LEVELS = ["deny", "read", "list", "write"] as const;
export type PluginPolicyLevel = (typeof PLUGIN_POLICY_LEVELS)[number];

export const VARIABLE_CAPABILITIES = ["list", "read", "write", "destroy", "deny"] as const;
export type VariableCapability = (typeof VARIABLE_CAPABILITIES)[number];

export const HOST_VOLUME_CAPABILITIES = ["deny", "mount-readonly", "mount-readwrite"] as const;
export type HostVolumeCapability = (typeof HOST_VOLUME_CAPABILITIES)[number];

export const NODE_POOL_CAPABILITIES = ["deny", "read", "write", "delete"] as const;
export type NodePoolCapability = (typeof NODE_POOL_CAPABILITIES)[number];
