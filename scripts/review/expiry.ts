import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { TOKEN_NEVER_EXPIRES } from "../../constructs/acl-bootstrap";
import type { SynthesizedApp } from "./checkout";

/** The stacks' outputs of expiry dates, and what they list: the hosts stack's certificates, the acl stack's tokens. */
export const EXPIRY_OUTPUTS = { certificate_expiry: "certificate", token_expiry: "token" } as const;
export type ExpiryOutput = keyof typeof EXPIRY_OUTPUTS;
/** Terraform plans a host certificate anew this long before it expires (ClusterPki's early renewal). */
export const WARN_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What renews or replaces an expiring item. */
function fixFor(stack: string, output: ExpiryOutput, name: string): string {
  if (output === "token_expiry") return `rotate it (docs/operations.md "Rotating tokens")`;
  return name === "ca"
    ? `rotate the CA: raise caGeneration (docs/operations.md "Rotating the CA")`
    : `deploy ${stack} (the renew-certificates workflow does it daily): Terraform issues a new one from ${WARN_DAYS} days before expiry and the delivery reloads the agents`;
}

/** Warnings for the items of `expiries` (name -> RFC 3339, or "never" for tokens) that expire within WARN_DAYS of `now`. */
export function expiryWarnings(stack: string, expiries: Readonly<Record<string, string>>, now: Date, output: ExpiryOutput = "certificate_expiry"): string[] {
  const kind = EXPIRY_OUTPUTS[output];
  return Object.entries(expiries)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([name, end]) => {
      if (output === "token_expiry" && end === TOKEN_NEVER_EXPIRES) return [];
      const at = Date.parse(end);
      if (Number.isNaN(at)) return [`${stack}: ${kind} ${name} has no readable expiry date (${JSON.stringify(end)})`];
      const days = Math.floor((at - now.getTime()) / DAY_MS);
      if (days >= WARN_DAYS) return [];
      const what = output === "certificate_expiry" && name === "ca" ? "the cluster CA" : `the ${kind} of ${name}`;
      const fix = fixFor(stack, output, name);
      return [days < 0 ? `${stack}: ${what} expired on ${end}; ${fix}` : `${stack}: ${what} expires on ${end} (in ${days} days); ${fix}`];
    });
}

/**
 * The expiry dates in the deployed state of each stack of `app` that outputs them, read from
 * its local state file (offline; a remote backend is not read: its stacks and outputs are named in `unread`).
 */
export function deployedExpiries(
  repo: string,
  app: SynthesizedApp,
): { expiries: Record<string, Partial<Record<ExpiryOutput, Record<string, string>>>>; unread: Array<{ stack: string; output: ExpiryOutput }> } {
  const expiries: Record<string, Partial<Record<ExpiryOutput, Record<string, string>>>> = {};
  const unread: Array<{ stack: string; output: ExpiryOutput }> = [];
  for (const [stack, json] of Object.entries<any>(app).sort(([a], [b]) => a.localeCompare(b))) {
    const outputs = (Object.keys(EXPIRY_OUTPUTS) as ExpiryOutput[]).filter((output) => json.output?.[output]);
    if (outputs.length === 0) continue;
    const path = json.terraform?.backend?.local?.path;
    // A local backend's path is relative to the stack's directory, cdktf.out/stacks/<stack>.
    const file = path ? resolve(join(repo, "cdktf.out", "stacks", stack), path) : undefined;
    const state = file && existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
    for (const output of outputs) {
      const value = state?.outputs?.[output]?.value;
      if (value && typeof value === "object") (expiries[stack] ??= {})[output] = value;
      else unread.push({ stack, output });
    }
  }
  return { expiries, unread };
}

/** Every expiry warning of the deployed stacks of `app`, and a note for what was not read. */
export function reviewExpiry(repo: string, app: SynthesizedApp, now: Date): string[] {
  const { expiries, unread } = deployedExpiries(repo, app);
  return [
    ...Object.entries(expiries).flatMap(([stack, outputs]) =>
      (Object.entries(outputs) as Array<[ExpiryOutput, Record<string, string>]>).flatMap(([output, dates]) => expiryWarnings(stack, dates, now, output)),
    ),
    ...unread.map(
      ({ stack, output }) =>
        `${stack}: ${EXPIRY_OUTPUTS[output]} expiry not checked (no local state with the ${output} output: not deployed yet, or a remote backend: terraform output ${output})`,
    ),
  ];
}
