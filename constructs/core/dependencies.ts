import { TerraformResource } from "cdktf";

/** Makes Terraform create `dependency` before `resource` (and destroy it after). */
export function addDependsOn(resource: TerraformResource, dependency: TerraformResource): void {
  // depends_on takes a bare address; `fqn` would render as "${...}", which Terraform rejects there.
  const address = `${dependency.terraformResourceType}.${dependency.friendlyUniqueId}`;
  resource.dependsOn = [...(resource.dependsOn ?? []), address];
}
