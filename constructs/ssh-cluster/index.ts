export { SshCluster } from "./ssh-cluster";
export type { SshClusterHost, SshClusterMember, SshClusterProps, SshHostFirewall, SshHostRole } from "./ssh-cluster";
export { HostInstall } from "./host-install";
export type { HostInstallProps, InstalledFile } from "./host-install";
