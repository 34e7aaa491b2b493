import { TerraformStack, TerraformVariable } from "cdktf";
import { NomadService, VolumeBackups } from "hashilab";

/** Nightly restic backups of an app's volume to Hetzner Object Storage; secrets from TF_VAR_backups_*. */
export function giteaBackups(stack: TerraformStack): VolumeBackups {
  const secret = (id: string) => new TerraformVariable(stack, id, { type: "string", sensitive: true });
  const app = new NomadService(stack, "Gitea", {
    image: "gitea/gitea:1.24",
    ports: { http: { to: 3000 } },
    persistentVolumes: { data: { sizeGiB: 10, mountPath: "/data" } },
  });
  return new VolumeBackups(stack, "GiteaBackups", {
    app,
    repository: {
      endpoint: "https://nbg1.your-objectstorage.com",
      bucket: "my-homelab-backups",
      prefix: "home/",
      s3AccessKeyId: secret("backups_s3_access_key_id"),
      s3SecretAccessKey: secret("backups_s3_secret_access_key"),
      password: secret("backups_restic_password"),
    },
  });
}
