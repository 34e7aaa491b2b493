import { forcesNew } from "./force-new";
import { parseReference, Reference, referencesIn } from "./references";

/** One resource as the cascade sees it: its bodies (meta-arguments kept) and planned action. */
export interface PlannedResource {
  readonly type: string;
  readonly before?: any;
  readonly after?: any;
  action: "create" | "update" | "replace" | "delete" | "none";
  /** Top-level attributes whose applied (not ignored) value changes. */
  readonly changed: Set<string>;
  /** Why the resource is replaced, or updated without a change of its own. */
  readonly reasons: string[];
}

/**
 * Whether `ref` reads a value that is different after the apply: any attribute of a resource
 * to be replaced except one its configuration sets to the same literal (the rest, such as an
 * id, is known only after the new object exists), or an attribute that the update changes.
 * A whole-resource reference (replace_triggered_by) changes on any update or replacement
 * (Terraform language docs, meta-arguments/lifecycle, "replace_triggered_by").
 */
function changes(ref: Reference, target: PlannedResource | undefined): boolean {
  if (!target || target.action === "none" || target.action === "create" || target.action === "delete") return false;
  if (ref.attribute === undefined) return true;
  if (target.changed.has(ref.attribute)) return true;
  if (target.action !== "replace") return false;
  const [a, b] = [target.before?.[ref.attribute], target.after?.[ref.attribute]];
  return b === undefined || JSON.stringify(a) !== JSON.stringify(b) || JSON.stringify(b).includes("${");
}

/**
 * Propagates replacements through one stack until nothing changes: `lifecycle.
 * replace_triggered_by` replaces a resource when what it names changes, and an attribute that
 * reads a value that changes becomes a change of its own (a replacement when the attribute
 * forces one, e.g. terraform_data triggers_replace = { server = hcloud_server.web.id }).
 */
export function cascade(resources: Map<string, PlannedResource>): void {
  const addresses = new Set(resources.keys());
  for (let grew = true; grew; ) {
    grew = false;
    for (const [address, r] of resources) {
      if (r.action !== "none" && r.action !== "update") continue;
      for (const entry of r.after?.lifecycle?.replace_triggered_by ?? []) {
        const ref = parseReference(String(entry), addresses);
        if (ref && ref.address !== address && changes(ref, resources.get(ref.address))) {
          r.action = "replace";
          r.reasons.push(`replace_triggered_by ${ref.attribute ? `${ref.address}.${ref.attribute}` : ref.address}`);
          grew = true;
          break;
        }
      }
      if (r.action === "replace") continue;
      for (const [attribute, value] of Object.entries<any>(r.after ?? {})) {
        if (attribute === "lifecycle" || attribute === "depends_on" || attribute === "//" || r.changed.has(attribute)) continue;
        const ref = referencesIn(value, addresses).find((x) => x.address !== address && changes(x, resources.get(x.address)));
        if (!ref) continue;
        r.changed.add(attribute);
        const cause = `${attribute} reads ${ref.address}${ref.attribute ? `.${ref.attribute}` : ""}, which ${resources.get(ref.address)!.action === "replace" ? "is replaced" : "changes"}`;
        r.reasons.push(cause);
        if (forcesNew(r.type, attribute)) r.action = "replace";
        else if (r.action === "none") r.action = "update";
        grew = true;
      }
    }
  }
}
