import { Construct } from "constructs";
import { EnvironmentConfig, existingClusterProblems, existingEndpoints, localEndpoints } from "../environments";
import { throwIfProblems } from "../constructs/core";
import { declareCluster } from "../constructs/unique-names";
import { rejectPlaintextSecrets } from "../constructs/secrets";
import { AclStack } from "./acl-stack";
import { HostsStack } from "./hosts-stack";
import { PlatformStack } from "./platform-stack";
import { WorkloadsStack } from "./workloads-stack";

/** The stacks of one environment, in deploy order. */
export interface EnvironmentStacks {
  readonly hosts?: HostsStack;
  /** Absent for a cluster someone else runs (kind "existing"): its ACLs are bootstrapped already. */
  readonly acl?: AclStack;
  readonly platform: PlatformStack;
  readonly workloads: WorkloadsStack;
}

/**
 * Adds `<env>-hosts` (Hetzner or LAN hosts over SSH), `<env>-acl` (not for a cluster someone
 * else runs), `<env>-platform` and `<env>-workloads` to the app, wired by cdktf cross-stack
 * references. Stack ids are a public contract: renaming one moves its state.
 */
export function addEnvironment(scope: Construct, env: EnvironmentConfig): EnvironmentStacks {
  const cluster = env.cluster;
  // The environment's own data is wrong (environments/<name>.ts), not a construct's.
  if (cluster.kind === "existing") throwIfProblems(undefined, `invalid environment "${env.name}"`, existingClusterProblems(cluster));
  const hosts = cluster.kind === "hetzner" || cluster.kind === "ssh" ? new HostsStack(scope, `${env.name}-hosts`, { env, cluster }) : undefined;
  const endpoints = cluster.kind === "local" ? localEndpoints(cluster) : cluster.kind === "existing" ? existingEndpoints(cluster) : hosts!.endpoints;
  const acl = cluster.kind === "existing" ? undefined : new AclStack(scope, `${env.name}-acl`, { env, endpoints, hosts: hosts?.cluster });
  if (hosts) acl?.addDependency(hosts);
  const platform = new PlatformStack(scope, `${env.name}-platform`, {
    env,
    endpoints: acl?.endpoints ?? endpoints,
    credentials: acl?.credentials,
  });
  if (acl) platform.addDependency(acl);
  const workloads = new WorkloadsStack(scope, `${env.name}-workloads`, {
    env,
    endpoints: acl?.endpoints ?? endpoints,
    credentials: acl?.credentials,
    cluster: hosts?.cluster,
  });
  workloads.addDependency(platform);
  // One cluster per environment: policy, role and job names are unique across its stacks, not across environments.
  for (const stack of [hosts, acl, platform, workloads]) if (stack) declareCluster(stack, { name: env.name });
  // Synth fails on a secret written in plain text anywhere in the environment's stacks.
  for (const stack of [hosts, acl, platform, workloads]) if (stack) rejectPlaintextSecrets(stack);
  return { hosts, acl, platform, workloads };
}
