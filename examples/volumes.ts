import { TerraformStack, TerraformVariable } from "cdktf";
import { HetznerCsiPlugins, NomadService } from "hashilab";

/** Hetzner Cloud Volumes for apps: the CSI driver's plugins once, then a volume per app. */
export function giteaWithVolume(stack: TerraformStack): NomadService {
  new HetznerCsiPlugins(stack, "CsiPlugins", {
    location: "nbg1",
    // read/write Hetzner Cloud token, from TF_VAR_hcloud_csi_token
    apiToken: new TerraformVariable(stack, "hcloud_csi_token", { type: "string", sensitive: true }),
  });
  return new NomadService(stack, "Gitea", {
    image: "gitea/gitea:1.24",
    ports: { http: { to: 3000 } },
    persistentVolumes: { data: { sizeGiB: 10, mountPath: "/data" } },
  });
}
