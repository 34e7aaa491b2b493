import type { ClusterEndpoints } from "../environments";

export type { ClusterEndpoints };

/** The management tokens the acl stack bootstrapped; references into its state, never literals. */
export interface ClusterCredentials {
  readonly nomadToken: string;
  readonly consulToken: string;
}
