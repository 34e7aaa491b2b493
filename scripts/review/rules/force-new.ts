/**
 * Attributes whose change makes Terraform destroy and re-create the resource instead of
 * updating it in place (ForceNew / RequiresReplace in the provider's schema). Terraform's
 * schema JSON (`terraform providers schema -json`, the vendored providers/hcloud/schema.json)
 * does not carry this flag, so the table is read from the providers' sources at the versions
 * hashilab pins:
 *   hetznercloud/terraform-provider-hcloud v1.68.0 internal/<resource>/resource*.go,
 *   hashicorp/terraform-provider-nomad v2.5.2 nomad/resource_*.go,
 *   hashicorp/terraform-provider-consul v2.22.1 consul/resource_consul_acl_*.go,
 *   Terraform's built-in terraform_data (`triggers_replace`; `input` updates in place).
 * "*" means every argument: random_* and tls_* resources are immutable (each argument is
 * RequiresReplace in hashicorp/terraform-provider-random and -tls).
 * Types that are not listed are reported as in-place changes: `cdktf diff` stays the authority.
 */
export const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  hcloud_server: ["image", "location", "user_data", "ssh_keys"],
  hcloud_network: ["ip_range"],
  hcloud_network_subnet: ["network_id", "type", "network_zone", "ip_range", "vswitch_id"],
  hcloud_network_route: ["network_id", "destination", "gateway"],
  hcloud_server_network: ["server_id", "network_id", "subnet_id", "ip"],
  hcloud_ssh_key: ["public_key"],
  hcloud_primary_ip: ["type", "location"],
  hcloud_floating_ip: ["type", "home_location"],
  hcloud_floating_ip_assignment: ["floating_ip_id"],
  hcloud_firewall_attachment: ["firewall_id"],
  hcloud_volume: ["location"],
  hcloud_volume_attachment: ["volume_id", "server_id"],
  nomad_namespace: ["name"],
  nomad_acl_policy: ["name"],
  nomad_acl_token: ["global", "expiration_ttl"],
  nomad_variable: ["path", "namespace"],
  consul_acl_policy: ["namespace", "partition"],
  consul_acl_role: ["namespace", "partition"],
  consul_acl_token: ["accessor_id", "local", "expiration_time", "namespace", "partition"],
  consul_acl_binding_rule: ["auth_method", "bind_type", "namespace", "partition"],
  consul_acl_auth_method: ["name", "type", "namespace", "partition"],
  terraform_data: ["triggers_replace"],
  random_uuid: ["*"],
  random_id: ["*"],
  random_bytes: ["*"],
  random_password: ["*"],
  random_string: ["*"],
  tls_private_key: ["*"],
  tls_cert_request: ["*"],
  tls_locally_signed_cert: ["*"],
  tls_self_signed_cert: ["*"],
};

/** Whether changing `attribute` (top level) of a `type` resource replaces it. */
export function forcesNew(type: string, attribute: string): boolean {
  const forcing = FORCE_NEW[type] ?? [];
  return forcing.includes("*") || forcing.includes(attribute);
}

/**
 * nomad_job derives its identity from the jobspec: the provider forces a new resource when
 * the job's namespace changes, and (with the default deregister_on_id_change) when its id
 * (`job "<id>"`) changes (resourceJobCustomizeDiff, nomad/resource_job.go v2.5.2).
 */
export function jobIdentity(jobspec: string): { id?: string; namespace: string } {
  const id = /^\s*job\s+"([^"]+)"/m.exec(jobspec)?.[1];
  // The job-level namespace is the one indented by exactly one level inside `job`.
  const namespace = /^ {2}namespace\s*=\s*"([^"]+)"/m.exec(jobspec)?.[1] ?? "default";
  return { id, namespace };
}

/** The attributes among `changed` (top level) that force replacement of a resource of `type`. */
export function replacingChanges(type: string, changed: readonly string[], before: any, after: any): string[] {
  const result = changed.filter((attr) => forcesNew(type, attr));
  if (type === "nomad_job" && typeof before?.jobspec === "string" && typeof after?.jobspec === "string") {
    const a = jobIdentity(before.jobspec);
    const b = jobIdentity(after.jobspec);
    if (a.id !== b.id || a.namespace !== b.namespace) result.push("jobspec (job id or namespace)");
  }
  return result;
}
