import { TerraformStack } from "cdktf";
import { ConsulWorkloadIdentity } from "hashilab";

/** Workload identity for namespaces "default" and "lab", scoped by namespace. */
export function workloadIdentity(stack: TerraformStack): ConsulWorkloadIdentity {
  return new ConsulWorkloadIdentity(stack, "ConsulWorkloadIdentity", {
    nomadAddress: "http://127.0.0.1:4646",
    namespaces: ["default", "lab"],
  });
}
