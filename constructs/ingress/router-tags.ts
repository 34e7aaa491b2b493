import { Token } from "cdktf";
import { dnsNameProblem } from "../core";
import { HostnameZones } from "./hostname-zones";
import { ruleHosts } from "./rule-hosts";

/**
 * The admission rules for Traefik tags on Nomad services: what a job may ask the ingress for.
 * How Traefik's Nomad provider reads tags (traefik pkg/provider/nomad, v3.6): only services
 * carrying exactly `traefik.enable=true` are listed (exposedByDefault=false); a tag starting
 * with "traefik" is split at its first "=", both sides trimmed, and decoded like a label, with
 * field names matched case-insensitively (paerser). A router without a rule gets the default
 * rule Host(`<service name>`); a service without routers gets such a router.
 */

export const WEB_ENTRYPOINT = "web";
export const WEBSECURE_ENTRYPOINT = "websecure";
export const DASHBOARD_ENTRYPOINT = "dashboard";
/** The entry points routers may name; the dashboard's own is never one of them. */
export const ROUTABLE_ENTRYPOINTS: readonly string[] = [WEB_ENTRYPOINT, WEBSECURE_ENTRYPOINT];
export const ENABLE_TAG = "traefik.enable=true";

/**
 * Tags Traefik itself drops at runtime, as Traefik `constraints` (TagRegex is Go's
 * regexp.MatchString, unanchored; the `(?i:...)` mirrors paerser's case-insensitive field
 * names). A subset of the synth-time rules, so whatever passes synth passes these; they
 * stand in for synth where nobody checked the job.
 */
export const FORBIDDEN_TAG_PATTERNS: readonly string[] = [
  // A TCP router with HostSNI(`*`) on an HTTP entry point takes every connection on it.
  String.raw`^traefik\.(?i:tcp|udp)\.`,
  String.raw`^traefik\.(?i:http\.routers\.[^.=]+\.priority)\s*=`,
  // api@internal (the dashboard without its auth), @file middlewares, other namespaces' providers.
  String.raw`^traefik\.(?i:http\.[^=]*\.(service|middlewares|fallback|name))\s*=.*@`,
  String.raw`^traefik\.(?i:http\.services\.[^.=]+\.loadbalancer\.server\.url)\s*=`,
  String.raw`^traefik\.(?i:http\.routers\.[^.=]+\.entrypoints)\s*=(.*,)?\s*${DASHBOARD_ENTRYPOINT}\s*(,|$)`,
];

/** The Nomad provider's `constraints` expression: a service matching any pattern is not routed. */
export function forbiddenTagsConstraint(): string {
  return FORBIDDEN_TAG_PATTERNS.map((pattern) => `!TagRegex(\`${pattern}\`)`).join(" && ");
}

/** Why the tags of one Nomad service in `namespace` may not go to the ingress; empty when they may. */
export function routerTagProblems(tags: readonly string[], namespace: string, zones: HostnameZones): string[] {
  if (!tags.includes(ENABLE_TAG)) return [];
  const problems: string[] = [];
  const refuse = (tag: string, why: string) => problems.push(`tag "${tag}": ${why}`);
  const routers = new Map<string, boolean>();

  for (const tag of tags) {
    const eq = tag.indexOf("=");
    if (!tag.startsWith("traefik.") || eq < 0) continue;
    if (Token.isUnresolved(tag)) {
      refuse(tag, "it holds a Terraform value that is unknown at synth, so it cannot be checked; write the value out");
      continue;
    }
    if (tag.includes("${")) {
      refuse(tag, "Nomad fills in ${...} in tags when it registers the service, so what Traefik gets cannot be checked here; write the value out");
      continue;
    }
    const key = tag.slice(0, eq).trim().split(".");
    const value = tag.slice(eq + 1).trim();
    const [, kind, section, name] = key.map((part) => part.toLowerCase());
    const field = key.slice(4).join(".").toLowerCase();
    if (kind === "tcp" || kind === "udp") {
      refuse(tag, "TCP and UDP routers are not allowed: one with HostSNI(`*`) takes every connection of its entry point. Route HTTP hostnames (exposeVia) instead");
      continue;
    }
    if (kind !== "http" || name === undefined) continue;
    if (value.includes("@") && ["service", "middlewares", "fallback", "name"].includes(key[key.length - 1].toLowerCase())) {
      refuse(tag, `"${value}" names another provider's service or middleware (api@internal is the dashboard without its auth); reference only what this service's own tags define`);
    }
    if (section === "services" && field === "loadbalancer.server.url") {
      refuse(tag, "a server URL sends the route to an arbitrary address instead of this service's allocations; remove it (set loadbalancer.server.port to pick a port)");
    }
    if (section !== "routers") continue;
    const router = key[3];
    routers.set(router, routers.get(router) === true || field === "rule");
    if (field === "priority") {
      refuse(tag, "router priorities are not allowed: a higher priority takes requests from other routers; remove it (Traefik ranks routers by rule length)");
    } else if (field === "entrypoints") {
      const unknown = value.split(",").map((e) => e.trim()).filter((e) => !ROUTABLE_ENTRYPOINTS.includes(e));
      if (unknown.length > 0) refuse(tag, `entry point ${unknown.map((e) => `"${e}"`).join(", ")} is not one services may use; use ${ROUTABLE_ENTRYPOINTS.join(" or ")}`);
    } else if (field === "rule") {
      problems.push(...ruleProblems(value, namespace, zones).map((why) => `tag "${tag}": ${why}`));
    }
  }
  for (const [router, hasRule] of routers) {
    if (!hasRule) {
      problems.push(`router "${router}" has no rule, so Traefik would route Host(\`<service name>\`) to it; add a tag traefik.http.routers.${router}.rule=Host(\`<hostname>\`)`);
    }
  }
  if (routers.size === 0) {
    problems.push(`"${ENABLE_TAG}" without a router makes Traefik route Host(\`<service name>\`) to the service; expose it with exposeVia(ingress, hostname) or add a router rule`);
  }
  return problems;
}

function ruleProblems(rule: string, namespace: string, zones: HostnameZones): string[] {
  const hosts = ruleHosts(rule);
  if (hosts === "any") {
    return ["the rule matches requests for any hostname (it needs Host(`...`) joined with &&; HostRegexp and negations cannot be checked); start it with Host(`<hostname>`) &&"];
  }
  if ("error" in hosts) return [`the rule cannot be read (${hosts.error}); write it as Host(\`<hostname>\`) && ...`];
  const problems: string[] = [];
  for (const host of hosts) {
    const nameProblem = dnsNameProblem(host);
    if (nameProblem) {
      problems.push(`Host(\`${host}\`) ${nameProblem}`);
      continue;
    }
    const refusal = zones.refusal(namespace, host);
    if (refusal) problems.push(`${refusal}; namespace "${namespace}" may not route it`);
  }
  return problems;
}
