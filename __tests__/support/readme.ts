import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

/** A ```ts block of the README that shows an example file: its first line names the file. */
export interface ExampleBlock {
  /** The file's path relative to the repository, e.g. "examples/nomad-service.ts". */
  readonly file: string;
  /** The block without its first line: what the file must contain. */
  readonly code: string;
  /** The block's 1-based line in the markdown. */
  readonly line: number;
}

/** A markdown table: header cells, body rows (cells trimmed), and the 1-based line of its header. */
export interface MarkdownTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly line: number;
}

/** The README's parts in order: example blocks and tables, so a table can be tied to the example above it. */
export type ReadmePart = ({ kind: "example" } & ExampleBlock) | ({ kind: "table" } & MarkdownTable);

const EXAMPLE_MARKER = /^\/\/ (examples\/[\w.-]+\.ts)$/;

/** Example blocks and tables of `markdown`, in document order. */
export function readmeParts(markdown: string): ReadmePart[] {
  const lines = markdown.split("\n");
  const parts: ReadmePart[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith("```")) {
      const start = i;
      const end = lines.findIndex((line, j) => j > start && line.startsWith("```"));
      const marker = EXAMPLE_MARKER.exec(lines[start + 1] ?? "");
      if (lines[start] === "```ts" && marker) {
        parts.push({ kind: "example", file: marker[1], code: lines.slice(start + 2, end).join("\n") + "\n", line: start + 1 });
      }
      i = end;
    } else if (lines[i].startsWith("|") && /^\|[\s|:-]+\|$/.test(lines[i + 1] ?? "")) {
      const start = i;
      const rows: string[][] = [];
      for (i = start + 2; i < lines.length && lines[i].startsWith("|"); i++) rows.push(cells(lines[i]));
      parts.push({ kind: "table", header: cells(lines[start]), rows, line: start + 1 });
    }
  }
  return parts;
}

/** A table row's cells; `\|` is a pipe inside a cell. */
function cells(row: string): string[] {
  return row
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, "|"));
}

/** The text of a cell as prose: code spans' backticks dropped, whitespace collapsed. */
export function plainText(cell: string): string {
  return cell.replace(/`/g, "").replace(/\s+/g, " ").trim();
}

/** The names in a cell written as code spans, e.g. "`groupName`, `taskName`" → ["groupName", "taskName"]. */
export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

/** One property of an interface as its declaration documents it. */
export interface DocumentedProp {
  readonly name: string;
  readonly optional: boolean;
  /** The `@default` tag's text (whitespace collapsed), if any. */
  readonly default?: string;
  /** The doc comment without its tags. */
  readonly summary: string;
}

/** A props interface: where it is declared and its own (not inherited) properties. */
export interface PropsInterface {
  readonly file: string;
  readonly props: readonly DocumentedProp[];
}

/** Every interface declared in the .ts files below `dirs` (relative to `root`), by name. */
export function documentedInterfaces(root: string, dirs: readonly string[]): Map<string, PropsInterface> {
  const found = new Map<string, PropsInterface>();
  for (const file of dirs.flatMap((dir) => tsFiles(join(root, dir)))) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node)) return;
      const props = node.members.filter(ts.isPropertySignature).map((member) => documentedProp(member));
      found.set(node.name.text, { file: relative(root, file), props });
    });
  }
  return found;
}

function documentedProp(member: ts.PropertySignature): DocumentedProp {
  const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === "default");
  const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
  return {
    name: member.name.getText(),
    optional: member.questionToken !== undefined,
    default: tag === undefined ? undefined : collapse(ts.getTextOfJSDocComment(tag.comment) ?? ""),
    summary: collapse(docs.map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? "").join(" ")),
  };
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? tsFiles(join(dir, entry.name)) : [join(dir, entry.name)]))
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
    .sort();
}
