import { BoundedCache } from "./bounded-cache";

/** Each pattern's expression, compiled once: every job is matched against the same few (datacenters, reserved names). */
const COMPILED = new BoundedCache<string, RegExp>(4096);

/**
 * Whether `name` matches `pattern`, where "*" matches any run of characters and nothing else
 * is special: how Nomad matches ACL namespace rules (acl/acl.go, glob.Glob) and how hashilab
 * writes its reserved-name patterns.
 */
export function globMatches(pattern: string, name: string): boolean {
  const compiled = COMPILED.get(pattern, () => {
    const source = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, "\\$&")).join(".*");
    return new RegExp(`^${source}$`);
  });
  return compiled.test(name);
}
