import { STANDARD_NAMESPACES } from "./namespaces";
import { EnvironmentConfig } from "./types";

/**
 * Everything but the VMs, against agents on this machine:
 *   nomad agent -dev -acl-enabled
 *   consul agent -dev
 * A dev agent is one combined server+client with docker, exec and raw_exec.
 */
export const dev: EnvironmentConfig = {
  name: "dev",
  tier: "dev",
  region: "global",
  datacenter: "dc1",
  domain: "lab.example.com",
  namespaces: STANDARD_NAMESPACES,
  anonymousAccess: "deny",
  cluster: {
    kind: "local",
    nomadAddress: "http://127.0.0.1:4646",
    consulAddress: "http://127.0.0.1:8500",
  },
  clients: {
    count: 1,
    drivers: ["docker", "exec", "raw_exec"],
    hostNetworks: [],
  },
  vipMode: "none",
  state: { kind: "local" },
};
