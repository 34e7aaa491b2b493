import { Construct } from "constructs";
import { buildsHosts, EnvironmentConfig, environmentRuleProblems, environmentSchemaProblems, existingEndpoints, localEndpoints } from "../environments";
import { collectProblems, throwCollected, throwIfProblems, validationProblems } from "../constructs/core";
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
 *
 * The environment is checked as data first (environments/schema.ts): the stacks assume its
 * shape. Bad input in one stack does not hide another's: every stack that does not depend on
 * a failed one is still built, and the problems of all of them are thrown together.
 */
export function addEnvironment(scope: Construct, env: EnvironmentConfig): EnvironmentStacks {
  const shapeProblems = environmentSchemaProblems(env);
  const problems = shapeProblems.length > 0 ? shapeProblems : environmentRuleProblems(env);
  throwIfProblems(scope, `environment ${JSON.stringify((env as { name?: unknown } | undefined)?.name)} (EnvironmentConfig)`, problems);
  const reports: string[] = [];
  const cluster = env.cluster;
  const hosts = buildsHosts(cluster) ? collectProblems(reports, () => new HostsStack(scope, `${env.name}-hosts`, { env, cluster })) : undefined;
  // The acl stack needs the hosts' endpoints, and the later stacks the acl stack's tokens.
  if (buildsHosts(cluster) && !hosts) throwCollected(reports);
  const endpoints = cluster.kind === "local" ? localEndpoints(cluster) : cluster.kind === "existing" ? existingEndpoints(cluster) : hosts!.endpoints;
  // A cluster someone else runs has its ACLs bootstrapped already: no acl stack.
  const acl =
    cluster.kind === "existing"
      ? undefined
      : collectProblems(reports, () => new AclStack(scope, `${env.name}-acl`, { env, endpoints, hosts: hosts?.cluster }));
  if (cluster.kind !== "existing" && !acl) throwCollected(reports);
  if (hosts) acl!.addDependency(hosts);
  const platform = collectProblems(reports, () => {
    const stack = new PlatformStack(scope, `${env.name}-platform`, { env, endpoints: acl?.endpoints ?? endpoints, credentials: acl?.credentials });
    if (acl) stack.addDependency(acl);
    return stack;
  });
  const workloads = collectProblems(reports, () => {
    const stack = new WorkloadsStack(scope, `${env.name}-workloads`, {
      env,
      endpoints: acl?.endpoints ?? endpoints,
      credentials: acl?.credentials,
      cluster: hosts?.cluster,
    });
    if (platform) stack.addDependency(platform);
    return stack;
  });
  throwCollected(reports);
  const stacks = { hosts, acl, platform: platform!, workloads: workloads! };
  // One cluster per environment: policy, role and job names are unique across its stacks, not across environments.
  for (const stack of [hosts, acl, platform, workloads]) if (stack) declareCluster(stack, { name: env.name });
  // Synth fails on a secret written in plain text anywhere in the environment's stacks.
  for (const stack of [hosts, acl, platform, workloads]) if (stack) rejectPlaintextSecrets(stack);
  return stacks;
}

/**
 * Adds every environment's stacks to the app and returns every problem found, each report once:
 * an environment with bad input does not stop the next one, and the validations of every stack
 * that was built run too (cdktf's synth would stop at the first stack with one). Synthesize
 * only when the list is empty.
 */
export function addEnvironments(scope: Construct, envs: readonly EnvironmentConfig[]): string[] {
  const reports: string[] = [];
  const built = envs.map((env) => collectProblems(reports, () => addEnvironment(scope, env)));
  for (const stacks of built) {
    for (const stack of stacks ? Object.values(stacks) : []) if (stack) reports.push(...validationProblems(stack));
  }
  return [...new Set(reports)];
}
