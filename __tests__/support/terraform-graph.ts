import { StackJson } from "./synth";

/** "type.name" of every resource of a synthesized stack. */
export function resourceAddresses(stack: StackJson): string[] {
  return Object.entries<Record<string, unknown>>(stack.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`));
}

/** What each resource waits for, as Terraform sees it: its depends_on and every resource its attributes reference. */
export function dependenciesOf(stack: StackJson): Map<string, Set<string>> {
  const addresses = new Set(resourceAddresses(stack));
  const graph = new Map<string, Set<string>>();
  for (const [type, byName] of Object.entries<Record<string, any>>(stack.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) {
      const { depends_on: dependsOn = [], ...rest } = config;
      const referenced = [...JSON.stringify(rest).matchAll(/\b([a-z0-9_]+\.[A-Za-z0-9_-]+)\./g)].map((m) => m[1]).filter((a) => addresses.has(a));
      graph.set(`${type}.${name}`, new Set([...dependsOn, ...referenced]));
    }
  }
  return graph;
}

/** A dependency cycle among the stack's resources (Terraform refuses to plan one), or undefined. */
export function dependencyCycle(stack: StackJson): string[] | undefined {
  const graph = dependenciesOf(stack);
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "visiting") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "visiting");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Whether `from` waits, directly or through others, for `to`. */
export function waitsFor(graph: Map<string, Set<string>>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const node = stack.pop() as string;
    for (const next of graph.get(node) ?? []) {
      if (next === to) return true;
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}
