import { STANDARD_NAMESPACES } from "./namespaces";
import { EnvironmentConfig } from "./types";

/**
 * Everything but the VMs, against agents on this machine (scripts/e2e/start-agents.sh):
 *   nomad agent -dev -acl-enabled
 *   consul agent -dev -hcl 'acl { enabled = true default_policy = "deny" enable_token_persistence = true }'
 * (`consul agent -dev` has no ACL flag; without the block the acl stack's bootstrap fails.)
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
  // One host: CoreDNS on its address, no VIP.
  dns: { mode: "none" },
  state: { kind: "local" },
  apps: {
    itTools: {},
  },
};
