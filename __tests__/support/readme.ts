import { readdirSync } from "node:fs";
import { join } from "node:path";

/** A ```ts block of a markdown page that shows an example file: its first line names the file. */
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

/** A page's parts in order: example blocks and tables, so a table can be tied to the example above it. */
export type MarkdownPart = ({ kind: "example" } & ExampleBlock) | ({ kind: "table" } & MarkdownTable);

const EXAMPLE_MARKER = /^\/\/ (examples\/[\w.-]+\.ts)$/;

/** Example blocks and tables of `markdown`, in document order. */
export function markdownParts(markdown: string): MarkdownPart[] {
  const lines = markdown.split("\n");
  const parts: MarkdownPart[] = [];
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

/** A link of a markdown page to another file of the repository (web links left out). */
export interface FileLink {
  /** The target as written, without its #fragment. */
  readonly target: string;
  readonly fragment?: string;
  /** The link's 1-based line. */
  readonly line: number;
}

/** The links of `markdown` to files: `[text](target)` outside code blocks, not http(s) or mailto. */
export function fileLinks(markdown: string): FileLink[] {
  const links: FileLink[] = [];
  let inCode = false;
  markdown.split("\n").forEach((text, i) => {
    if (text.startsWith("```")) inCode = !inCode;
    if (inCode) return;
    for (const [, href] of text.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?|mailto):/.test(href)) continue;
      const [target, fragment] = href.split("#");
      links.push({ target, fragment, line: i + 1 });
    }
  });
  return links;
}

/** The GitHub anchors of a page's headings ("## Raft snapshots" → "raft-snapshots"). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inCode = false;
  for (const text of markdown.split("\n")) {
    if (text.startsWith("```")) inCode = !inCode;
    const heading = !inCode && /^#{1,6} (.+)$/.exec(text);
    if (heading) {
      anchors.add(heading[1].toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-"));
    }
  }
  return anchors;
}

/** README.md and every .md file below docs/, relative to `root`. */
export function markdownFiles(root: string): string[] {
  const below = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? below(`${dir}/${entry.name}`) : entry.name.endsWith(".md") ? [`${dir}/${entry.name}`] : [],
    );
  return ["README.md", ...below("docs").sort()];
}
