import { IResolvable, IResolveContext, LazyBase, Token, Tokenization } from "cdktf";

/**
 * The one HCL writer (jobspecs, agent configurations, ACL policies), with one canonical
 * layout (what `nomad fmt` produces for the same body):
 * two-space indents, `=` aligned across consecutive attributes, one blank line around blocks,
 * heredocs for multi-line strings. The output is only ever a function of the body, so a
 * one-line change in a model is a one-line change in the rendered text.
 *
 * Every string is written so that HCL reads back exactly its value, whatever it holds: quotes,
 * backslashes, newlines, `${`, `%{`, a line that looks like a heredoc marker. cdktf tokens
 * (values known only at apply time) inside strings are wrapped in Terraform's `replace()` so
 * that Terraform itself escapes their value when it writes the text (see `HclQuotedValue`);
 * tokens that are whole numbers stay as they are.
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
      const labels = item.labels.map((l) => ` ${quoteLabel(l)}`).join("");
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

/**
 * HCL ends a heredoc at the first line that is its marker with any spaces or tabs around it
 * (hclsyntax scan_tokens.rl), so a content line "\tEOH" would close an `EOH` heredoc early:
 * the marker is one that no line equals, trimmed.
 */
function formatHeredoc(value: string): string[] {
  const lines = renderString(value.slice(0, -1), "heredoc").split("\n");
  const trimmed = new Set(lines.map((line) => line.replace(/^[ \t]+|[ \t]+$/g, "")));
  let marker = "EOH";
  for (let n = 1; trimmed.has(marker); n++) marker = `EOH${n}`;
  return [`<<${marker}`, ...lines, marker];
}

/** A quoted HCL template whose value is `value` (attribute values, tuple items, object keys). */
function quote(value: string): string {
  return `"${renderString(value, "quoted")}"`;
}

/** A block label: a quoted HCL string that takes escapes but no template sequences at all. */
function quoteLabel(value: string): string {
  return `"${renderString(value, "label")}"`;
}

/** Where a string is written: each has its own escapes (HCL native syntax spec, "Template Expressions"). */
type StringContext = "quoted" | "label" | "heredoc";

/**
 * What Nomad interpolates itself and its job parser leaves as written: `${NOMAD_TASK_DIR}`,
 * `${attr.unique.hostname}`, `${meta.rack}`, a traversal of names whose root the parser does not
 * define (jobspec2 types.config.go EvalContext: UndefinedVariable returns the source text;
 * only `var` and `local` are defined). Everything else after `${`, e.g. a shell default
 * `${PORT:-8080}`, is escaped to reach Nomad as the same literal text. So is a reference
 * followed by spaces and "}", or by a token (whose value might start so): UndefinedVariable
 * rebuilds the text by scanning the source past the reference's "}" for more "}"s and spaces,
 * and would return "${attr.x}}" for "${attr.x}}", doubling the brace.
 */
const RUNTIME_REFERENCE = /\$\{(?!(?:var|local)[.}])[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*\}(?! *\})/y;

function renderString(value: string, context: StringContext): string {
  const pieces = stringPieces(value);
  return pieces
    .map((piece, i) => {
      if (piece.isToken) return hclQuotedValue(piece.text, context === "heredoc");
      const beforeToken = pieces[i + 1]?.isToken === true;
      return renderLiteral(piece.text, context, beforeToken);
    })
    .join("");
}

function renderLiteral(literal: string, context: StringContext, beforeToken: boolean): string {
  const escaped = context === "heredoc" ? literal : escapeQuoted(literal);
  // Only "$" and "%" are ever rewritten: the text between them is copied whole.
  let out = "";
  let copied = 0;
  SIGN.lastIndex = 0;
  for (let sign = SIGN.exec(escaped); sign; sign = SIGN.exec(escaped)) {
    const i = sign.index;
    const c = sign[0];
    let written = c;
    if (escaped[i + 1] === "{") {
      // `${` and `%{` start a template sequence; doubling the sign makes them literal (`$${` reads `${`).
      RUNTIME_REFERENCE.lastIndex = i;
      const reference = RUNTIME_REFERENCE.exec(escaped);
      const atEndBeforeToken = reference !== null && beforeToken && i + reference[0].length === escaped.length;
      const keep = c === "$" && context !== "label" && escaped[i - 1] !== "$" && reference !== null && !atEndBeforeToken;
      written = keep ? c : c + c;
    } else if (c === "$" && i === escaped.length - 1 && beforeToken && context === "heredoc") {
      // Before a heredoc token's `${"`, a "$" would make the escape `$${`: it is an interpolation of itself.
      written = '${"$"}';
    } else if (i === escaped.length - 1 && beforeToken && context !== "heredoc") {
      // A token's value may start with "{": this sign must not make a template sequence of it.
      written = `\\u00${c.charCodeAt(0).toString(16)}`;
    }
    out += escaped.slice(copied, i) + written;
    copied = i + 1;
  }
  return copied === 0 ? escaped : out + escaped.slice(copied);
}

