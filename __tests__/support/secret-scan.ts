import { StackJson } from "./synth";

/** Plaintext secret material found where only references may be. */
export interface SecretFinding {
  /** e.g. "lab-acl" or "user-data of lab-server-1" */
  readonly where: string;
  readonly kind: "token-uuid" | "gossip-key" | "private-key" | "api-token";
  /** The first characters only: a report must not leak what it found. */
  readonly excerpt: string;
}

const PATTERNS: ReadonlyArray<{ kind: SecretFinding["kind"]; pattern: RegExp; accept?: (match: string) => boolean }> = [
  // Nomad and Consul token secrets (and bootstrap secrets) are UUIDs.
  { kind: "token-uuid", pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi },
  // A gossip key: exactly 32 bytes of standard base64, standing alone (not inside longer base64, e.g. an SSH public key).
  {
    kind: "gossip-key",
    pattern: /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])/g,
    accept: (match) => Buffer.from(match, "base64").length === 32,
  },
  { kind: "private-key", pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/g },
  // A Hetzner Cloud API token: 64 letters and digits. SHA-256 digests (lowercase hex) are not tokens.
  {
    kind: "api-token",
    pattern: /(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])/g,
    accept: (match) => !/^[0-9a-f]{64}$/.test(match),
  },
];

/**
 * Terraform references (`${tls_private_key.x.private_key_pem}`) are how secrets may appear:
 * drop them before scanning so only literal text is judged.
 */
function withoutReferences(text: string): string {
  let out = "";
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "{" && text[i - 1] !== "$") {
      depth++;
      i++;
      continue;
    }
    if (depth > 0) {
      if (text[i] === "{") depth++;
      else if (text[i] === "}") depth--;
      continue;
    }
    out += text[i];
  }
  return out;
}

/** Secret material in `text` outside Terraform references. */
export function findSecretMaterial(text: string, where: string): SecretFinding[] {
  const literal = withoutReferences(text);
  const findings: SecretFinding[] = [];
  for (const { kind, pattern, accept } of PATTERNS) {
    for (const match of literal.matchAll(pattern)) {
      if (accept && !accept(match[0])) continue;
      findings.push({ where, kind, excerpt: `${match[0].slice(0, 6)}…` });
    }
  }
  return findings;
}

/** Scans every synthesized stack (its whole cdk.tf.json) for plaintext secrets. */
export function scanStacksForSecrets(stacks: Record<string, StackJson>): SecretFinding[] {
  return Object.entries(stacks).flatMap(([name, stack]) => findSecretMaterial(JSON.stringify(stack), name));
}
