import { stringify } from "yaml";

/**
 * Traefik's static and dynamic configuration for the Ingress job, as YAML. Both are Nomad
 * template data: the dynamic one reads the dashboard's basic-auth line from a Nomad variable.
 */

export const WEB_ENTRYPOINT = "web";
export const WEBSECURE_ENTRYPOINT = "websecure";

export interface TraefikStaticSettings {
  /** Namespaces whose Nomad services Traefik routes. */
  readonly namespaces: readonly string[];
  /** Where the dynamic configuration file is, as the container sees it. */
  readonly dynamicConfigFile: string;
  readonly dashboard: boolean;
}

/**
 * The static configuration: the two entry points, /ping on the web entry point for Nomad's
 * check, and the Nomad provider over the task API socket. The provider's token defaults to
 * NOMAD_TOKEN, which the task's workload identity sets, so no token is configured here.
 * Only services tagged `traefik.enable=true` are routed.
 */
export function traefikStaticConfig(s: TraefikStaticSettings): string {
  return stringify({
    entryPoints: {
      [WEB_ENTRYPOINT]: { address: ":80" },
      [WEBSECURE_ENTRYPOINT]: { address: ":443" },
    },
    ping: { entryPoint: WEB_ENTRYPOINT },
    api: { dashboard: s.dashboard },
    log: { level: "INFO" },
    accessLog: {},
    providers: {
      nomad: {
        exposedByDefault: false,
        namespaces: [...s.namespaces],
        endpoint: { address: "unix:///secrets/api.sock" },
      },
      file: { filename: s.dynamicConfigFile },
    },
  });
}

export interface DashboardSettings {
  /** The dashboard router's rule, e.g. "Host(`traefik.lab.example.com`)". */
  readonly rule: string;
  /** The Nomad variable holding the htpasswd line, and its item. */
  readonly authVariablePath: string;
  readonly authItem: string;
}

/** The dynamic configuration: the dashboard (api@internal) behind basic auth. */
export function traefikDashboardConfig(s: DashboardSettings): string {
  const routers = stringify({
    http: {
      routers: {
        dashboard: { rule: s.rule, entryPoints: [WEB_ENTRYPOINT], service: "api@internal", middlewares: ["dashboard-auth"] },
      },
    },
  });
  // The users list comes from the Nomad variable at render time, so it is template text. An
  // htpasswd line ("user:$apr1$..." or bcrypt) has no quote, so YAML's single quotes hold it verbatim.
  return `${routers}  middlewares:
    dashboard-auth:
      basicAuth:
        users:
{{- with nomadVar "${s.authVariablePath}" }}
          - '{{ .${s.authItem} }}'
{{- end }}
`;
}
