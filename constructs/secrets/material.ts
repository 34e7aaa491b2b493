import { BoundedCache, TERRAFORM_TEMPLATE_START } from "../core";

/** What kind of secret a piece of literal text looks like. */
export type SecretKind =
  | "private-key"
  | "token-uuid"
  | "gossip-key"
  | "api-token"
  | "aws-access-key"
  | "url-credentials"
  | "password-hash";

/** Secret-shaped literal text. */
export interface SecretMatch {
  readonly kind: SecretKind;
  /** Enough to find it, too little to use it. */
  readonly excerpt: string;
}

/** Why each kind is a secret, for messages. */
export const SECRET_KIND_DESCRIPTIONS: Readonly<Record<SecretKind, string>> = {
  "private-key": "a private key (PEM, or an age identity)",
  "token-uuid": "a UUID (the shape of Nomad and Consul token secrets)",
  "gossip-key": "a base64 16- or 32-byte key (the shape of a gossip encryption key)",
  "api-token": "a 64-character token (the shape of a Hetzner Cloud API token)",
  "aws-access-key": "an AWS-style access key id (AKIA.../ASIA...)",
  "url-credentials": "a URL with a user and password (user:password@host)",
  "password-hash": "an htpasswd/crypt password hash ($apr1$, $2y$, {SHA}, $5$, $6$)",
};

const B64 = "A-Za-z0-9+/";

interface Pattern {
  readonly kind: SecretKind;
  readonly pattern: RegExp;
  /** False for a match that is not a secret after all (looking at the text before it). */
  readonly accept?: (match: string, before: string) => boolean;
  readonly excerpt?: (match: string) => string;
}

/** The identifier the value is assigned to, e.g. `accessor_id` in `accessor_id = "…"` or `"AccessorID": "…`. */
function keyBefore(before: string): string {
  return /([A-Za-z_][A-Za-z0-9_.-]*)["'\s:=]*$/.exec(before.slice(-64))?.[1] ?? "";
}

/** Names of ids (`run_id`, `NodeID`, `allocId`, a `job "…"` block's label); a secret word in the name wins (`secret_id`). */
const IDENTIFIER_KEY = /^(?:uuid|job|node|alloc|eval|deployment|namespace|name|group|task)$|(?:^|[_.-])ids?$|[a-z](?:Id|ID)s?$|^IDs?$/i;
const SECRET_WORD = /secret|token|password|passwd|key|auth|credential/i;
const DIGEST_KEY = /sha|digest|hash|checksum|integrity|fingerprint/i;

const PATTERNS: readonly Pattern[] = [
  { kind: "private-key", pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|AGE-SECRET-KEY-1[0-9A-Z]{58}/g },
  {
    kind: "token-uuid",
    pattern: /(?<![0-9A-Za-z-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9A-Za-z-])/gi,
    accept: (_match, before) => {
      const key = keyBefore(before);
      return !/accessor/i.test(key) && (SECRET_WORD.test(key) || !IDENTIFIER_KEY.test(key));
    },
  },
  {
    // 16 or 32 bytes of standard base64 standing alone (not inside longer base64, e.g. an SSH key).
    kind: "gossip-key",
    pattern: new RegExp(`(?<![${B64}])(?:[${B64}]{43}=|[${B64}]{22}==)(?![${B64}=])`, "g"),
    accept: (match, before) => {
      const bytes = Buffer.from(match, "base64").length;
      return (bytes === 32 || bytes === 16) && !/sha\d*[:-]$/i.test(before) && !DIGEST_KEY.test(keyBefore(before));
    },
  },
  {
    // A Hetzner Cloud API token: 64 letters and digits. Hex SHA-256 digests are not tokens.
    kind: "api-token",
    pattern: new RegExp(`(?<![${B64}])[A-Za-z0-9]{64}(?![${B64}=])`, "g"),
    accept: (match) => !/^(?:[0-9a-f]{64}|[0-9A-F]{64})$/.test(match),
  },
  { kind: "aws-access-key", pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g },
  {
    // scheme://user:password@ (the user may be empty: redis://:password@) unless the password is a reference or template action.
    kind: "url-credentials",
    pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"'`]*:([^\s/?#@"'`]+)@/gi,
    accept: (match) => !/:(?:\$\$?\{[^}]*\}|\{\{[^}]*\}\}|%%?\{[^}]*\})@$/.test(match),
    excerpt: (match) => `${match.slice(0, match.lastIndexOf(":") + 1)}…@`,
  },
  {
    kind: "password-hash",
    pattern: new RegExp(
      [
        String.raw`\$apr1\$[./0-9A-Za-z]{0,8}\$[./0-9A-Za-z]{22}`,
        String.raw`\$2[abxy]?\$\d\d\$[./0-9A-Za-z]{53}`,
        String.raw`\{SHA\}[A-Za-z0-9+/]{27}=`,
        String.raw`\$[56]\$(?:rounds=\d+\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{43,86}`,
      ].join("|"),
      "g",
    ),
  },
];

