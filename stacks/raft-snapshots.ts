import { TerraformStack, TerraformVariable } from "cdktf";
import { EnvironmentConfig, managementOnlyNamespaces } from "../environments";
import { CONSUL_PORTS, HOST_PATHS } from "../constructs/hetzner-cluster";
import { RAFT_SNAPSHOTS_NAMESPACE, RaftSnapshots } from "../constructs/raft-snapshots";
import { consulProvider } from "./cluster-providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";

/**
 * The environment's Raft snapshot job (none without `env.snapshots`), encrypting to
 * `snapshots.ageRecipient`. The bucket's keys are
 * the sensitive variables `snapshots_s3_access_key_id` / `snapshots_s3_secret_access_key`
 * (TF_VAR_...). Adds the Consul provider (unless the stack has one), which creates the job's
 * Consul token. The job's namespace must be declared `managementOnly`, so that the operator,
 * developer and anonymous policies deny it.
 */
export function addRaftSnapshots(
  stack: TerraformStack,
  env: EnvironmentConfig,
  endpoints: ClusterEndpoints,
  credentials: ClusterCredentials,
): RaftSnapshots | undefined {
  const snapshots = env.snapshots;
  if (!snapshots) return undefined;
  const namespace = snapshots.namespace ?? RAFT_SNAPSHOTS_NAMESPACE;
  if (!managementOnlyNamespaces(env).includes(namespace)) {
    throw new Error(
      `${stack.node.path}: snapshots.namespace "${namespace}" is not declared managementOnly in environment "${env.name}", ` +
        `so the operator policy (write and all variables in every other namespace) could read the snapshot job's management tokens; ` +
        `declare it with managementOnly: true or use "${RAFT_SNAPSHOTS_NAMESPACE}"`,
    );
  }
  if (!stack.node.tryFindChild("consul")) consulProvider(stack, endpoints, credentials);
  const key = (id: string, description: string) =>
    new TerraformVariable(stack, id, { type: "string", sensitive: true, description }).stringValue;
  // On Hetzner hosts the agents serve HTTPS only; their certificates carry 127.0.0.1.
  const local =
    env.cluster.kind === "hetzner"
      ? { nomadAddress: "https://127.0.0.1:4646", consulAddress: `https://127.0.0.1:${CONSUL_PORTS.https}`, caCertFile: HOST_PATHS.caCert }
      : { nomadAddress: env.cluster.nomadAddress, consulAddress: env.cluster.consulAddress };
  return new RaftSnapshots(stack, "RaftSnapshots", {
    ...snapshots,
    namespace,
    ...local,
    prefix: `${env.name}/`,
    s3AccessKeyId: key("snapshots_s3_access_key_id", "Access key id of the Raft snapshot bucket"),
    s3SecretAccessKey: key("snapshots_s3_secret_access_key", "Secret key of the Raft snapshot bucket"),
  });
}
