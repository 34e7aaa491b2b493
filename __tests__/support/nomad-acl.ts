/**
 * What a rendered Nomad ACL policy grants in one namespace, resolved as Nomad does
 * (acl/acl.go at 2.0.5): the rule named exactly wins, else the closest matching glob;
 * `policy` expands to capabilities (acl/policy.go expandNamespacePolicy) and `deny` clears
 * everything. `policy` is the policy as hcl2json parses it.
 */

const READ = ["list-jobs", "parse-job", "read-job", "csi-list-volume", "csi-read-volume", "read-job-scaling", "list-scaling-policies", "read-scaling-policy", "host-volume-read"];
const WRITE = [
  ...READ,
  "scale-job", "submit-job", "dispatch-job", "read-logs", "read-fs", "alloc-exec", "alloc-lifecycle",
  "csi-mount-volume", "csi-write-volume", "submit-recommendation", "host-volume-create",
];
const EXPANSIONS: Record<string, string[]> = { read: READ, write: WRITE, deny: ["deny"], scale: ["list-scaling-policies", "read-scaling-policy", "read-job-scaling", "scale-job", "read-job", "submit-recommendation"] };

export interface NamespaceGrant {
  readonly capabilities: ReadonlySet<string>;
  /** Capabilities on variables at path "*" of the namespace (e.g. nomad/jobs/<job>). */
  readonly variables: ReadonlySet<string>;
}

const NONE: NamespaceGrant = { capabilities: new Set(), variables: new Set() };

function globMatches(pattern: string, name: string): boolean {
  return new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, "\\$&")).join(".*")}$`).test(name);
}

export function namespaceGrant(policy: Record<string, any>, namespace: string): NamespaceGrant {
  const rules: Record<string, any[]> = policy.namespace ?? {};
  const names = Object.keys(rules);
  const winner =
    names.find((name) => name === namespace) ??
    names
      .filter((name) => name.includes("*") && globMatches(name, namespace))
      .sort((a, b) => b.replace(/\*/g, "").length - a.replace(/\*/g, "").length)[0];
  if (winner === undefined) return NONE;
  const rule = rules[winner][0];
  const capabilities = new Set<string>([...(EXPANSIONS[rule.policy] ?? []), ...(rule.capabilities ?? [])]);
  const variableRule = rule.variables?.[0]?.path?.["*"]?.[0];
  const variables = new Set<string>(variableRule?.capabilities ?? []);
  if (capabilities.has("deny")) return NONE;
  variables.delete("deny");
  return { capabilities, variables: variableRule?.capabilities?.includes("deny") ? new Set() : variables };
}
