/**
 * Whether `name` matches `pattern`, where "*" matches any run of characters and nothing else
 * is special: how Nomad matches ACL namespace rules (acl/acl.go, glob.Glob) and how hashilab
 * writes its reserved-name patterns.
 */
export function globMatches(pattern: string, name: string): boolean {
  const source = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, "\\$&")).join(".*");
  return new RegExp(`^${source}$`).test(name);
}
