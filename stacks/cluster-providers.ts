import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { ConsulProvider, NomadProvider } from "../constructs/providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";

/**
 * The management tokens: the acl stack's (references into its state), or, for a cluster
 * someone else runs, this stack's sensitive variables nomad_token and consul_token
 * (TF_VAR_nomad_token, TF_VAR_consul_token), declared once per stack.
 */
function credentialsIn(scope: Construct, credentials: ClusterCredentials | undefined): ClusterCredentials {
  if (credentials) return credentials;
  const variable = (id: string, description: string) =>
    (scope.node.tryFindChild(id) as TerraformVariable | undefined) ?? new TerraformVariable(scope, id, { type: "string", sensitive: true, description });
  return {
    nomadToken: variable("nomad_token", "A Nomad management token of the cluster (it runs elsewhere: no ACL bootstrap here)").stringValue,
    consulToken: variable("consul_token", "A Consul management token of the cluster (it runs elsewhere: no ACL bootstrap here)").stringValue,
  };
}

/** The Nomad provider, configured from the cluster's endpoints and a management token. */
export function nomadProvider(scope: Construct, endpoints: ClusterEndpoints, credentials: ClusterCredentials | undefined): NomadProvider {
  return new NomadProvider(scope, "nomad", {
    address: endpoints.nomadAddress,
    secretId: credentialsIn(scope, credentials).nomadToken,
    caPem: endpoints.caCertPem,
  });
}

/** The Consul provider, configured like nomadProvider. */
export function consulProvider(scope: Construct, endpoints: ClusterEndpoints, credentials: ClusterCredentials | undefined): ConsulProvider {
  return new ConsulProvider(scope, "consul", {
    address: endpoints.consulAddress,
    token: credentialsIn(scope, credentials).consulToken,
    caPem: endpoints.caCertPem,
  });
}
