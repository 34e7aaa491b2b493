/**
 * Terraform meta-arguments are not resource attributes: changing them alone changes no
 * object (lifecycle and depends_on steer the plan; provisioners and connection run only when
 * the resource is created or destroyed; provider and count/for_each are not rendered here
 * as attributes). Terraform language docs, "Meta-Arguments" and "Provisioners".
 */
export const META_ARGUMENTS: readonly string[] = ["lifecycle", "depends_on", "provider", "provisioner", "connection"];

/** The body without its meta-arguments and cdktf's metadata. */
export function withoutMetaArguments(body: any): any {
  if (body === undefined) return undefined;
  return Object.fromEntries(Object.entries(body).filter(([k]) => k !== "//" && !META_ARGUMENTS.includes(k)));
}
