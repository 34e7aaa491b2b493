import { TerraformStack, TerraformVariable } from "cdktf";
import { RaftSnapshots } from "hashilab";

/** Daily Nomad and Consul snapshots to Hetzner Object Storage; keys from TF_VAR_snapshots_s3_*. */
export function raftSnapshots(stack: TerraformStack): RaftSnapshots {
  const key = (id: string) => new TerraformVariable(stack, id, { type: "string", sensitive: true }).stringValue;
  return new RaftSnapshots(stack, "RaftSnapshots", {
    bucket: "my-homelab-snapshots",
    endpoint: "https://nbg1.your-objectstorage.com",
    s3AccessKeyId: key("snapshots_s3_access_key_id"),
    s3SecretAccessKey: key("snapshots_s3_secret_access_key"),
    // age-keygen's public key; its private half stays offline for restores
    ageRecipient: "age1g68tt6c6t69f5ddwjz9xzqqvctffjngqj7qnsc69rcd2lzqwvafstsyatd",
  });
}
