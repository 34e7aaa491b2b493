/**
 * Attributes whose change makes Terraform destroy and re-create the resource instead of
 * updating it in place, for the resource types hashilab creates. Taken from the providers'
 * schemas (ForceNew / RequiresReplace):
 *   hetznercloud/terraform-provider-hcloud internal/<resource>/resource*.go (v1.5x+),
 *   hashicorp/terraform-provider-nomad nomad/resource_*.go (2.5.x),
 *   hashicorp/terraform-provider-random (every argument of random_* is ForceNew),
 *   hashicorp/terraform-provider-tls (every argument of tls_private_key is ForceNew),
 *   Terraform's built-in terraform_data (a change of triggers_replace replaces it: that is
 *   how a host's install and secrets delivery run again).
 * Types that are not listed are reported as in-place changes: the table is a reviewer's
 * hint, `cdktf diff` / `terraform plan` stays the authority.
 */
export const REPLACING_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  hcloud_server: ["image", "location", "datacenter", "user_data", "ssh_keys"],
  hcloud_network: ["ip_range"],
  hcloud_network_subnet: ["network_id", "type", "network_zone", "ip_range", "vswitch_id"],
  hcloud_server_network: ["server_id", "network_id", "subnet_id", "ip"],
  hcloud_ssh_key: ["public_key"],
  hcloud_primary_ip: ["type", "location", "datacenter"],
  hcloud_floating_ip: ["type", "home_location"],
  hcloud_volume: ["location"],
  nomad_namespace: ["name"],
  nomad_acl_policy: ["name"],
  nomad_variable: ["path", "namespace"],
  random_uuid: ["keepers"],
  random_id: ["byte_length", "keepers", "prefix"],
  random_password: ["length", "special", "upper", "lower", "numeric", "min_special", "min_upper", "min_lower", "min_numeric", "override_special", "keepers"],
  tls_private_key: ["algorithm", "rsa_bits", "ecdsa_curve"],
  terraform_data: ["triggers_replace"],
};

/**
 * nomad_job derives its identity from the jobspec: the provider forces a new resource when
 * the job's namespace changes, and (with the default deregister_on_id_change) when its
 * id (`job "<id>"`) changes.
 */
export function jobIdentity(jobspec: string): { id?: string; namespace: string } {
  const id = /^\s*job\s+"([^"]+)"/m.exec(jobspec)?.[1];
  // The job-level namespace is the one indented by exactly one level inside `job`.
  const namespace = /^ {2}namespace\s*=\s*"([^"]+)"/m.exec(jobspec)?.[1] ?? "default";
  return { id, namespace };
}

/** The attributes among `changed` that force replacement of a resource of `type`. */
export function replacingChanges(type: string, changed: readonly string[], before: any, after: any): string[] {
  const forcing = new Set(REPLACING_ATTRIBUTES[type] ?? []);
  const result = changed.filter((attr) => forcing.has(attr));
  if (type === "nomad_job" && typeof before?.jobspec === "string" && typeof after?.jobspec === "string") {
    const a = jobIdentity(before.jobspec);
    const b = jobIdentity(after.jobspec);
    if (a.id !== b.id || a.namespace !== b.namespace) result.push("jobspec (job id or namespace)");
  }
  return result;
}