const SIGN = /[$%]/g;

const QUOTED_ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeQuoted(literal: string): string {
  // One pass: HCL has no \b or \f escapes; other control characters are written as \uNNNN.
  return literal.replace(/[\\"\u0000-\u001f]/g, (c) => QUOTED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The steps that turn any string into the body of a quoted HCL string: HCL takes every other
 * character raw (only a line break ends a quoted string), and a `$` or `%` written as a
 * `\u` escape can never start a template sequence, whatever follows it.
 */
const QUOTED_STEPS: readonly (readonly [string, string])[] = [
  ["\\", "\\\\"],
  ['"', '\\"'],
  ["\n", "\\n"],
  ["\r", "\\r"],
  ["$", "\\u0024"],
  ["%", "\\u0025"],
];

/** `QUOTED_STEPS` as the arguments of Terraform's `replace()`: HCL string literals in an expression. */
const QUOTED_STEP_ARGS = QUOTED_STEPS.map((step) => step.map((text) => `"${escapeQuoted(text)}"`).join(", "));

/**
 * The expression inside the `replace()` chain HclQuotedValue writes around an apply-time value
 * (e.g. `var.token` of `replace(replace(var.token, "\\", "\\\\"), ...)`), or undefined when
 * `expression` is not such a chain: for tools that show what Nomad receives, such as the review.
 */
export function unwrapQuotedValue(expression: string): string | undefined {
  const prefix = "replace(".repeat(QUOTED_STEP_ARGS.length);
  const suffix = QUOTED_STEP_ARGS.map((args) => `, ${args})`).join("");
  const text = expression.trim();
  return text.startsWith(prefix) && text.endsWith(suffix) ? text.slice(prefix.length, text.length - suffix.length) : undefined;
}

/**
 * A value known only at apply time, written into a quoted HCL string: Terraform applies
 * `QUOTED_STEPS` to it with `replace()` when it writes the text, so any value (a PEM, a
 * password with quotes, text with `${`) reads back unchanged. A lazy value that turns out to
 * be a plain string at synth is escaped right away.
 *
 * A heredoc has no escapes, so there the value is an HCL string literal of its own inside
 * an interpolation, `${"<escaped value>"}`, which Nomad's parser evaluates to the value and
 * which keeps the value's line breaks off the heredoc's lines (and its marker).
 */
class HclQuotedValue implements IResolvable {
  readonly creationStack: string[] = [];

  constructor(
    private readonly token: string,
    private readonly inHeredoc: boolean,
  ) {}

  resolve(context: IResolveContext): string {
    // suppressBraces: cdktf asks for an expression (the token sits in a function's argument).
    const inExpression = context.suppressBraces === true;
    const [resolvable] = Tokenization.reverse(this.token);
    const lazy = resolvable instanceof LazyBase ? context.resolve(this.token) : undefined;
    if (typeof lazy === "string" && !Token.isUnresolved(lazy)) {
      // quotedBody leaves no "${" or "%{" for Terraform to read as its own.
      const body = quotedBody(lazy);
      if (!inExpression) return this.inHeredoc ? `$\${"${body}"}` : body;
      return this.inHeredoc ? `"$\${\\"${escapeQuoted(body)}\\"}"` : `"${escapeQuoted(body)}"`;
    }
    context.suppressBraces = true;
    const inner = context.resolve(this.token);
    context.suppressBraces = inExpression;
    const expression = QUOTED_STEP_ARGS.reduce((e, args) => `replace(${e}, ${args})`, String(inner));
    if (!this.inHeredoc) return inExpression ? expression : `\${${expression}}`;
    // Terraform writes `${"`, the escaped value, `"}`.
    return inExpression ? `"$\${\\"\${${expression}}\\"}"` : `$\${"\${${expression}}"}`;
  }

  toString(): string {
    return Token.asString(this);
  }
}

function hclQuotedValue(token: string, inHeredoc: boolean): string {
  return Token.asString(new HclQuotedValue(token, inHeredoc));
}

/** The body of a quoted HCL string whose value is `value` (what `QUOTED_STEPS` do in Terraform). */
export function quotedBody(value: string): string {
  return QUOTED_STEPS.reduce((text, [from, to]) => text.split(from).join(to), value);
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
