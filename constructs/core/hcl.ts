import { Token, Tokenization } from "cdktf";

/**
 * The one HCL writer (jobspecs, agent configurations, ACL policies), with one canonical
 * layout (what `nomad fmt` produces for the same body):
 * two-space indents, `=` aligned across consecutive attributes, one blank line around blocks,
 * heredocs for multi-line strings. The output is only ever a function of the body, so a
 * one-line change in a model is a one-line change in the rendered text.
 *
 * cdktf tokens inside strings and numbers are kept as tokens (never escaped or split), so
 * Terraform resolves them in the final jobspec.
 */

/** An HCL expression: a literal, a tuple, or an object (`{ key = value }`). */
export type HclExpr = string | number | boolean | readonly HclExpr[] | HclObject;
export interface HclObject {
  readonly [key: string]: HclExpr;
}

export interface HclAttribute {
  readonly name: string;
  readonly value: HclExpr;
}

export interface HclBlock {
  readonly type: string;
  readonly labels: readonly string[];
  readonly body: HclBody;
}

export type HclBody = readonly (HclAttribute | HclBlock)[];

/** A body item, or `undefined` for an absent option: shorthand bodies drop those. */
export type HclBodyItem = HclAttribute | HclBlock | undefined;

export function attr(name: string, value: HclExpr): HclAttribute {
  return { name, value };
}

/** A block of the items given, singly or in lists, in order; absent ones dropped. */
export function block(type: string, labels: readonly string[], ...items: (HclBodyItem | readonly HclBodyItem[])[]): HclBlock {
  return { type, labels, body: present(items.flat()) };
}

/** The items that are there: `cond ? attr(...) : undefined` reads better than spreading conditionals. */
export function present(items: readonly HclBodyItem[]): HclBody {
  return items.filter((item): item is HclAttribute | HclBlock => item !== undefined);
}

const INDENT = "  ";
/** Tuples of scalars stay on one line up to this width, as people write them. */
const MAX_INLINE_TUPLE = 100;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

function isBlock(item: HclAttribute | HclBlock): item is HclBlock {
  return "body" in item;
}

/** Renders a top-level body (e.g. one `job` block) as a file's text, ending in a newline. */
export function formatHcl(body: HclBody): string {
  return formatBody(body, "").join("\n") + "\n";
}

function formatBody(body: HclBody, indent: string): string[] {
  const lines: string[] = [];
  let run: { name: string; value: string[] }[] = [];
  const flushRun = () => {
    const width = Math.max(...run.map((a) => a.name.length));
    for (const a of run) {
      const [first, ...rest] = a.value;
      lines.push(`${indent}${a.name.padEnd(width)} = ${first}`, ...rest);
    }
    run = [];
  };
  body.forEach((item, i) => {
    if (isBlock(item)) {
      if (run.length) flushRun();
      if (i > 0) lines.push("");
      const labels = item.labels.map((l) => ` ${quote(l)}`).join("");
      const inner = formatBody(item.body, indent + INDENT);
      if (inner.length === 0) lines.push(`${indent}${item.type}${labels} {}`);
      else lines.push(`${indent}${item.type}${labels} {`, ...inner, `${indent}}`);
      return;
    }
    if (i > 0 && isBlock(body[i - 1])) lines.push("");
    const value = formatExpr(item.value, indent);
    run.push({ name: isIdentifier(item.name) ? item.name : quote(item.name), value });
    // A multi-line value closes the alignment group, as hclwrite does.
    if (value.length > 1) flushRun();
  });
  if (run.length) flushRun();
  return lines;
}

/**
 * An expression's lines: the first continues the `name = ` line, the rest are complete lines.
 * Heredocs only as attribute values: in a tuple the closing marker would need a line of its own
 * before the comma.
 */
function formatExpr(value: HclExpr, indent: string, heredoc = true): string[] {
  if (typeof value === "string") return heredoc && isHeredocCandidate(value) ? formatHeredoc(value) : [quote(value)];
  if (typeof value === "number") return [Tokenization.stringifyNumber(value)];
  if (typeof value === "boolean") return [String(value)];
  if (isTuple(value)) return formatTuple(value, indent);
  return formatObject(value, indent);
}

function isTuple(value: HclExpr): value is readonly HclExpr[] {
  return Array.isArray(value);
}

function formatTuple(items: readonly HclExpr[], indent: string): string[] {
  if (items.every((v) => typeof v !== "object")) {
    const inline = `[${items.map((v) => formatExpr(v, indent, false)[0]).join(", ")}]`;
    if (inline.length <= MAX_INLINE_TUPLE) return [inline];
  }
  const inner = indent + INDENT;
  const lines = ["["];
  for (const item of items) {
    const [first, ...rest] = formatExpr(item, inner, false);
    lines.push(`${inner}${first}`, ...rest);
    lines[lines.length - 1] += ",";
  }
  lines.push(`${indent}]`);
  return lines;
}

function formatObject(object: HclObject, indent: string): string[] {
  const keys = Object.keys(object);
  if (keys.length === 0) return ["{}"];
  const inner = formatBody(
    keys.map((name) => ({ name, value: object[name] })),
    indent + INDENT,
  );
  return ["{", ...inner, `${indent}}`];
}

/** Multi-line text that ends in a newline reads best (and diffs line by line) as a heredoc. */
function isHeredocCandidate(value: string): boolean {
  return value.includes("\n") && value.endsWith("\n") && !value.includes("\r");
}

function formatHeredoc(value: string): string[] {
  const lines = value.slice(0, -1).split("\n");
  let marker = "EOH";
  for (let n = 1; lines.includes(marker); n++) marker = `EOH${n}`;
  // Heredocs have no backslash escapes, only the template ones.
  return [`<<${marker}`, ...lines.map((line) => mapLiterals(line, escapeTemplate)), marker];
}

/**
 * A quoted HCL string whose value is `value`. Backslashes, quotes and control characters are
 * escaped, and so are HCL's template sequences, except `${`: Nomad's runtime interpolations
 * (`${NOMAD_TASK_DIR}`, `${attr.unique.hostname}`) are meant for Nomad and pass through its
 * parser unchanged. Tokens are kept whole.
 */
function quote(value: string): string {
  return `"${mapLiterals(value, (literal) => escapeTemplate(escapeQuoted(literal)))}"`;
}

/** `%{` would start an HCL directive and `$${` is HCL's escape for `${`: both are doubled. */
function escapeTemplate(literal: string): string {
  return literal.replace(/%\{/g, "%%{").replace(/\$\$\{/g, () => "$$${");
}

function escapeQuoted(literal: string): string {
  return literal
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")
    // HCL has no \b or \f escapes; other control characters are written as \uNNNN.
    .replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A string's parts: literal text, or a cdktf token's encoded string (kept whole). */
export interface StringPiece {
  readonly text: string;
  readonly isToken: boolean;
}

export function stringPieces(value: string): StringPiece[] {
  if (!Token.isUnresolved(value)) return [{ text: value, isToken: false }];
  const fragments = Tokenization.reverseString(value);
  const texts: string[] = [String(fragments.firstValue)];
  fragments.join({
    join: (left: unknown, right: unknown) => {
      texts.push(String(right));
      return left;
    },
  });
  return texts.map((text) => ({ text, isToken: Token.isUnresolved(text) }));
}

/** Applies `escape` to the literal parts of a string and keeps cdktf tokens unchanged. */
function mapLiterals(value: string, escape: (literal: string) => string): string {
  return stringPieces(value)
    .map((piece) => (piece.isToken ? piece.text : escape(piece.text)))
    .join("");
}
