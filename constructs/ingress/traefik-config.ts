import { stringify } from "yaml";
import { DASHBOARD_ENTRYPOINT, forbiddenTagsConstraint, WEB_ENTRYPOINT, WEBSECURE_ENTRYPOINT } from "./router-tags";

/**
 * Traefik's static and dynamic configuration for the Ingress job, as YAML. All are Nomad
 * template data: the dynamic one reads the dashboard's basic-auth line from a Nomad variable
 * and the host's own address from the task environment.
 */

/** The dashboard's port inside the group's network namespace (the host port is a prop). */
export const DASHBOARD_PORT_INSIDE = 8080;
/** The port label of the dashboard: NOMAD_IP_<label> is the host address it binds on. */
export const DASHBOARD_PORT_LABEL = "dashboard";
const NOMAD_ENDPOINT = { address: "unix:///secrets/api.sock" };
/** No line folding, and single quotes: backslashes stay literal and `"` needs no escape inside template actions. */
const yaml = (value: unknown): string => stringify(value, { lineWidth: 0, singleQuote: true });

/**
 * Dashboard rate limit per source address: enough for the dashboard's page load and polling,
 * and at most 5 basic-auth guesses a second from an allowed address.
 */
export const DASHBOARD_RATE_LIMIT = { average: 5, period: "1s", burst: 50 } as const;

/** Namespaces routed by a Traefik of their own, which the main one forwards their zones to. */
export interface IsolatedNamespace {
  readonly namespace: string;
  readonly zones: readonly string[];
  /** Where its Traefik listens, on loopback of the group's network namespace. */
  readonly port: number;
}

export interface TraefikStaticSettings {
  /** Namespaces whose Nomad services the main Traefik routes itself. */
  readonly namespaces: readonly string[];
  /** Where the dynamic configuration file is, as the container sees it. */
  readonly dynamicConfigFile: string;
  readonly dashboard: boolean;
}

/**
 * The main Traefik: entry points web and websecure (the defaults for routers that name none,
 * `asDefault`, so no router lands on the dashboard's entry point by omission), /ping for
 * Nomad's check, the Nomad provider over the task API socket (its token defaults to
 * NOMAD_TOKEN, which the workload identity sets) with the runtime tag constraints, and the
 * file provider for the dashboard and the isolated namespaces' forwards.
 */
export function traefikStaticConfig(s: TraefikStaticSettings): string {
  return yaml({
    entryPoints: {
      [WEB_ENTRYPOINT]: { address: ":80", asDefault: true },
      [WEBSECURE_ENTRYPOINT]: { address: ":443", asDefault: true },
      ...(s.dashboard ? { [DASHBOARD_ENTRYPOINT]: { address: `:${DASHBOARD_PORT_INSIDE}` } } : {}),
    },
    ping: { entryPoint: WEB_ENTRYPOINT },
    // Without an `api` section there is no api@internal service at all.
    ...(s.dashboard ? { api: { dashboard: true } } : {}),
    log: { level: "INFO" },
    accessLog: {},
    providers: {
      // No namespaces would make the provider read the default namespace (traefik BuildProviders).
      ...(s.namespaces.length > 0
        ? { nomad: { exposedByDefault: false, namespaces: [...s.namespaces], constraints: forbiddenTagsConstraint(), endpoint: NOMAD_ENDPOINT } }
        : {}),
      file: { filename: s.dynamicConfigFile },
    },
  });
}

/**
 * A namespace's own Traefik: one entry point on loopback, reachable only from the main Traefik
 * in the same network namespace, and the Nomad provider for that namespace alone, with the same
 * runtime tag constraints (a server URL tag would proxy anywhere the container reaches). It has
 * no api, ping or file provider, so its routers can reach nothing but its namespace's services.
 * It trusts X-Forwarded-* from the main Traefik, so services still see the client's address.
 */
export function isolatedTraefikStaticConfig(isolated: IsolatedNamespace): string {
  return yaml({
    entryPoints: {
      [WEB_ENTRYPOINT]: { address: `127.0.0.1:${isolated.port}`, forwardedHeaders: { trustedIPs: ["127.0.0.1/32"] } },
    },
    log: { level: "INFO" },
    providers: {
      nomad: { exposedByDefault: false, namespaces: [isolated.namespace], constraints: forbiddenTagsConstraint(), endpoint: NOMAD_ENDPOINT },
    },
  });
}

export interface DashboardSettings {
  /** The Nomad variable holding the htpasswd line, and its item. */
  readonly authVariablePath: string;
  readonly authItem: string;
  /** Source CIDRs allowed besides the host's own address. */
  readonly allowedCidrs: readonly string[];
}

const USERS_PLACEHOLDER = "hashilab-basic-auth-users";

/**
 * The main Traefik's dynamic configuration: the dashboard (api@internal) on its own entry
 * point behind an IP allow-list, a rate limit and basic auth; and for each isolated
 * namespace, a router that sends requests for its zones to its Traefik. The forwards outrank
 * every router a service can define (priority is refused in tags; the default is the rule's length).
 */
export function traefikDynamicConfig(dashboard: DashboardSettings | undefined, isolated: readonly IsolatedNamespace[]): string {
  const routers: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  for (const ns of isolated) {
    const name = `namespace-${ns.namespace}`;
    routers[name] = { rule: ns.zones.map(zoneRule).join(" || "), entryPoints: [WEB_ENTRYPOINT], priority: 1_000_000, service: name };
    services[name] = { loadBalancer: { servers: [{ url: `http://127.0.0.1:${ns.port}` }] } };
  }
  const middlewares: Record<string, unknown> = {};
  if (dashboard) {
    routers.dashboard = {
      rule: "PathPrefix(`/api`) || PathPrefix(`/dashboard`)",
      entryPoints: [DASHBOARD_ENTRYPOINT],
      service: "api@internal",
      middlewares: ["dashboard-allowlist", "dashboard-ratelimit", "dashboard-auth"],
    };
    // SSH tunnels to the host's address arrive from that address.
    middlewares["dashboard-allowlist"] = { ipAllowList: { sourceRange: [...dashboard.allowedCidrs, `{{ env "NOMAD_IP_${DASHBOARD_PORT_LABEL}" }}/32`] } };
    middlewares["dashboard-ratelimit"] = { rateLimit: { ...DASHBOARD_RATE_LIMIT } };
    middlewares["dashboard-auth"] = { basicAuth: { users: [USERS_PLACEHOLDER] } };
  }
  const text = yaml({ http: { routers, ...(isolated.length > 0 ? { services } : {}), ...(dashboard ? { middlewares } : {}) } });
  if (!dashboard) return text;
  // The users list comes from the Nomad variable at render time, so it is template text. An
  // htpasswd line ("user:$apr1$..." or bcrypt) has no quote, so YAML's single quotes hold it verbatim.
  return text.replace(
    new RegExp(`^( *)- ${USERS_PLACEHOLDER}$`, "m"),
    (_, indent: string) => `{{- with nomadVar "${dashboard.authVariablePath}" }}\n${indent}- '{{ .${dashboard.authItem} }}'\n{{- end }}`,
  );
}

/** A HostRegexp matching a zone's apex and every name under it (Go regexp syntax). */
function zoneRule(zone: string): string {
  return `HostRegexp(\`(?i)^(.+\\.)?${zone.replace(/\./g, "\\.")}\\.?$\`)`;
}
