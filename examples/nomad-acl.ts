import { TerraformStack } from "cdktf";
import { developerPolicy, NomadAclPolicy, NomadAclRole, NomadAclToken } from "hashilab";

/** Developers: a policy from a builder (read, dispatch, logs; no submit-job), a role granting it, and a token for one person. */
export function developerAccess(stack: TerraformStack): NomadAclToken {
  const policy = new NomadAclPolicy(stack, "DeveloperPolicy", { policyName: "developer", rules: developerPolicy("dev") });
  const role = new NomadAclRole(stack, "DevelopersRole", { roleName: "developers", policies: [policy] });
  // Its secret is the sensitive output nomad_token_alice.
  return new NomadAclToken(stack, "Token-alice", { tokenName: "alice", outputName: "nomad_token_alice", roles: [role] });
}
