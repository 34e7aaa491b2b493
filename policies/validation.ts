/** Shared checks for policy data: allowed names, template sequences, near-miss hints. */
import { TERRAFORM_TEMPLATE_START } from "../constructs/core";

/** Problems with `value` as one of `allowed`, described for `where`. */
export function checkOneOf(where: string, what: string, value: string, allowed: readonly string[]): string[] {
  if (allowed.includes(value)) return [];
  const hint = nearest(value, allowed);
  return [
    `${where}: unknown ${what} "${value}"${hint ? ` (did you mean "${hint}"?)` : ""}; valid: ${allowed.join(", ")}`,
  ];
}

/**
 * ACL rules are literal text: a `${` or `%{` would be interpolated by Terraform before the
 * policy reaches Nomad or Consul, and neither uses templates in policies.
 */
export function checkLiteral(where: string, value: string): string[] {
  return TERRAFORM_TEMPLATE_START.test(value) ? [`${where}: "${value}" contains a template sequence ("\${" or "%{"); ACL rules are literal`] : [];
}

/** The allowed name closest to `value` when it looks like a typo of it. */
function nearest(value: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(value.length / 4)) + 1;
  for (const candidate of allowed) {
    const distance = editDistance(value, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
