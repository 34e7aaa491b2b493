/**
 * npm run docs              rewrites the props tables and examples of docs/constructs/*.md
 * npm run docs -- --check   writes nothing; exit 1 when a page is stale or a construct has no table
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generatePages, staleReference } from "./construct-pages";

function main(args: readonly string[]): number {
  const root = join(__dirname, "..", "..");
  const unknown = args.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    console.error(`docs: unknown argument ${unknown.join(" ")}; run npm run docs to rewrite the pages or npm run docs -- --check to check them.`);
    return 1;
  }
  if (args.includes("--check")) {
    const problems = staleReference(root);
    for (const problem of problems) console.error(problem);
    return problems.length === 0 ? 0 : 1;
  }
  const { pages, problems } = generatePages(root);
  for (const page of pages.filter((p) => p.current !== p.generated)) {
    writeFileSync(join(root, page.file), page.generated);
    console.log(`wrote ${page.file}`);
  }
  for (const problem of problems) console.error(problem);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
