import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import { EnvironmentConfig } from "../environments";

/**
 * Terraform runs each stack in cdktf.out/stacks/<stack>/, so a relative local path three
 * levels up lands in the project root. An explicit path also keeps synth deterministic:
 * cdktf's default local path embeds the absolute working directory.
 */
const PROJECT_ROOT_FROM_STACK_DIR = "../../..";

/** Gives the stack the environment's state backend: local files by default, or S3-compatible. */
export function useStateBackend(stack: TerraformStack, env: EnvironmentConfig): void {
  const stackName = stack.node.id;
  const state = env.state;
  if (state.kind === "s3") {
    new S3Backend(stack, {
      bucket: state.bucket,
      key: `${state.keyPrefix ?? "hashilab"}/${stackName}.tfstate`,
      region: state.region ?? "us-east-1",
      endpoints: { s3: state.endpoint },
      usePathStyle: true,
      // S3-compatible stores have none of AWS's account, region or checksum APIs.
      skipCredentialsValidation: true,
      skipRegionValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: true,
      skipS3Checksum: true,
    });
    return;
  }
  new LocalBackend(stack, {
    path: `${PROJECT_ROOT_FROM_STACK_DIR}/${state.directory ?? "state"}/${stackName}.tfstate`,
  });
}
