import { attr, HclAttribute } from "../core";
import { HOST_PATHS } from "./host-paths";

/** What both agents of one host, Nomad's and Consul's, are configured from. */
export interface AgentHostSettings {
  readonly datacenter: string;
  readonly nodeName: string;
  /** This host's private address: cluster traffic binds and advertises here. */
  readonly privateIp: string;
  /** Private addresses of every server (servers run both agents). */
  readonly serverIps: readonly string[];
  /** Present on servers. @default absent: the host is no server */
  readonly server?: { readonly bootstrapExpect: number };
}

/** Both agents present the host's one certificate, signed by the cluster CA (ClusterPki). */
export function hostCertificateFiles(): HclAttribute[] {
  return [attr("ca_file", HOST_PATHS.caCert), attr("cert_file", HOST_PATHS.agentCert), attr("key_file", HOST_PATHS.agentKey)];
}
