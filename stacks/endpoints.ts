/** Where the cluster's APIs answer; for Hetzner these are references into the hosts stack. */
export interface ClusterEndpoints {
  /** e.g. "https://203.0.113.10:4646" */
  readonly nomadAddress: string;
  /** e.g. "https://203.0.113.10:8501" */
  readonly consulAddress: string;
  /** PEM of the CA that signed the agents' TLS certificates; absent for plain-HTTP dev agents. */
  readonly caCertPem?: string;
}

/** The management tokens the acl stack bootstrapped; references into its state, never literals. */
export interface ClusterCredentials {
  readonly nomadToken: string;
  readonly consulToken: string;
}
