/**
 * `lifecycle.ignore_changes`: Terraform ignores differences in the listed attributes (or all
 * of them, with the keyword `all`) when it plans an update, so neither an update nor a
 * replacement follows from them; creation and destruction are unaffected (Terraform
 * language docs, meta-arguments/lifecycle, "ignore_changes").
 */

/** The ignore_changes entries of a resource body as attribute paths ("labels.role", "network"). */
function ignoredEntries(body: any): string[] | "all" {
  const value = body?.lifecycle?.ignore_changes;
  if (value === "all" || (Array.isArray(value) && value.includes("all"))) return "all";
  if (!Array.isArray(value)) return [];
  // `labels["role"]` and `labels.role` name the same path; `network[0]` stays indexed.
  return value.map((entry: string) => String(entry).replace(/\[\s*"([^"]*)"\s*\]/g, ".$1"));
}

/** Whether a changed attribute `path` ("network[0].ip") is ignored by the resource's `body`. */
export function isIgnored(body: any, path: string): boolean {
  const entries = ignoredEntries(body);
  if (entries === "all") return true;
  return entries.some((e) => path === e || path.startsWith(`${e}.`) || path.startsWith(`${e}[`));
}
