import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, environmentFacts } from "../environments";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { NomadNamespace } from "../constructs/providers";
import { consulProvider, nomadProvider } from "./cluster-providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface PlatformStackProps {
  readonly env: EnvironmentConfig;
  readonly endpoints: ClusterEndpoints;
  readonly credentials: ClusterCredentials;
}

/** `<env>-platform`: namespaces, ACL policies, roles and tokens, Consul workload identity. */
export class PlatformStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    useStateBackend(this, props.env);
    declareClusterFacts(this, environmentFacts(props.env));
    nomadProvider(this, props.endpoints, props.credentials);
    consulProvider(this, props.endpoints, props.credentials);
    for (const ns of props.env.namespaces) {
      new NomadNamespace(this, `namespace-${ns.name}`, { name: ns.name, description: ns.description });
    }
  }
}