/** A whole PEM block: a private key is one finding (its base64 lines are not more), anything else is public. */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
/** SSH public keys: long base64 that is public. */
const SSH_PUBLIC_KEY = /\b(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+=*/g;

/** Text none of the patterns can match lacks all of these (most strings: names, numbers, short values). */
const CANDIDATE = /PRIVATE KEY|AGE-SECRET-KEY|[0-9a-f]{8}-[0-9a-f]{4}-|[A-Za-z0-9+/]{22}|A[KS]IA|:\/\/[^\s/@]*:[^\s/@]*@|\$(?:apr1|2[abxy]?|[56])\$|\{SHA\}/i;

/**
 * The literal text of a Terraform string: outside `${…}`/`%{…}` all of it, inside only the
 * quoted string literals (so `${lower("AKIA…")}` still shows its literal, while
 * `${var.token}` is nothing). Escaped `$${`/`%%{` are literal text (Nomad's interpolation).
 * Removed parts become a space so that the pieces around a reference do not join.
 */
export function literalText(text: string): string {
  if (!TERRAFORM_TEMPLATE_START.test(text)) return text;
  let out = "";
  // "e": inside an expression; "s": inside a string literal within an expression.
  const stack: ("e" | "s")[] = [];
  // Where the outermost open expression began, in `text` and in `out`.
  let opened = 0;
  let outAtOpen = 0;
  let i = 0;
  while (i < text.length) {
    const mode = stack[stack.length - 1];
    const stop = mode === "e" ? EXPRESSION_STOP : mode === "s" ? STRING_STOP : TEXT_STOP;
    stop.lastIndex = i;
    const m = stop.exec(text);
    if (!m) {
      if (mode !== "e") out += text.slice(i);
      break;
    }
    if (mode === undefined && m[0].length === 2) [opened, outAtOpen] = [m.index, out.length + m.index - i];
    const at = m.index;
    if (mode !== "e") out += text.slice(i, at);
    i = at + m[0].length;
    if (m[0] === '"') {
      if (mode === "e") stack.push("s");
      else stack.pop();
      if (mode === "s") out += " ";
    } else if (m[0] === "{") stack.push("e");
    else if (m[0] === "}") stack.pop();
    else if (m[0].length === 3 || m[0].startsWith("\\")) out += m[0]; // $${ / %%{ escapes and \x stay literal
    else {
      stack.push("e");
      out += " ";
    }
  }
  // An expression that never closes is not one (Terraform would refuse it): judge its text too.
  return stack.length === 0 ? out : `${out.slice(0, outAtOpen)} ${literalText(text.slice(opened + 2))}`;
}

/** Outside expressions: `$${`/`%%{` (literal) before `${`/`%{` (an expression). */
const TEXT_STOP = /\$\$\{|%%\{|[$%]\{/g;
const STRING_STOP = /\$\$\{|%%\{|[$%]\{|\\[\s\S]|"/g;
const EXPRESSION_STOP = /["{}]/g;

/**
 * Secret-shaped literal text in one Terraform string (references to sensitive values are not
 * literal). `key` is the field the string is the value of: a UUID under `accessor_id` names a
 * token without granting anything.
 */
export function findSecretMaterial(text: string, key?: string): SecretMatch[] {
  if (text.length < MEMO_MIN_LENGTH) return scanText(text, key);
  const byKey = MEMO.get(text, () => new Map());
  let found = byKey.get(key);
  // Each finding frozen: callers share them, and one must not change what another is told.
  if (!found) byKey.set(key, (found = scanText(text, key).map((match) => Object.freeze(match))));
  return [...found];
}

/**
 * Findings by text, then key. A synth scans the same long texts many times (a host script in
 * every host's delivery, in each environment), and the patterns cost a few ms per 100 KB each
 * time; short texts are cheap to scan and not kept.
 */
const MEMO = new BoundedCache<string, Map<string | undefined, readonly SecretMatch[]>>(4096);
const MEMO_MIN_LENGTH = 64;

function scanText(text: string, key: string | undefined): SecretMatch[] {
  // The key is scanned too: a secret used as a name is still written out.
  const prefix = key === undefined ? "" : `${key}: `;
  if (prefix.length + text.length < 8 || !(CANDIDATE.test(text) || CANDIDATE.test(prefix))) return [];
  const found: SecretMatch[] = [];
  let literal = literalText(text);
  if (literal.includes("-----BEGIN")) {
    literal = literal.replace(PEM_BLOCK, (block, label: string) => {
      if (label.includes("PRIVATE")) found.push({ kind: "private-key", excerpt: `${block.slice(0, 6)}…` });
      return " ";
    });
  }
  if (/ssh-|ecdsa-|sk-/.test(literal)) literal = literal.replace(SSH_PUBLIC_KEY, " ");
  literal = prefix + literal;
  for (const { kind, pattern, accept, excerpt } of PATTERNS) {
    for (const match of literal.matchAll(pattern)) {
      const before = literal.slice(Math.max(0, match.index - 80), match.index);
      if (accept && !accept(match[0], before)) continue;
      found.push({ kind, excerpt: excerpt ? excerpt(match[0]) : `${match[0].slice(0, 6)}…` });
    }
  }
  return found;
}
