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
  /** Routers on websecure get TLS by default (the ACME certificates of the file provider). */
  readonly https: boolean;
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
      // http.tls: every router on the entry point gets TLS without a tag of its own
      // (pkg/config/static/entrypoints.go HTTPConfig.TLS, "Default TLS configuration for the
      // routers linked to the entry point"); the certificate is picked by SNI from the file
      // provider's tls.certificates.
      [WEBSECURE_ENTRYPOINT]: { address: ":443", asDefault: true, ...(s.https ? { http: { tls: {} } } : {}) },
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
const CHALLENGE_SERVERS_PLACEHOLDER = "hashilab-acme-challenge-servers";

/** The ACME side of the ingress: where certificates are kept and who answers HTTP-01 challenges. */
export interface HttpsSettings {
  /** Nomad variables below this path hold one certificate each (items cert, key). */
  readonly certificatesPrefix: string;
  /** The Nomad service (in the ingress's namespace) of the renewer's challenge server. */
  readonly challengeService: string;
}

/**
 * Outranks every router on web: service routers (ranked by rule length, no priority tags
 * allowed) and the isolated namespaces' forwards (1000000); below Traefik's reserved range
 * (pkg/server/router/router.go maxUserPriority = MaxInt - 1000).
 */
export const ACME_CHALLENGE_PRIORITY = 2_000_000;

/**
 * The main Traefik's dynamic configuration: the dashboard (api@internal) on its own entry
 * point behind an IP allow-list, a rate limit and basic auth; and for each isolated
 * namespace, a router that sends requests for its zones to its Traefik. The forwards outrank
 * every router a service can define (priority is refused in tags; the default is the rule's length).
 */
export function traefikDynamicConfig(dashboard: DashboardSettings | undefined, isolated: readonly IsolatedNamespace[], https?: HttpsSettings): string {
  const routers: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  for (const ns of isolated) {
    const name = `namespace-${ns.namespace}`;
    routers[name] = { rule: ns.zones.map(zoneRule).join(" || "), entryPoints: [WEB_ENTRYPOINT], priority: 1_000_000, service: name };
    services[name] = { loadBalancer: { servers: [{ url: `http://127.0.0.1:${ns.port}` }] } };
  }
  const middlewares: Record<string, unknown> = {};
  if (https) {
    // HTTP-01: the CA asks any ingress host; each forwards to the one renewer.
    routers["acme-challenge"] = {
      rule: "PathPrefix(`/.well-known/acme-challenge/`)",
      entryPoints: [WEB_ENTRYPOINT],
      priority: ACME_CHALLENGE_PRIORITY,
      service: "acme-challenge",
    };
    // No servers while the renewer is not placed: Traefik then answers 503 (pkg/server/service).
    services["acme-challenge"] = { loadBalancer: { servers: [CHALLENGE_SERVERS_PLACEHOLDER] } };
    // Whatever no router on web takes goes to HTTPS: routers of public hostnames are on
    // websecure only; an app's plain-HTTP router (internal names) outranks this one.
    routers["redirect-to-https"] = {
      rule: "PathPrefix(`/`)",
      entryPoints: [WEB_ENTRYPOINT],
      priority: 1,
      middlewares: ["redirect-to-https"],
      // Traefik's internal provider always defines noop (pkg/provider/traefik/internal.go).
      service: "noop@internal",
    };
    middlewares["redirect-to-https"] = { redirectScheme: { scheme: "https", permanent: true } };
  }
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
  let text = yaml({
    http: { routers, ...(Object.keys(services).length > 0 ? { services } : {}), ...(Object.keys(middlewares).length > 0 ? { middlewares } : {}) },
  });
  if (dashboard) {
    // The users list comes from the Nomad variable at render time, so it is template text. An
    // htpasswd line ("user:$apr1$..." or bcrypt) has no quote, so YAML's single quotes hold it verbatim.
    text = text.replace(
      new RegExp(`^( *)- ${USERS_PLACEHOLDER}$`, "m"),
      (_, indent: string) => `{{- with nomadVar "${dashboard.authVariablePath}" }}\n${indent}- '{{ .${dashboard.authItem} }}'\n{{- end }}`,
    );
  }
  if (!https) return text;
  // Nomad services a task may read in any namespace with its workload identity
  // (nomad acl/acl.go AllowServiceRegistrationReadList); the renewer runs in this one.
  text = text.replace(
    new RegExp(`^( *)- ${CHALLENGE_SERVERS_PLACEHOLDER}$`, "m"),
    (_, indent: string) => `{{- range nomadService "${https.challengeService}" }}\n${indent}- url: 'http://{{ .Address }}:{{ .Port }}'\n{{- end }}`,
  );
  return text + certificatesTemplate(https.certificatesPrefix);
}

/**
 * Every certificate the renewer stored, inline: Traefik reads certFile/keyFile as content when
 * they are not a path (pkg/types/file_or_content.go), so cert, key and routes are one file
 * whose re-render the file provider picks up (it reloads on events for that file name,
 * pkg/provider/file/file.go). Listing needs no list of names at synth: a new certificate appears
 * when the renewer writes it (Nomad lists only the variables the token may list,
 * nomad/variables_endpoint.go List). consul-template's indent keeps the PEM inside YAML block
 * scalars.
 */
function certificatesTemplate(prefix: string): string {
  return [
    "tls:",
    "  certificates:",
    `{{- range nomadVarList "${prefix}" }}`,
    "{{- with nomadVar .Path }}",
    "    - certFile: |",
    "{{ .cert.Value | indent 8 }}",
    "      keyFile: |",
    "{{ .key.Value | indent 8 }}",
    "{{- end }}",
    "{{- end }}",
    "",
  ].join("\n");
}

/** A HostRegexp matching a zone's apex and every name under it (Go regexp syntax). */
function zoneRule(zone: string): string {
  return `HostRegexp(\`(?i)^(.+\\.)?${zone.replace(/\./g, "\\.")}\\.?$\`)`;
}
