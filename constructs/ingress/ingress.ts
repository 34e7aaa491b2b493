import { Construct, IConstruct } from "constructs";
import { traefikPolicy } from "../../policies/builtin";
import { NomadAclPolicy } from "../acl/nomad-acl-policy";
import { isDnsName } from "../dns-name";
import { Port } from "../nomad-job/model";
import { NomadJob } from "../nomad-job/nomad-job";
import { inZone, PublicDnsZone, PublicHostname } from "../public-hostname";
import { traefikDashboardConfig, traefikStaticConfig, WEB_ENTRYPOINT } from "./traefik-config";

/** A Nomad service Traefik can route to (NomadService satisfies it). */
export interface ExposableService extends IConstruct {
  readonly serviceName: string;
  readonly namespace: string;
  addTags(...tags: string[]): void;
}

/** Where the dashboard's htpasswd line ("user:hash") is kept. */
export interface DashboardAuthVariable {
  /** A path the Traefik job reads without a policy (`nomad/jobs/<job>...`). */
  readonly path: string;
  readonly item: string;
}

export interface IngressProps {
  /** Namespaces whose services Traefik routes; its policy grants `read-job` there and nothing else. */
  readonly namespaces: readonly string[];
  /** The namespace the Traefik job runs in. @default "ingress" */
  readonly namespace?: string;
  /** Traefik instances, one per ingress host. @default 1 */
  readonly instances?: number;
  /** The client host network ports 80 and 443 bind on. @default the client's default network */
  readonly hostNetwork?: string;
  /** The ingress hosts' public IPv4 addresses: public hostnames resolve to these. @default none */
  readonly publicAddresses?: readonly string[];
  /** The Cloudflare zone public hostnames are created in. @default none: exposeVia only adds router tags */
  readonly publicZone?: PublicDnsZone;
  /**
   * The lab domain: the dashboard answers on the host `traefik.<domain>` only. Required for
   * the dashboard unless dashboardRule is set. @default none
   */
  readonly domain?: string;
  /**
   * The dashboard's router rule; it must match a Host, or the dashboard's paths would be
   * routed on every exposed hostname.
   * @default "Host(`traefik.<domain>`) && (PathPrefix(`/api`) || PathPrefix(`/dashboard`))" (seed 002's paths)
   */
  readonly dashboardRule?: string;
  /**
   * The Nomad variable holding the dashboard's basic-auth line, or false for no dashboard.
   * @default { path: "nomad/jobs/traefik", item: "BASIC_AUTH" }
   */
  readonly dashboardAuth?: DashboardAuthVariable | false;
  /** @default every datacenter */
  readonly datacenters?: readonly string[];
  /** @default "docker.io/library/traefik:v3.6" */
  readonly image?: string;
  /** @default 200 */
  readonly cpuMhz?: number;
  /** @default 128 */
  readonly memoryMb?: number;
}

export const TRAEFIK_JOB = "traefik";
const DYNAMIC_CONFIG = "secrets/dynamic.yml";
const ROUTER_NAME = /[^a-z0-9-]+/g;

/**
 * Traefik as the cluster's HTTP ingress (seed 002): it discovers Nomad services through the
 * task API socket with its workload identity, under a minimal policy (`read-job` in the
 * routed namespaces) bound to the job with `job_acl`; ports 80 and 443 are static on the
 * ingress hosts; the dashboard sits behind basic auth read from a Nomad variable.
 *
 * Children: "Job" (NomadJob) and its policy "ReadServices" under it.
 */
export class Ingress extends Construct {
  public readonly job: NomadJob;
  public readonly policy: NomadAclPolicy;
  public readonly namespaces: readonly string[];
  public readonly publicZone?: PublicDnsZone;
  public readonly publicAddresses: readonly string[];
  private readonly enabled = new WeakSet<ExposableService>();

