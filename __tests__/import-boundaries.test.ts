import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * The import boundaries of docs/architecture.md ("Boundaries"), checked on every source file:
 * a feature is reached through its public entry only, so its internals can move without
 * touching anyone else, and the core stays the bottom layer.
 */

const ROOT = resolve(__dirname, "..");
const CHECKED = ["constructs", "policies", "stacks", "environments"];

/** Where a repository-relative module path (no extension) belongs. */
interface Area {
  /** "core", "feature", "module" (a single-file feature), "package-root", "policies", "stacks", "environments", "other" */
  readonly kind: string;
  /** The area's own path: a feature folder, a single-file module, or a top folder. */
  readonly path: string;
  /** The one module others may import: the folder's index, or the module itself. */
  readonly entry: string;
}

function areaOf(module: string): Area {
  const parts = module.split("/");
  if (parts[0] === "constructs") {
    if (parts.length === 2) {
      if (parts[1] === "index") return { kind: "package-root", path: module, entry: module };
      return { kind: "module", path: module, entry: module };
    }
    const path = `constructs/${parts[1]}`;
    return { kind: parts[1] === "core" ? "core" : "feature", path, entry: `${path}/index` };
  }
  if (parts[0] === "policies") return { kind: "policies", path: "policies", entry: "policies/index" };
  if (parts[0] === "stacks" || parts[0] === "environments") return { kind: parts[0], path: parts[0], entry: module };
  return { kind: "other", path: parts[0], entry: module };
}

/** Why importing `target` from `from` crosses a boundary, or undefined when it may. Both are repository-relative modules without extension. */
function boundaryProblem(from: string, target: string): string | undefined {
  const source = areaOf(from);
  const dest = areaOf(target);
  if (source.path === dest.path) return undefined;
  const library = (a: Area) => ["core", "feature", "module", "package-root", "policies"].includes(a.kind);
  if (source.kind === "core" && dest.kind !== "other") {
    return `constructs/core imports nothing from the rest of the library (imports ${target})`;
  }
  if (library(source) && (dest.kind === "stacks" || dest.kind === "environments")) {
    return `the library (constructs/, policies/) does not import ${dest.kind}/ (imports ${target})`;
  }
  if (library(source) && dest.kind === "package-root") {
    return `constructs/index.ts is the package root for consumers; import the feature's own index instead of ${target}`;
  }
  if (["core", "feature", "policies"].includes(dest.kind) && target !== dest.entry) {
    return `imports ${target}, an internal of ${dest.path}/; import its public entry "${dest.path}" and export the name from ${dest.entry}.ts if needed`;
  }
  return undefined;
}

/** The module a relative specifier names, repository-relative, without extension and with "/index" for a folder. */
function resolveModule(fromFile: string, specifier: string): string {
  const base = resolve(dirname(fromFile), specifier);
  const asFolder = existsSync(base) && statSync(base).isDirectory();
  return relative(ROOT, asFolder ? join(base, "index") : base.replace(/\.(ts|js)$/, ""));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every import crossing a boundary in the checked folders, as "file:line: problem". */
function boundaryViolations(): string[] {
  const violations: string[] = [];
  for (const file of CHECKED.flatMap((folder) => sourceFiles(join(ROOT, folder)))) {
    const text = readFileSync(file, "utf8");
    const from = relative(ROOT, file).replace(/\.ts$/, "");
    for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
      if (!imported.fileName.startsWith(".")) continue;
      const problem = boundaryProblem(from, resolveModule(file, imported.fileName));
      if (!problem) continue;
      const line = text.slice(0, imported.pos).split("\n").length;
      violations.push(`${relative(ROOT, file)}:${line}: ${problem}`);
    }
  }
  return violations;
}

/** Statements of a library index.ts other than `export ... from "..."`, as "file:line". */
function indexStatementsBeyondReExports(): string[] {
  const indexes = ["constructs", "policies"].flatMap((folder) => sourceFiles(join(ROOT, folder))).filter((file) => file.endsWith("/index.ts"));
  return indexes.flatMap((file) => {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    return source.statements
      .filter((statement) => !(ts.isExportDeclaration(statement) && statement.moduleSpecifier !== undefined))
      .map((statement) => `${relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(statement.getStart()).line + 1}: an index only re-exports; move this into a file named after it`);
  });
}

describe("import boundaries (docs/architecture.md, Boundaries)", () => {
  it("fails for an index.ts under constructs/ or policies/ that does more than re-export", () => {
    expect(indexStatementsBeyondReExports()).toEqual([]);
  });

  it("fails for no file under constructs/, policies/, stacks/ or environments/", () => {
    expect(boundaryViolations()).toEqual([]);
  });

  it("fails an import of another feature's internals, naming its public entry", () => {
    expect(boundaryProblem("constructs/dns-vip/dns-vip", "constructs/hetzner-cluster/host-paths")).toMatch(
      /internal of constructs\/hetzner-cluster\/; import its public entry "constructs\/hetzner-cluster"/,
    );
    expect(boundaryProblem("stacks/hosts-stack", "constructs/hetzner-cluster/consul-config")).toBeDefined();
    expect(boundaryProblem("stacks/platform-stack", "policies/builtin")).toBeDefined();
    expect(boundaryProblem("stacks/hosts-stack", "constructs/core/ipv4")).toBeDefined();
  });

  it("fails a core module importing a feature, a top-level module or policies", () => {
    expect(boundaryProblem("constructs/core/hcl", "constructs/nomad-job/index")).toMatch(/core imports nothing/);
    expect(boundaryProblem("constructs/core/hcl", "constructs/providers")).toBeDefined();
    expect(boundaryProblem("constructs/core/hcl", "policies/index")).toBeDefined();
  });

  it("fails the library importing stacks, environments or the package root", () => {
    expect(boundaryProblem("constructs/ingress/ingress", "environments/types")).toMatch(/does not import environments/);
    expect(boundaryProblem("policies/builtin", "stacks/platform-stack")).toBeDefined();
    expect(boundaryProblem("constructs/nomad-service", "constructs/index")).toMatch(/package root/);
  });

  it("lets files import their own folder, public entries, single-file modules and the core index", () => {
    expect(boundaryProblem("constructs/dns-vip/dns-vip", "constructs/dns-vip/keepalived")).toBeUndefined();
    expect(boundaryProblem("constructs/dns-vip/dns-vip", "constructs/hetzner-cluster/index")).toBeUndefined();
    expect(boundaryProblem("constructs/dns-vip/dns-vip", "constructs/core/index")).toBeUndefined();
    expect(boundaryProblem("constructs/core/hcl", "constructs/core/naming")).toBeUndefined();
    expect(boundaryProblem("constructs/nomad-service", "constructs/providers")).toBeUndefined();
    expect(boundaryProblem("stacks/hosts-stack", "constructs/index")).toBeUndefined();
    expect(boundaryProblem("stacks/hosts-stack", "environments/types")).toBeUndefined();
    expect(boundaryProblem("policies/builtin", "policies/nomad-policy")).toBeUndefined();
    expect(boundaryProblem("policies/nomad-policy", "constructs/core/index")).toBeUndefined();
  });
});
