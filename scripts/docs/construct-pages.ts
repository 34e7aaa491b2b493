/**
 * The construct reference in docs/constructs/: each page's props tables are generated from the
 * TSDoc of the props interfaces the package root exports, and its example blocks are the files
 * of examples/, so neither can drift from the code. Everything else on a page is written by hand.
 *
 * On a page, a props table sits between `<!-- props: NomadServiceProps -->` and `<!-- /props -->`;
 * an example is a ```ts block whose first line is `// examples/<file>.ts`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

/** Where the pages live, relative to the repository. */
export const PAGES_DIR = "docs/constructs";

/** A construct class the package root exports, with the props interface its constructor takes. */
export interface ExportedConstruct {
  readonly name: string;
  /** The name of the constructor's props parameter type, if it is a named type. */
  readonly props?: string;
}

/** One row of a props table, as the interface's declaration documents it. */
export interface PropRow {
  readonly name: string;
  readonly type: string;
  readonly optional: boolean;
  /** The `@default` tag's text, if any. */
  readonly default?: string;
  readonly description: string;
}

/** What the library exports, read once with the TypeScript compiler. */
export interface Library {
  readonly constructs: readonly ExportedConstruct[];
  /** The rows of an exported interface, or undefined when the package root exports no such interface. */
  props(interfaceName: string): PropRow[] | undefined;
}

/** Reads the package root (constructs/index.ts) of the repository at `root`. */
export function readLibrary(root: string): Library {
  const entry = join(root, "constructs", "index.ts");
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    resolveJsonModule: true,
    noEmit: true,
    types: ["node"],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry}: not a module`);
  const exported = new Map<string, ts.Symbol>();
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    exported.set(symbol.name, symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  }

  const constructs: ExportedConstruct[] = [];
  for (const [name, symbol] of exported) {
    const declaration = symbol.declarations?.find(ts.isClassDeclaration);
    if (!declaration || !extendsConstruct(checker, checker.getDeclaredTypeOfSymbol(symbol))) continue;
    const constructor = declaration.members.find(ts.isConstructorDeclaration);
    const propsType = constructor?.parameters[2]?.type;
    const props = propsType && ts.isTypeReferenceNode(propsType) ? propsType.typeName.getText() : undefined;
    constructs.push({ name, props });
  }
  constructs.sort((a, b) => a.name.localeCompare(b.name));

  return {
    constructs,
    props(interfaceName) {
      const symbol = exported.get(interfaceName);
      if (!symbol || !(symbol.flags & ts.SymbolFlags.Interface)) return undefined;
      return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol)).map((prop) => propRow(checker, prop));
    },
  };
}

function extendsConstruct(checker: ts.TypeChecker, type: ts.Type): boolean {
  return checker.getBaseTypes(type as ts.InterfaceType).some((base) => base.symbol?.name === "Construct" || extendsConstruct(checker, base));
}

function propRow(checker: ts.TypeChecker, prop: ts.Symbol): PropRow {
  const declaration = prop.declarations?.find(ts.isPropertySignature);
  // The type as its author wrote it (names, not expansions), else as the checker prints it.
  const type = declaration?.type ? declaration.type.getText() : checker.typeToString(checker.getTypeOfSymbol(prop));
  const tag = prop.getJsDocTags(checker).find((t) => t.name === "default");
  return {
    name: prop.name,
    type: collapse(type),
    optional: (prop.flags & ts.SymbolFlags.Optional) !== 0,
    default: tag && collapse(ts.displayPartsToString(tag.text)),
    description: collapse(ts.displayPartsToString(prop.getDocumentationComment(checker))),
  };
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** The props table of an interface's rows, as markdown. */
export function propsTable(rows: readonly PropRow[]): string {
  const lines = ["| Prop | Type | Default | Description |", "|---|---|---|---|"];
  for (const row of rows) {
    const fallback = row.optional ? "none" : "required";
    lines.push(`| \`${row.name}\` | ${codeSpan(row.type)} | ${cell(row.optional ? (row.default ?? fallback) : "required")} | ${cell(row.description)} |`);
  }
  return lines.join("\n");
}

/** A code span that holds `text` even when it contains backticks. */
function codeSpan(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  return `${fence}${fence.length > 1 ? " " : ""}${cell(text)}${fence.length > 1 ? " " : ""}${fence}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

const PROPS_BLOCK = /(<!-- props: (\w+) -->)[\s\S]*?(<!-- \/props -->)/g;
const EXAMPLE_BLOCK = /(```ts\n\/\/ (examples\/[\w.-]+\.ts)\n)[\s\S]*?(```)/g;

/** The page with its props tables and example blocks regenerated; problems name what cannot be. */
export function renderPage(root: string, library: Library, markdown: string): { markdown: string; problems: string[] } {
  const problems: string[] = [];
  const rendered = markdown
    .replace(PROPS_BLOCK, (whole, open: string, name: string, close: string) => {
      const rows = library.props(name);
      if (!rows) {
        problems.push(`props table ${name}: the package root exports no interface ${name}`);
        return whole;
      }
      for (const row of rows.filter((r) => r.optional && r.default === undefined)) {
        problems.push(`${name}.${row.name} is optional but has no @default: say what applies when it is left out`);
      }
      return `${open}\n\n${propsTable(rows)}\n\n${close}`;
    })
    .replace(EXAMPLE_BLOCK, (whole, open: string, file: string, close: string) => {
      const path = join(root, file);
      if (!existsSync(path)) {
        problems.push(`example ${file}: no such file`);
        return whole;
      }
      return `${open}${readFileSync(path, "utf8")}${close}`;
    });
  return { markdown: rendered, problems };
}

/** The pages of docs/constructs/, relative to the repository, sorted. */
export function pageFiles(root: string): string[] {
  return readdirSync(join(root, PAGES_DIR))
    .filter((file) => file.endsWith(".md"))
    .sort()
    .map((file) => `${PAGES_DIR}/${file}`);
}

/** Each page as it is and as the generator would write it, plus what the reference lacks. */
export interface Generated {
  readonly pages: readonly { file: string; current: string; generated: string }[];
  readonly problems: readonly string[];
}

/**
 * Regenerates every page in memory, and checks that each construct the package root exports has
 * its props table on some page (a building block such as ClusterPki may share its whole's page).
 */
export function generatePages(root: string, library: Library = readLibrary(root)): Generated {
  const problems: string[] = [];
  const tables = new Set<string>();
  const pages = pageFiles(root).map((file) => {
    const current = readFileSync(join(root, file), "utf8");
    const page = renderPage(root, library, current);
    problems.push(...page.problems.map((problem) => `${file}: ${problem}`));
    for (const [, , name] of current.matchAll(PROPS_BLOCK)) tables.add(name);
    return { file, current, generated: page.markdown };
  });
  for (const construct of library.constructs) {
    if (!construct.props) problems.push(`${construct.name}: its constructor's props are not a named interface, so no page can show them`);
    else if (!tables.has(construct.props)) {
      problems.push(`${construct.name}: no page of ${PAGES_DIR} has <!-- props: ${construct.props} -->; add it to the construct's page`);
    }
  }
  return { pages, problems };
}

/** Problems of the checked-in reference: stale pages (run `npm run docs`) and what generatePages reports. */
export function staleReference(root: string, library?: Library): string[] {
  const { pages, problems } = generatePages(root, library);
  const stale = pages.filter((p) => p.current !== p.generated).map((p) => `${p.file} is stale: run \`npm run docs\``);
  return [...stale, ...problems];
}
