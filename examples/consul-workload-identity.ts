import { TerraformStack } from "cdktf";
import { ConsulWorkloadIdentity } from "hashilab";

/** What `nomad setup consul` creates, plus a tasks role for namespace "lab". */
export function workloadIdentity(stack: TerraformStack): ConsulWorkloadIdentity {
  return new ConsulWorkloadIdentity(stack, "ConsulWorkloadIdentity", {
    nomadAddress: "http://127.0.0.1:4646",
    namespaces: ["default", "lab"],
  });
}
