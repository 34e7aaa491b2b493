import { STANDARD_NAMESPACES } from "./namespaces";
import { EnvironmentConfig } from "./types";

/**
 * The example LAN environment: three machines at home (mini PCs, old laptops, Raspberry Pis
 * with a 64-bit OS), each a Nomad and Consul server and a Nomad client, installed over SSH.
 * The addresses and host keys are documentation values: put your hosts' static addresses and
 * their /etc/ssh/ssh_host_ecdsa_key.pub here (docs/operations.md "LAN hosts").
 */
export const home: EnvironmentConfig = {
  name: "home",
  tier: "lab",
  region: "global",
  datacenter: "home01",
  domain: "home.example.com",
  namespaces: STANDARD_NAMESPACES,
  anonymousAccess: "deny",
  cluster: {
    kind: "ssh",
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
    // The whole LAN may reach SSH and the APIs; narrow it to your workstation's address.
    operatorCidrs: ["192.168.1.0/24"],
    nomadVersion: "2.0.5",
    consulVersion: "1.21.5",
    // podman for keepalived (the DNS VIP), which needs capabilities docker does not grant.
    drivers: ["docker", "podman", "exec"],
    // The hosts filter their own input: nothing stands between them and the rest of the LAN.
    hostFirewall: {},
  },
  dns: {
    // One layer-2 LAN: keepalived moves the VIP by VRRP (unicast to the other hosts) and ARP.
    mode: "lan",
    // Inside subnetCidr, outside the router's DHCP pool and clear of the hosts.
    vip: "192.168.1.53",
    // The router's resolver, for names outside the home domain.
    upstreams: ["192.168.1.1"],
  },
  state: { kind: "local" },
  // Gitea's data is a Nomad dynamic host volume on one host: it does not survive that host
  // without backups (add a `backups` bucket like lab's; docs/storage.md).
  apps: {
    itTools: {},
    gitea: { hostname: "git.home.example.com" },
  },
  // Raft snapshots are optional here: add a `snapshots` block like lab's for an S3-compatible bucket.
};
