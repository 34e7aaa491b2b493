import { attr, block, formatHcl, throwIfProblems } from "../constructs/core";
import { checkLiteral, checkOneOf } from "./validation";

export const CONSUL_POLICY_LEVELS = ["read", "write", "deny"] as const;
export type ConsulPolicyLevel = (typeof CONSUL_POLICY_LEVELS)[number];
/** Key rules also accept `list` (list keys without reading values). */
export const CONSUL_KEY_POLICY_LEVELS = ["read", "write", "list", "deny"] as const;
export type ConsulKeyPolicyLevel = (typeof CONSUL_KEY_POLICY_LEVELS)[number];

/**
 * A Consul ACL policy as data: each field maps a name (exact rules) or prefix ("" for all)
 * to a level. Rules render in the order below, entries in insertion order.
 */
export interface ConsulPolicyRules {
  /** @default none */
  readonly node?: Readonly<Record<string, ConsulPolicyLevel>>;
  /** @default none */
  readonly nodePrefix?: Readonly<Record<string, ConsulPolicyLevel>>;
  /** @default none */
  readonly service?: Readonly<Record<string, ConsulPolicyLevel>>;
  /** @default none */
  readonly servicePrefix?: Readonly<Record<string, ConsulPolicyLevel>>;
  /** @default none */
  readonly key?: Readonly<Record<string, ConsulKeyPolicyLevel>>;
  /** @default none */
  readonly keyPrefix?: Readonly<Record<string, ConsulKeyPolicyLevel>>;
}

const BLOCKS = [
  ["node", "node", CONSUL_POLICY_LEVELS],
  ["nodePrefix", "node_prefix", CONSUL_POLICY_LEVELS],
  ["service", "service", CONSUL_POLICY_LEVELS],
  ["servicePrefix", "service_prefix", CONSUL_POLICY_LEVELS],
  ["key", "key", CONSUL_KEY_POLICY_LEVELS],
  ["keyPrefix", "key_prefix", CONSUL_KEY_POLICY_LEVELS],
] as const;

/** What is wrong with `rules` (empty when Consul would accept them). */
export function consulPolicyProblems(rules: ConsulPolicyRules): string[] {
  const problems: string[] = [];
  let count = 0;
  for (const [field, type, levels] of BLOCKS) {
    for (const [name, level] of Object.entries(rules[field] ?? {})) {
      count++;
      const where = `${type} "${name}"`;
      problems.push(...checkLiteral(where, name), ...checkOneOf(where, "policy", level, levels));
    }
  }
  if (count === 0) problems.push("the policy has no rules");
  return problems;
}

/** Canonical HCL for `rules`; throws if they are invalid. */
export function renderConsulPolicy(rules: ConsulPolicyRules): string {
  const problems = consulPolicyProblems(rules);
  throwIfProblems(undefined, "invalid Consul ACL policy", problems);
  const blocks = BLOCKS.flatMap(([field, type]) =>
    Object.entries(rules[field] ?? {}).map(([name, level]) => block(type, [name], [attr("policy", level)])),
  );
  return formatHcl(blocks);
}

/** `base` plus `extra`'s rules; where both name the same node, service or key, `extra`'s level wins. */
export function mergeConsulPolicies(base: ConsulPolicyRules, extra: ConsulPolicyRules): ConsulPolicyRules {
  return Object.fromEntries(BLOCKS.map(([field]) => [field, { ...base[field], ...extra[field] }]).filter(([, rules]) => Object.keys(rules).length > 0));
}
