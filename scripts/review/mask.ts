import { unwrapQuotedValue } from "../../constructs/core";
import { SynthesizedApp } from "./checkout";

/** What a masked value shows instead. */
export const MASK = "(sensitive)";

/** Literal values that look like secrets, wherever they appear. */
const SECRET_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  // Nomad/Consul tokens and bootstrap secrets are UUIDs.
  /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi,
  // Gossip encryption keys: 32 random bytes in base64.
  /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])/g,
  // Hetzner Cloud API tokens: 64 alphanumerics (not lowercase hex: that is a sha256 digest).
  /(?<![A-Za-z0-9])(?=[0-9a-f]*[g-zA-Z])[A-Za-z0-9]{64}(?![A-Za-z0-9])/g,
];

/** Resource attributes that are secret by nature, referenced as `${type.name.attr}`. */
const SECRET_REFERENCES = /(\brandom_(password|string|uuid|id|bytes)\.[\w-]+(\.\w+)?|\btls_private_key\.[\w-]+\.private_key\w*|\bvar\.__SENSITIVE__|[\w.-]*\boutputs\.__SENSITIVE__)(?![\w-])/;

/** cdktf marks every cross-stack output sensitive, whatever it carries. */
const CROSS_STACK_OUTPUT = "cross-stack-output-";

/**
 * Masks the sensitive parts of synthesized strings: references to a sensitive variable, a
 * sensitive output (of any stack, read through remote state), a random_* result or a TLS
 * private key inside Terraform interpolations, and literals that match a secret pattern.
 * A cross-stack output counts as sensitive only when its value references something
 * sensitive: cdktf marks them all sensitive, addresses and CA certificates included.
 */
export class Masker {
  private readonly reference: RegExp;

  constructor(...apps: SynthesizedApp[]) {
    const variables = new Set<string>();
    const outputs = new Map<string, { sensitive: boolean; value: string }>();
    for (const app of apps) {
      for (const stack of Object.values(app)) {
        for (const [name, v] of Object.entries<any>(stack.variable ?? {})) if (v?.sensitive) variables.add(name);
        for (const [name, o] of Object.entries<any>(stack.output ?? {})) {
          outputs.set(name, { sensitive: Boolean(o?.sensitive), value: JSON.stringify(o?.value ?? "") });
        }
      }
    }
    const sensitiveOutputs = new Set<string>();
    for (const [name, o] of outputs) if (o.sensitive && !name.startsWith(CROSS_STACK_OUTPUT)) sensitiveOutputs.add(name);
    // Cross-stack outputs of cross-stack outputs: repeat until nothing changes.
    for (let grew = true; grew; ) {
      grew = false;
      const pattern = referencePattern(variables, sensitiveOutputs);
      for (const [name, o] of outputs) {
        if (o.sensitive && !sensitiveOutputs.has(name) && pattern.test(o.value)) {
          sensitiveOutputs.add(name);
          grew = true;
        }
      }
    }
    this.reference = referencePattern(variables, sensitiveOutputs);
  }

  /** The string with every sensitive reference and secret-looking literal replaced by MASK. */
  maskString(text: string): string {
    const global = new RegExp(this.reference.source, "g");
    let masked = replaceInterpolations(text, (whole) => {
      // A value escaped for HCL at apply time is shown as the value it carries.
      const expr = unwrapQuotedValue(whole) ?? whole;
      if (!this.reference.test(expr)) return undefined;
      // A bare reference becomes MASK; inside an expression only the reference is masked.
      return expr.trim().replace(global, "") === "" ? MASK : `\${${expr.replace(global, MASK)}}`;
    });
    for (const pattern of SECRET_PATTERNS) masked = masked.replace(pattern, MASK);
    return masked;
  }

  /** A deep copy of `value` with every string masked. */
  mask<T>(value: T): T {
    if (typeof value === "string") return this.maskString(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.mask(v)) as T;
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.mask(v)])) as T;
    }
    return value;
  }
}

function referencePattern(variables: Set<string>, outputs: Set<string>): RegExp {
  const alternatives = (names: Set<string>) => (names.size ? [...names].map(escapeRegExp).join("|") : "(?!)");
  return new RegExp(
    SECRET_REFERENCES.source
      .replace("__SENSITIVE__", `(${alternatives(variables)})`)
      .replace("__SENSITIVE__", `(${alternatives(outputs)})`),
  );
}

/**
 * Replaces each Terraform interpolation `${...}` (braces balanced, `$${` escapes left alone)
 * for which `replace` returns a string.
 */
function replaceInterpolations(text: string, replace: (expr: string) => string | undefined): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      out += "$${";
      i += 3;
      continue;
    }
    if (text.startsWith("${", i)) {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === "{") depth++;
        else if (text[j] === "}") depth--;
        j++;
      }
      const whole = text.slice(i, j);
      out += replace(whole.slice(2, -1)) ?? whole;
      i = j;
      continue;
    }
    out += text[i++];
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
