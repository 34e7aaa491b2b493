import { dependenciesOf } from "../rules/references";

/**
 * How many of the `changed` resources Terraform changes together: it walks the dependency
 * graph in parallel (10 at a time by default), so resources that do not depend on one another,
 * directly or through other resources, change at once. Counted as the widest level of the
 * changed resources ordered by their (transitive) dependencies.
 */
export function atOnce(disrupted: readonly string[], stackJson: Record<string, any>): number {
  const bodies = new Map<string, any>();
  for (const [type, byName] of Object.entries<any>(stackJson.resource ?? {})) {
    for (const [name, body] of Object.entries<any>(byName)) bodies.set(`${type}.${name}`, body);
  }
  const addresses = new Set(bodies.keys());
  const ancestors = (address: string): Set<string> => {
    const seen = new Set<string>();
    const queue = [...dependenciesOf(bodies.get(address), addresses)];
    while (queue.length > 0) {
      const next = queue.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...dependenciesOf(bodies.get(next), addresses));
    }
    return seen;
  };
  const level = new Map<string, number>();
  const levelOf = (address: string): number => {
    if (!level.has(address)) {
      const before = disrupted.filter((d) => d !== address && ancestors(address).has(d));
      level.set(address, 1 + Math.max(0, ...before.map(levelOf)));
    }
    return level.get(address)!;
  };
  const widths = new Map<number, number>();
  for (const d of disrupted) widths.set(levelOf(d), (widths.get(levelOf(d)) ?? 0) + 1);
  // -parallelism defaults to 10 (Terraform CLI docs, "terraform apply").
  return Math.min(10, Math.max(0, ...widths.values()));
}
