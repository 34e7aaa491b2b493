import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack } from "cdktf";
import { ENVIRONMENTS } from "../environments";
import { addEnvironment } from "../stacks/environment";
import { markdownFiles } from "./support/readme";
import { synthApp } from "./support/synth";

/** The stack-to-stack arrows of docs/architecture.md's first diagram, as "from -> to". */
function documentedEdges(): string[] {
  const doc = readFileSync(join(__dirname, "..", "docs", "architecture.md"), "utf8");
  const diagram = doc.split("```mermaid")[1].split("```")[0];
  const names = new Map<string, string>();
  for (const [, id, stack] of diagram.matchAll(/(\w+)\["<b>([\w-]+)<\/b>/g)) names.set(id, stack);
  const edges: string[] = [];
  for (const [, from, to] of diagram.matchAll(/^\s*(\w+) --[^>]*--> (\w+)$/gm)) {
    if (names.has(from) && names.has(to)) edges.push(`${names.get(from)} -> ${names.get(to)}`);
  }
  return edges.sort();
}

test("the architecture diagram draws exactly the stacks' dependencies", () => {
  const edges = new Set<string>();
  const stacks = synthApp((app) => {
    for (const env of ENVIRONMENTS) {
      for (const stack of Object.values(addEnvironment(app, env)) as (TerraformStack | undefined)[]) {
        // Explicit deploy-order dependencies (addDependency)...
        for (const dependency of stack?.dependencies ?? []) edges.add(`${dependency.node.id} -> ${stack!.node.id}`);
      }
    }
  });
  // ...and cross-stack references, which cdktf synthesizes as terraform_remote_state.
  for (const [name, json] of Object.entries(stacks)) {
    for (const input of Object.keys(json.data?.terraform_remote_state ?? {})) {
      // A hosts stack also reads its own previous state (the quorum guard): no edge.
      if (!input.startsWith("cross-stack-reference-input-")) continue;
      edges.add(`${input.replace("cross-stack-reference-input-", "")} -> ${name}`);
    }
  }
  expect(edges.size).toBeGreaterThan(0);
  expect(documentedEdges()).toEqual([...edges].sort());
});

test("fails when a page other than docs/architecture.md draws the stacks' diagram (one copy, linked from elsewhere)", () => {
  const root = join(__dirname, "..");
  const copies = markdownFiles(root).filter((file) => /```mermaid\n[^`]*<b>[\w-]+-acl<\/b>/.test(readFileSync(join(root, file), "utf8")));
  expect(copies).toEqual(["docs/architecture.md"]);
});
