export { SshCluster } from "./ssh-cluster";
export type { SshClusterHost, SshClusterMember, SshClusterProps, SshHostFirewall, SshHostRole } from "./ssh-cluster";
