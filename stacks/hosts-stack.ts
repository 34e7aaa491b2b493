import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, HetznerClusterConfig } from "../environments";
import { HcloudNetwork, HcloudProvider } from "../constructs/providers";
import { ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface HostsStackProps {
  readonly env: EnvironmentConfig;
  readonly cluster: HetznerClusterConfig;
}

/** `<env>-hosts`: the Hetzner Cloud VMs and their network. The token comes from HCLOUD_TOKEN. */
export class HostsStack extends TerraformStack {
  readonly endpoints: ClusterEndpoints;

  constructor(scope: Construct, id: string, props: HostsStackProps) {
    super(scope, id);
    useStateBackend(this, props.env);
    new HcloudProvider(this, "hcloud", {});
    const network = new HcloudNetwork(this, "network", {
      name: props.env.name,
      ipRange: props.cluster.networkCidr,
    });
    this.endpoints = {
      nomadAddress: `https://${network.id}:4646`,
      consulAddress: `https://${network.id}:8501`,
    };
  }
}
