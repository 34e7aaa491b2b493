/**
 * Which hostnames a Traefik v3 router rule can match, read from the rule's boolean structure.
 * Traefik parses rules as Go expressions (vulcand/predicate over go/parser): `&&` binds tighter
 * than `||`, `!` negates, strings are "double-quoted" or `backquoted`, and matcher names are
 * accepted as written, lowercase, UPPERCASE or Titlecase (traefik pkg/rules/parser.go, v3.6).
 */

/** The hostnames a rule can match: a finite set, or "any" when nothing pins the host down. */
export type RuleHosts = ReadonlySet<string> | "any";

type Token = { kind: "op"; text: "&&" | "||" | "!" | "(" | ")" | "," } | { kind: "ident"; text: string } | { kind: "string"; text: string };

/** The hostnames `rule` can match, or a string saying why the rule cannot be read. */
export function ruleHosts(rule: string): RuleHosts | { readonly error: string } {
  const tokens = tokenize(rule);
  if (typeof tokens === "string") return { error: tokens };
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isOp = (text: string): boolean => peek()?.kind === "op" && peek()?.text === text;
  const expect = (text: string): void => {
    if (!isOp(text)) throw new RuleError(at < tokens.length ? `expected "${text}" at token ${at + 1}` : `the rule ends where "${text}" is expected`);
    at++;
  };

  /** operand (op operand)*, folded left with `combine`. */
  const chain = (op: "&&" | "||", operand: () => RuleHosts, combine: (a: RuleHosts, b: RuleHosts) => RuleHosts) => (): RuleHosts => {
    let hosts = operand();
    while (isOp(op)) {
      at++;
      hosts = combine(hosts, operand());
    }
    return hosts;
  };
  // Go precedence: && binds tighter than ||.
  const and = chain("&&", () => unary(), intersection);
  const or = chain("||", and, union);
  const unary = (): RuleHosts => {
    if (isOp("!")) {
      at++;
      unary();
      // "not this host" matches every other host.
      return "any";
    }
    if (isOp("(")) {
      at++;
      const hosts = or();
      expect(")");
      return hosts;
    }
    const name = peek();
    if (name?.kind !== "ident") throw new RuleError(`expected a matcher such as Host(...) at token ${at + 1}`);
    at++;
    expect("(");
    const args: string[] = [];
    while (!isOp(")")) {
      const arg = peek();
      if (arg === undefined) throw new RuleError(`${name.text}( is not closed`);
      if (arg?.kind !== "string") throw new RuleError(`${name.text}(...) takes quoted strings`);
      args.push(arg.text);
      at++;
      if (isOp(",")) at++;
      else if (!isOp(")")) throw new RuleError(peek() ? `expected "," or ")" at token ${at + 1}` : `${name.text}( is not closed`);
    }
    at++;
    // Host (v3) and Host/HostHeader with several names (the v2 syntax a router may opt into).
    const matcher = name.text.toLowerCase();
    return matcher === "host" || matcher === "hostheader" ? new Set(args.map(canonicalHost)) : "any";
  };

  try {
    const hosts = or();
    if (at < tokens.length) throw new RuleError(`unexpected "${tokens[at].text}" at token ${at + 1}`);
    return hosts;
  } catch (e) {
    if (e instanceof RuleError) return { error: e.message };
    throw e;
  }
}

/** Traefik compares hosts lowercased, and a trailing dot matches the name without it. */
function canonicalHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, "");
}

function union(a: RuleHosts, b: RuleHosts): RuleHosts {
  return a === "any" || b === "any" ? "any" : new Set([...a, ...b]);
}

function intersection(a: RuleHosts, b: RuleHosts): RuleHosts {
  if (a === "any") return b;
  if (b === "any") return a;
  return new Set([...a].filter((host) => b.has(host)));
}

class RuleError extends Error {}

function tokenize(rule: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < rule.length) {
    const rest = rule.slice(i);
    const space = /^\s+/.exec(rest);
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (space) {
      i += space[0].length;
    } else if (rest.startsWith("&&") || rest.startsWith("||")) {
      tokens.push({ kind: "op", text: rest.slice(0, 2) as "&&" | "||" });
      i += 2;
    } else if ("!(),".includes(rest[0])) {
      tokens.push({ kind: "op", text: rest[0] as "!" | "(" | ")" | "," });
      i += 1;
    } else if (ident) {
      tokens.push({ kind: "ident", text: ident[0] });
      i += ident[0].length;
    } else if (rest[0] === "`") {
      const end = rest.indexOf("`", 1);
      if (end < 0) return "a backquoted string is not closed";
      tokens.push({ kind: "string", text: rest.slice(1, end) });
      i += end + 1;
    } else if (rest[0] === '"') {
      const literal = /^"(?:[^"\\\n]|\\.)*"/.exec(rest);
      const text = literal ? jsonString(literal[0]) : undefined;
      if (text === undefined) return 'a double-quoted string is not closed or has an escape hashilab cannot read (use `backquotes`)';
      tokens.push({ kind: "string", text });
      i += literal![0].length;
    } else {
      return `unexpected character "${rest[0]}"`;
    }
  }
  return tokens;
}

/** A Go interpreted string literal that is also valid JSON; anything else is refused. */
function jsonString(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}
