import { App, TerraformStack } from "cdktf";
import { HetznerCluster, HetznerClusterProps } from "../../constructs/hetzner-cluster";
import { HcloudProvider, RandomProvider, TlsProvider } from "../../constructs/providers";
import { StackJson, synthApp } from "./synth";

/** Props of a valid three-server lab cluster; tests override what they examine. */
export const VALID_CLUSTER_PROPS: HetznerClusterProps = {
  name: "test",
  tier: "lab",
  region: "global",
  datacenter: "lab01",
  operatorCidrs: ["198.51.100.7/32"],
  sshKeys: [
    {
      name: "operator",
      publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKBn0Jv4/LO496vXGweYpXFyRLuAcHNM3Nh3GvKf1/c0 operator@example",
    },
  ],
  nomadVersion: "1.10.5",
  consulVersion: "1.21.5",
  drivers: ["docker", "podman", "exec"],
};

/** A HetznerCluster with id "cluster" in a stack "test" of `app` (not synthesized). */
export function buildCluster(
  overrides: Partial<HetznerClusterProps> = {},
  app: App = new App(),
): { stack: TerraformStack; cluster: HetznerCluster } {
  const stack = new TerraformStack(app, "test");
  new HcloudProvider(stack, "hcloud", {});
  new TlsProvider(stack, "tls", {});
  new RandomProvider(stack, "random", {});
  const cluster = new HetznerCluster(stack, "cluster", { ...VALID_CLUSTER_PROPS, ...overrides });
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
