/**
 * The names Nomad's ACL policy parser accepts (hashicorp/nomad acl/policy.go and
 * website/content/docs/other-specifications/acl-policy.mdx). A name outside these lists
 * is a typo: Nomad would reject the whole policy at apply time, so synth rejects it first.
 */

/**
 * Namespace capabilities of Nomad 1.10 (the version the lab pins). Note that Nomad 1.10's
 * parser rejects `host-volume-delete` although its docs list it; 1.11 accepts it.
 */
export const NAMESPACE_CAPABILITIES_1_10 = [
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
  "host-volume-create",
  "host-volume-register",
  "host-volume-read",
  "host-volume-write",
  "host-volume-delete",
  "list-scaling-policies",
  "read-scaling-policy",
  "read-job-scaling",
  "scale-job",
  "sentinel-override",
  "submit-recommendation",
] as const;

/** Fine-grained job, deployment and allocation capabilities split out of `submit-job` in Nomad 2.0. */
export const NAMESPACE_CAPABILITIES_2_0 = [
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
] as const;

/** Every namespace capability Nomad knows. */
export const NAMESPACE_CAPABILITIES: readonly NamespaceCapability[] = [
  ...NAMESPACE_CAPABILITIES_1_10,
  ...NAMESPACE_CAPABILITIES_2_0,
];

export type NamespaceCapability =
  | (typeof NAMESPACE_CAPABILITIES_1_10)[number]
  | (typeof NAMESPACE_CAPABILITIES_2_0)[number];

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
