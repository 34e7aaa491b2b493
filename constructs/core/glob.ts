/** Each pattern's expression, compiled once: every job is matched against the same few (datacenters, reserved names). */
const COMPILED = new Map<string, RegExp>();

/**
 * Whether `name` matches `pattern`, where "*" matches any run of characters and nothing else
 * is special: how Nomad matches ACL namespace rules (acl/acl.go, glob.Glob) and how hashilab
 * writes its reserved-name patterns.
 */
export function globMatches(pattern: string, name: string): boolean {
  let compiled = COMPILED.get(pattern);
  if (!compiled) {
    const source = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, "\\$&")).join(".*");
    compiled = new RegExp(`^${source}$`);
    COMPILED.set(pattern, compiled);
  }
  return compiled.test(name);
}
