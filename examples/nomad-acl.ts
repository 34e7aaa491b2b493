import { TerraformStack } from "cdktf";
import { developerPolicy, NomadAclPolicy, NomadAclRole, NomadAclToken } from "hashilab";

/** Seed 002's developers: a policy from a builder, a role granting it, and a token for one person. */
export function developerAccess(stack: TerraformStack): NomadAclToken {
  const policy = new NomadAclPolicy(stack, "developer", { rules: developerPolicy("dev") });
  const role = new NomadAclRole(stack, "developers", { policies: [policy] });
  // Its secret is the sensitive output nomad_token_alice.
  return new NomadAclToken(stack, "alice", { roles: [role] });
}
