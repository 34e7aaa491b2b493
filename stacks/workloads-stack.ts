import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, environmentFacts } from "../environments";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { nomadProvider } from "./cluster-providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface WorkloadsStackProps {
  readonly env: EnvironmentConfig;
  readonly endpoints: ClusterEndpoints;
  readonly credentials: ClusterCredentials;
}

/** `<env>-workloads`: the Nomad jobs. */
export class WorkloadsStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: WorkloadsStackProps) {
    super(scope, id);
    useStateBackend(this, props.env);
    declareClusterFacts(this, environmentFacts(props.env));
    nomadProvider(this, props.endpoints, props.credentials);
  }
}
