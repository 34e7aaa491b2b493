import { TerraformOutput, TerraformStack } from "cdktf";
import { AclBootstrap } from "hashilab";

/** Bootstraps the ACLs of local dev agents; the management token becomes a sensitive output. */
export function devAclBootstrap(stack: TerraformStack): AclBootstrap {
  const acl = new AclBootstrap(stack, "AclBootstrap", {
    nomadAddress: "http://127.0.0.1:4646",
    consulAddress: "http://127.0.0.1:8500",
  });
  new TerraformOutput(stack, "nomad_token", { value: acl.nomadManagementToken, sensitive: true });
  return acl;
}
