import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { SynthesizedApp } from "./checkout";

/** The hosts stack's output of certificate expiry dates (stacks/hosts-stack.ts). */
export const EXPIRY_OUTPUT = "certificate_expiry";
/** Terraform plans a host certificate anew this long before it expires (ClusterPki's early renewal). */
export const WARN_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Warnings for the certificates of `expiries` (name -> RFC 3339) that expire within WARN_DAYS of `now`. */
export function expiryWarnings(stack: string, expiries: Readonly<Record<string, string>>, now: Date): string[] {
  return Object.entries(expiries)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([name, end]) => {
      const at = Date.parse(end);
      if (Number.isNaN(at)) return [`${stack}: certificate ${name} has no readable expiry date (${JSON.stringify(end)})`];
      const days = Math.floor((at - now.getTime()) / DAY_MS);
      if (days >= WARN_DAYS) return [];
      const what = name === "ca" ? "the cluster CA" : `the certificate of ${name}`;
      const fix =
        name === "ca"
          ? "rotate the CA (docs/operations.md \"Rotating TLS certificates\")"
          : `deploy ${stack}: Terraform issues a new one from ${WARN_DAYS} days before expiry and the delivery reloads the agents`;
      return [days < 0 ? `${stack}: ${what} expired on ${end}; ${fix}` : `${stack}: ${what} expires on ${end} (in ${days} days); ${fix}`];
    });
}

/**
 * The expiry dates in the deployed state of each stack of `app` that outputs them, read from
 * its local state file (offline; a remote backend is not read: its stacks are named in `unread`).
 */
export function deployedExpiries(repo: string, app: SynthesizedApp): { expiries: Record<string, Record<string, string>>; unread: string[] } {
  const expiries: Record<string, Record<string, string>> = {};
  const unread: string[] = [];
  for (const [stack, json] of Object.entries<any>(app)) {
    if (!json.output?.[EXPIRY_OUTPUT]) continue;
    const path = json.terraform?.backend?.local?.path;
    // A local backend's path is relative to the stack's directory, cdktf.out/stacks/<stack>.
    const file = path ? resolve(join(repo, "cdktf.out", "stacks", stack), path) : undefined;
    if (!file || !existsSync(file)) {
      unread.push(stack);
      continue;
    }
    const value = JSON.parse(readFileSync(file, "utf8")).outputs?.[EXPIRY_OUTPUT]?.value;
    if (value && typeof value === "object") expiries[stack] = value;
    else unread.push(stack);
  }
  return { expiries, unread: unread.sort() };
}

/** Every expiry warning of the deployed stacks of `app`, and a note for the stacks not read. */
export function reviewExpiry(repo: string, app: SynthesizedApp, now: Date): string[] {
  const { expiries, unread } = deployedExpiries(repo, app);
  return [
    ...Object.entries(expiries).flatMap(([stack, dates]) => expiryWarnings(stack, dates, now)),
    ...unread.map((stack) => `${stack}: certificate expiry not checked (no local state with the ${EXPIRY_OUTPUT} output: not deployed yet, or a remote backend: terraform output ${EXPIRY_OUTPUT})`),
  ];
}
