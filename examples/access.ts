import { TerraformStack } from "cdktf";
import { Access } from "hashilab";

/** Alice operates the cluster, Bob develops in "dev": policies, roles and a token for each. */
export function teamAccess(stack: TerraformStack): Access {
  return new Access(stack, "Access", {
    namespaces: ["default", "dev"],
    operators: ["alice"],
    developers: ["bob"],
  });
}
