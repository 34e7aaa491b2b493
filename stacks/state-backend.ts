import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import { EnvironmentConfig, stateBackend } from "../environments";

/** Gives the stack the environment's state backend. */
export function useStateBackend(stack: TerraformStack, env: EnvironmentConfig): void {
  const backend = stateBackend(env, stack.node.id);
  if ("s3" in backend) new S3Backend(stack, backend.s3);
  else new LocalBackend(stack, backend.local);
}
