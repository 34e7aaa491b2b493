import { App, TerraformStack } from "cdktf";
import { HetznerCluster, HetznerClusterProps } from "../../constructs/hetzner-cluster";
import { EnvironmentConfig, HetznerClusterConfig, lab } from "../../environments";
import { HcloudProvider, RandomProvider, TlsProvider } from "../../constructs/providers";
import { StackJson, synthApp } from "./synth";

function hetznerClusterOf(env: EnvironmentConfig): HetznerClusterConfig {
  if (env.cluster.kind !== "hetzner") throw new Error(`${env.name} is not a Hetzner environment`);
  return env.cluster;
}
const labCluster = hetznerClusterOf(lab);

/** Props of a valid three-server cluster like the lab's; tests override what they examine. */
export const VALID_CLUSTER_PROPS: HetznerClusterProps = {
  name: "test",
  tier: "lab",
  region: lab.region,
  datacenter: lab.datacenter,
  operatorCidrs: labCluster.operatorCidrs,
  sshKeys: labCluster.sshKeys,
  nomadVersion: labCluster.nomadVersion,
  consulVersion: labCluster.consulVersion,
  drivers: labCluster.drivers,
};

/** A HetznerCluster with id "Cluster" in a stack "test" of `app` (not synthesized). */
export function buildCluster(
  overrides: Partial<HetznerClusterProps> = {},
  app: App = new App(),
): { stack: TerraformStack; cluster: HetznerCluster } {
  const stack = new TerraformStack(app, "test");
  new HcloudProvider(stack, "hcloud", {});
  new TlsProvider(stack, "tls", {});
  new RandomProvider(stack, "random", {});
  const cluster = new HetznerCluster(stack, "Cluster", { ...VALID_CLUSTER_PROPS, ...overrides });
  return { stack, cluster };
}

/** The warnings cdktf prints for `cluster` at synth. */
export function warningsOf(cluster: HetznerCluster): string[] {
  return cluster.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
}

/** The synthesized "test" stack of buildCluster(overrides). */
export function synthCluster(overrides: Partial<HetznerClusterProps> = {}): StackJson {
  return synthApp((app) => buildCluster(overrides, app)).test;
}
