import { TerraformStack, TerraformVariable } from "cdktf";
import { NomadService, NomadVariable } from "hashilab";

/** A database password from TF_VAR_gitea_db_password, read by the gitea job at runtime. */
export function giteaSecrets(stack: TerraformStack): NomadVariable {
  const password = new TerraformVariable(stack, "gitea_db_password", { type: "string", sensitive: true });
  const secrets = new NomadVariable(stack, "GiteaSecrets", { path: "nomad/jobs/gitea", items: { db_password: password } });
  new NomadService(stack, "Gitea", {
    image: "docker.gitea.com/gitea:1.24",
    ports: { http: { to: 3000 } },
    secrets: { GITEA__database__PASSWD: { key: "db_password" } },
  });
  return secrets;
}
