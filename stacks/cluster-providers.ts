import { Construct } from "constructs";
import { ConsulProvider, NomadProvider } from "../constructs/providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";

/** The Nomad provider, configured from the acl stack's endpoints and management token. */
export function nomadProvider(scope: Construct, endpoints: ClusterEndpoints, credentials: ClusterCredentials): NomadProvider {
  return new NomadProvider(scope, "nomad", {
    address: endpoints.nomadAddress,
    secretId: credentials.nomadToken,
    caPem: endpoints.caCertPem,
  });
}

/** The Consul provider, configured like nomadProvider. */
export function consulProvider(scope: Construct, endpoints: ClusterEndpoints, credentials: ClusterCredentials): ConsulProvider {
  return new ConsulProvider(scope, "consul", {
    address: endpoints.consulAddress,
    token: credentials.consulToken,
    caPem: endpoints.caCertPem,
  });
}
