import { TerraformStack } from "cdktf";
import { SshCluster } from "hashilab";

/** Three machines at home, each a server and a client, with their own input firewall. */
export function homeCluster(stack: TerraformStack): SshCluster {
  return new SshCluster(stack, "Cluster", {
    name: "home",
    subnetCidr: "192.168.1.0/24",
    hosts: [
      {
        name: "node1",
        address: "192.168.1.21",
        role: "both",
        hostKey:
          "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBME/hzvHqCv3xrgj+vjk9hxyKpJ7/gDU060JP7buRJ6Zl+Jm13WPuOsH3m10/QQVW+pfvD+/cc/z36gTE0nTbNY= root@node1",
      },
      {
        name: "node2",
        address: "192.168.1.22",
        role: "both",
        hostKey:
          "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLcg0qk/BUnxgV6TqPi/Ky1L7WVIVmqj+jiThfk/43dTwm6GOH39INCdtINcCrIhaaxKhjYl6bi0fjL6ZjGTiYE= root@node2",
      },
      {
        name: "node3",
        address: "192.168.1.23",
        role: "both",
        hostKey:
          "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCQfr7bDMDeQQUSmAGXXXp1AEPcXEKAyn+lrnfyh8KvQaElHkLYgBcISNgwktb7LhFF9qTeCW2GvsvrgVKOXAnU= root@node3",
      },
    ],
    operatorCidrs: ["192.168.1.10/32"],
    nomadVersion: "2.0.5",
    consulVersion: "1.21.5",
    drivers: ["docker", "podman", "exec"],
    hostFirewall: {},
  });
}