  constructor(scope: Construct, id: string, props: IngressProps) {
    super(scope, id);
    if (props.namespaces.length === 0) {
      throw new Error(`${this.node.path}: the ingress routes no namespaces; list the namespaces whose services Traefik may route`);
    }
    this.namespaces = props.namespaces;
    this.publicZone = props.publicZone;
    this.publicAddresses = props.publicAddresses ?? [];
    const instances = props.instances ?? 1;
    const auth = props.dashboardAuth ?? { path: `nomad/jobs/${TRAEFIK_JOB}`, item: "BASIC_AUTH" };
    const dashboard = auth === false ? undefined : { rule: this.dashboardRule(props), authVariablePath: auth.path, authItem: auth.item };
    const port = (label: string, number: number): Port => ({ label, static: number, to: number, hostNetwork: props.hostNetwork });

    this.job = new NomadJob(this, "Job", {
      name: TRAEFIK_JOB,
      namespace: props.namespace ?? "ingress",
      datacenters: props.datacenters,
      type: "service",
      update: { maxParallel: 1, minHealthyTime: "10s", healthyDeadline: "3m", autoRevert: true },
      groups: [
        {
          name: TRAEFIK_JOB,
          count: instances,
          constraints: instances > 1 ? [{ operator: "distinct_hosts", value: "true" }] : undefined,
          network: { ports: [port("http", 80), port("https", 443)] },
          services: [
            {
              name: TRAEFIK_JOB,
              provider: "nomad",
              port: "http",
              checks: [{ name: "traefik_ping", type: "http", path: "/ping", interval: "10s", timeout: "2s" }],
            },
          ],
          tasks: [
            {
              name: TRAEFIK_JOB,
              driver: "docker",
              config: {
                image: props.image ?? "docker.io/library/traefik:v3.6",
                ports: ["http", "https"],
                args: ["--configFile=/local/traefik.yml"],
              },
              // NOMAD_TOKEN for the Nomad provider: the workload identity the policy is bound to.
              identities: [{ env: true }],
              templates: [
                {
                  destination: "local/traefik.yml",
                  changeMode: "restart",
                  data: traefikStaticConfig({ namespaces: props.namespaces, dynamicConfigFile: `/${DYNAMIC_CONFIG}`, dashboard: dashboard !== undefined }),
                },
                ...(dashboard === undefined
                  ? []
                  : [{ destination: DYNAMIC_CONFIG, perms: "0400", changeMode: "restart" as const, data: traefikDashboardConfig(dashboard) }]),
              ],
              resources: { cpuMhz: props.cpuMhz ?? 200, memoryMb: props.memoryMb ?? 128 },
            },
          ],
        },
      ],
    });
    this.policy = this.job.attachPolicy("ReadServices", traefikPolicy(props.namespaces), {
      policyName: "traefik",
      description: `Traefik: read services in ${props.namespaces.join(", ")} to route to them`,
    });
  }

  /**
   * Traefik ranks routers by rule length, so a dashboard rule without a Host would take /api
   * and /dashboard away from every exposed hostname.
   */
  private dashboardRule(props: IngressProps): string {
    if (props.dashboardRule !== undefined) {
      if (!/\bHost(Regexp)?\(/.test(props.dashboardRule)) {
        throw new Error(
          `${this.node.path}: dashboardRule "${props.dashboardRule}" matches no Host, so it would route /api and /dashboard ` +
            "on every exposed hostname; add one, e.g. \"Host(`traefik.lab.example.com`) && PathPrefix(`/dashboard`)\"",
        );
      }
      return props.dashboardRule;
    }
    if (props.domain === undefined || !isDnsName(props.domain)) {
      const got = props.domain === undefined ? "no domain" : `domain "${props.domain}", which is not a lowercase DNS name`;
      throw new Error(
        `${this.node.path}: the dashboard needs a host to answer on, but the ingress has ${got}; ` +
          'set domain (e.g. "lab.example.com": the dashboard is then traefik.lab.example.com), dashboardRule, or dashboardAuth: false',
      );
    }
    return `Host(\`traefik.${props.domain}\`) && (PathPrefix(\`/api\`) || PathPrefix(\`/dashboard\`))`;
  }

  /**
   * Routes `hostname` to `service` (Traefik router tags on its service registration) and, when
   * the ingress has a public zone that contains the name, creates its public DNS records
   * (child "PublicHostname-<hostname>" of the service). Returns them, if any.
   */
  public expose(service: ExposableService, hostname: string): PublicHostname | undefined {
    const where = `${service.node.path}: cannot expose "${hostname}" via ${this.node.path}`;
    if (!isDnsName(hostname)) {
      throw new Error(`${where}: it is not a lowercase DNS name like "tools.example.com"`);
    }
    if (!this.namespaces.includes(service.namespace)) {
      throw new Error(
        `${where}: the service runs in namespace "${service.namespace}", which the ingress does not route ` +
          `(it routes ${this.namespaces.join(", ")}); add the namespace to the ingress's namespaces`,
      );
    }
    const router = `${service.serviceName}-${hostname}`.toLowerCase().replace(ROUTER_NAME, "-");
    if (!this.enabled.has(service)) {
      service.addTags("traefik.enable=true");
      this.enabled.add(service);
    }
    service.addTags(`traefik.http.routers.${router}.rule=Host(\`${hostname}\`)`, `traefik.http.routers.${router}.entrypoints=${WEB_ENTRYPOINT}`);

    const zone = this.publicZone;
    if (!zone || !inZone(hostname, zone)) return undefined;
    if (this.publicAddresses.length === 0) {
      throw new Error(`${where}: the ingress has the public zone "${zone.zoneName}" but no publicAddresses for the record to point at`);
    }
    return new PublicHostname(service, `PublicHostname-${hostname}`, { zone, hostname, addresses: this.publicAddresses });
  }
}
