import { TerraformStack, Token } from "cdktf";
import { Construct, IConstruct } from "constructs";
import { traefikPolicy } from "../../policies";
import { NomadAclPolicy } from "../acl";
import { dnsNameProblem, parseCidr, throwIfProblems } from "../core";
import { NomadJob, Port, Task, Template } from "../nomad-job";
import { SERVICE_RESTART_DEFAULTS } from "../nomad-service";
import { inZone, PublicDnsZone, PublicHostname } from "../public-hostname";
import { HostnameZones } from "./hostname-zones";
import { ACME_CHALLENGE_SERVICE, AcmeRenewer, AcmeSettings, CERTIFICATES_PREFIX, certificateVariablePath } from "./acme-renewer";
import { ENABLE_TAG, routerTagProblems, WEB_ENTRYPOINT, WEBSECURE_ENTRYPOINT } from "./router-tags";
import {
  DASHBOARD_PORT_INSIDE,
  DASHBOARD_PORT_LABEL,
  DashboardSettings,
  IsolatedNamespace,
  isolatedTraefikStaticConfig,
  traefikDynamicConfig,
  traefikStaticConfig,
} from "./traefik-config";

/** A Nomad service Traefik can route to (NomadService satisfies it). */
export interface ExposableService extends IConstruct {
  readonly serviceName: string;
  readonly namespace: string;
  addTags(...tags: string[]): void;
}

/** How `exposeVia` serves a hostname. */
export interface ExposeOptions {
  /**
   * "external": the hostname's DNS record is managed outside hashilab (point it at the ingress
   * hosts' public addresses yourself); no record is created even in the public zone. Required
   * for a public name outside the ingress's public zone, so a name never gets routes without a
   * record by accident.
   * @default records in the public zone for names in it; names under the lab domain need none
   */
  readonly dns?: "external";
  /**
   * "acme": HTTPS on `websecure` with a certificate from the ingress's ACME renewer (the
   * ingress needs `acme`); plain HTTP requests are redirected. "none": plain HTTP on `web`.
   * @default "acme" for public names, "none" for names under the lab domain
   */
  readonly tls?: "acme" | "none";
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
  /**
   * Routed namespaces whose jobs may also be submitted directly, outside hashilab's deploy
   * (e.g. the developer namespace, when developers get that root-equivalent right). Each gets a
   * Traefik of its own that receives only requests for the namespace's zones, so its jobs'
   * tags cannot claim other hostnames, the dashboard or another provider's middlewares.
   * @default none: every routed namespace is admitted by hashilab's synth-time checks alone
   */
  readonly isolatedNamespaces?: readonly string[];
  /**
   * The DNS zones each namespace owns: its services may route only names in its zones (a zone
   * is its apex and every name under it), and no other namespace may route names in them.
   * Namespaces without zones may route any name outside the zones others own.
   * @default `<namespace>.<domain>` for each isolated namespace, nothing for the others
   */
  readonly hostnameZones?: Readonly<Record<string, readonly string[]>>;
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
   * The lab domain: isolated namespaces own `<namespace>.<domain>` unless hostnameZones says
   * otherwise. Required when an isolated namespace has no zone in hostnameZones. @default none
   */
  readonly domain?: string;
  /**
   * The Nomad variable holding the dashboard's basic-auth line, or false for no dashboard
   * (and no Traefik API at all).
   * @default { path: "nomad/jobs/traefik", item: "BASIC_AUTH" }
   */
  readonly dashboardAuth?: DashboardAuthVariable | false;
  /**
   * The host network the dashboard's port binds on: one the internet cannot reach, since the
   * basic-auth password crosses it in cleartext (the dashboard has no TLS). Set it wherever the
   * clients' default network is public.
   * @default the client's default network (hashilab's Hetzner hosts: the private interface)
   */
  readonly dashboardHostNetwork?: string;
  /** The dashboard's static host port. @default 8080 */
  readonly dashboardPort?: number;
  /**
   * Source IPv4 CIDRs the dashboard accepts besides the ingress host's own address (where SSH
   * tunnels to it arrive from); everything else gets 403 before basic auth.
   * @default none: only the host itself
   */
  readonly dashboardAllowedCidrs?: readonly string[];
  /**
   * Certificates for public hostnames from an ACME CA (Let's Encrypt): one renewer job keeps
   * them in Nomad variables every Traefik instance renders; websecure serves them and web
   * redirects to it. DNS-01 through Cloudflare for names in publicZone when a token is given,
   * HTTP-01 otherwise.
   * @default none: exposeVia refuses public hostnames unless they pass tls: "none"
   */
  readonly acme?: AcmeSettings;
  /** @default every datacenter */
  readonly datacenters?: readonly string[];
  /** @default "docker.io/library/traefik:v3.6" */
  readonly image?: string;
  /** Per Traefik task (the main one and one per isolated namespace). @default 200 */
  readonly cpuMhz?: number;
  /** Per Traefik task (the main one and one per isolated namespace). @default 128 */
  readonly memoryMb?: number;
}

export const TRAEFIK_JOB = "traefik";
/** Where the dashboard's basic-auth line is read from unless dashboardAuth says otherwise: the job's own variable. */
export const DEFAULT_DASHBOARD_AUTH: DashboardAuthVariable = { path: `nomad/jobs/${TRAEFIK_JOB}`, item: "BASIC_AUTH" };
const DYNAMIC_CONFIG = "secrets/dynamic.yml";
const ROUTER_NAME = /[^a-z0-9-]+/g;
const TEMPLATE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Nomad's limit on variable paths (nomad/structs/variables.go validVariablePath). */
const MAX_VARIABLE_PATH = 128;
/** Isolated namespaces' Traefiks listen on loopback from here up, inside the group's network namespace. */
const FIRST_ISOLATED_PORT = 8081;

/**
 * Traefik as the cluster's HTTP ingress: it discovers Nomad services through the
 * task API socket with its workload identity, under a minimal policy (`read-job` in the
 * routed namespaces) bound to the job with `job_acl`; ports 80 and 443 are static on the
 * ingress hosts. Every Nomad service in the stack that asks Traefik for a route is checked at
 * synth against the namespace's hostname zones (see routerTagProblems); isolated namespaces get
 * a Traefik of their own behind the main one. The dashboard listens on its own port on a
 * non-public host network, behind an IP allow-list, a rate limit and basic auth read from a
 * Nomad variable.
 *
 * Children: "Job" (NomadJob) and its policy "ReadServices" under it.
 */
export class Ingress extends Construct {
  public readonly job: NomadJob;
  public readonly policy: NomadAclPolicy;
  public readonly namespaces: readonly string[];
  /** Which namespace may route which hostnames. */
  public readonly zones: HostnameZones;
  public readonly publicZone?: PublicDnsZone;
  public readonly publicAddresses: readonly string[];
  /** The lab domain: names under it are internal. */
  public readonly domain?: string;
  private renewerJob?: AcmeRenewer;
  private readonly acme?: AcmeSettings;
  private readonly isolatedNames: readonly string[];
  private readonly datacenters?: readonly string[];
  private readonly enabled = new WeakSet<ExposableService>();

  constructor(scope: Construct, id: string, props: IngressProps) {
    super(scope, id);
    this.namespaces = props.namespaces;
    this.publicZone = props.publicZone;
    this.publicAddresses = props.publicAddresses ?? [];
    this.domain = props.domain;
    this.acme = props.acme;
    this.datacenters = props.datacenters;
    const isolatedNames = props.isolatedNamespaces ?? [];
    this.isolatedNames = isolatedNames;
    const zonesByNamespace = {
      ...Object.fromEntries(isolatedNames.map((ns) => [ns, props.domain === undefined ? [] : [`${ns}.${props.domain}`]])),
      ...props.hostnameZones,
    };
    throwIfProblems(this, "invalid Ingress", this.propsProblems(props, zonesByNamespace));
    this.zones = new HostnameZones(zonesByNamespace);

    const instances = props.instances ?? 1;
    const auth = props.dashboardAuth ?? DEFAULT_DASHBOARD_AUTH;
    const dashboard: DashboardSettings | undefined =
      auth === false ? undefined : { authVariablePath: auth.path, authItem: auth.item, allowedCidrs: props.dashboardAllowedCidrs ?? [] };
    const isolated: IsolatedNamespace[] = isolatedNames.map((namespace, i) => ({
      namespace,
      zones: this.zones.zonesOf(namespace),
      port: FIRST_ISOLATED_PORT + i,
    }));
    const port = (label: string, number: number, to: number, hostNetwork: string | undefined): Port => ({ label, static: number, to, hostNetwork });
    const traefikTask = (name: string, staticConfig: string, extra: readonly Template[] = []): Task => ({
      name,
      driver: "docker",
      config: { image: props.image ?? "docker.io/library/traefik:v3.6", args: ["--configFile=/local/traefik.yml"] },
      // NOMAD_TOKEN for the Nomad provider: the workload identity the policy is bound to.
      identities: [{ env: true }],
      templates: [{ destination: "local/traefik.yml", changeMode: "restart", data: staticConfig }, ...extra],
      resources: { cpuMhz: props.cpuMhz ?? 200, memoryMb: props.memoryMb ?? 128 },
    });
    const https = props.acme ? { certificatesPrefix: CERTIFICATES_PREFIX, challengeService: ACME_CHALLENGE_SERVICE } : undefined;
    const dynamicConfig: Template[] =
      dashboard === undefined && isolated.length === 0 && https === undefined
        ? []
        : // Traefik's file provider watches the file's directory (pkg/provider/file, watch defaults
          // to true), so it sees consul-template's atomic rename: no restart, no outage.
          [{ destination: DYNAMIC_CONFIG, perms: "0400", changeMode: "noop", data: traefikDynamicConfig(dashboard, isolated, https) }];
    const main = traefikStaticConfig({
      namespaces: this.namespaces.filter((ns) => !isolatedNames.includes(ns)),
      dynamicConfigFile: `/${DYNAMIC_CONFIG}`,
      dashboard: dashboard !== undefined,
      https: https !== undefined,
    });

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
          // One network namespace for all Traefiks of the group: the isolated ones are reachable
          // on its loopback only. Port mapping keeps the client's source address (DNAT).
          network: {
            mode: "bridge",
            ports: [
              port("http", 80, 80, props.hostNetwork),
              port("https", 443, 443, props.hostNetwork),
              ...(dashboard ? [port(DASHBOARD_PORT_LABEL, props.dashboardPort ?? DASHBOARD_PORT_INSIDE, DASHBOARD_PORT_INSIDE, props.dashboardHostNetwork)] : []),
            ],
          },
          // Keep restarting a failing task rather than failing the allocation: one isolated
          // namespace's Traefik must not take the main ingress down with it.
          restart: SERVICE_RESTART_DEFAULTS,
          services: [
            {
              name: TRAEFIK_JOB,
              provider: "nomad",
              port: "http",
              checks: [{ name: "traefik_ping", type: "http", path: "/ping", interval: "10s", timeout: "2s" }],
            },
          ],
          tasks: [
            traefikTask(TRAEFIK_JOB, main, dynamicConfig),
            ...isolated.map((ns) => traefikTask(`${TRAEFIK_JOB}-${ns.namespace}`, isolatedTraefikStaticConfig(ns))),
          ],
        },
      ],
    });
    this.policy = this.job.attachPolicy("ReadServices", traefikPolicy(props.namespaces), {
      policyName: "traefik",
      description: `Traefik: read services in ${props.namespaces.join(", ")} to route to them`,
    });
    if (https) {
      // Every instance renders every certificate the renewer stored (nomadVarList needs list).
      this.job.attachPolicy(
        "ReadCertificates",
        { namespaces: [{ name: this.job.namespace, variables: [{ path: `${CERTIFICATES_PREFIX}/*`, capabilities: ["read", "list"] }] }] },
        { policyName: "traefik-certificates", description: "Traefik: read the certificates the ACME renewer stores" },
      );
    }
    this.node.addValidation({ validate: () => this.routedServiceProblems() });
  }

  private propsProblems(props: IngressProps, zonesByNamespace: Readonly<Record<string, readonly string[]>>): string[] {
    const problems: string[] = [];
    if (props.namespaces.length === 0) {
      problems.push("namespaces is empty: the ingress routes no namespaces; list the namespaces whose services Traefik may route");
    }
    const domainProblem = props.domain === undefined ? undefined : dnsNameProblem(props.domain);
    if (domainProblem) problems.push(`domain "${props.domain}" ${domainProblem}`);
    for (const [i, ns] of (props.isolatedNamespaces ?? []).entries()) {
      if (props.isolatedNamespaces!.indexOf(ns) !== i) {
        problems.push(`isolatedNamespaces: "${ns}" is listed twice; list each namespace once`);
        continue;
      }
      if (!props.namespaces.includes(ns)) {
        problems.push(`isolatedNamespaces: "${ns}" is not one of the routed namespaces (${props.namespaces.join(", ")}); add it to namespaces or remove it`);
      }
      if ((zonesByNamespace[ns] ?? []).length === 0) {
        problems.push(`isolatedNamespaces: "${ns}" owns no hostname zone, so its Traefik would get no requests; set domain (it then owns "${ns}.<domain>") or hostnameZones.${ns}`);
      }
    }
    for (const ns of Object.keys(props.hostnameZones ?? {})) {
      if (!props.namespaces.includes(ns)) {
        problems.push(`hostnameZones: "${ns}" is not one of the routed namespaces (${props.namespaces.join(", ")}); remove it or add it to namespaces`);
      }
    }
    problems.push(...HostnameZones.problems(zonesByNamespace));
    for (const text of props.dashboardAllowedCidrs ?? []) {
      const cidr = parseCidr(text);
      if (typeof cidr === "string") problems.push(`dashboardAllowedCidrs: ${cidr}`);
      else if (cidr.prefix === 0) problems.push(`dashboardAllowedCidrs: "${text}" admits every address; list the operators' own ranges`);
    }
    const dashboardPort = props.dashboardPort;
    if (dashboardPort !== undefined && (!Number.isInteger(dashboardPort) || dashboardPort < 1 || dashboardPort > 65535 || dashboardPort === 80 || dashboardPort === 443)) {
      problems.push(`dashboardPort ${dashboardPort} is not a free port number: use a whole number from 1 to 65535 other than 80 and 443, e.g. 8080`);
    }
    const acme = props.acme;
    if (acme) {
      // Both end up in the renewer's template data: no braces (template actions), no quotes.
      if (!Token.isUnresolved(acme.email) && !/^[^\s@"'<>{}]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(acme.email)) {
        problems.push(`acme.email ${JSON.stringify(acme.email)} is not an email address like "ops@example.com"`);
      }
      if (acme.directoryUrl !== undefined && !Token.isUnresolved(acme.directoryUrl) && !/^https:\/\/[^\s"'{}]+$/.test(acme.directoryUrl)) {
        problems.push(`acme.directoryUrl ${JSON.stringify(acme.directoryUrl)} is not an https:// URL of an ACME directory`);
      }
      const hours = acme.checkIntervalHours;
      if (hours !== undefined && !(Number.isFinite(hours) && hours >= 1 && hours <= 24 * 7)) {
        problems.push(`acme.checkIntervalHours ${hours} is not between 1 and 168; the renewer checks each certificate that often`);
      }
      if (acme.cloudflareApiToken && !props.publicZone) {
        problems.push("acme.cloudflareApiToken is set but there is no publicZone for DNS-01; set publicZone or remove the token");
      }
    }
    const auth = props.dashboardAuth;
    if (auth) {
      if (!TEMPLATE_KEY.test(auth.item)) problems.push(`dashboardAuth.item "${auth.item}" is not a variable item name: use letters, digits and _`);
      if (!/^[A-Za-z0-9_./-]+$/.test(auth.path)) problems.push(`dashboardAuth.path "${auth.path}" is not a Nomad variable path: use letters, digits and _ . / -`);
    }
    return problems;
  }

  /**
   * Every Nomad service of the stack that Traefik would route (Nomad provider, a routed
   * namespace, tagged traefik.enable=true), checked against its namespace's zones and the
   * admission rules: the ingress's synth-time admission policy.
   */
  private routedServiceProblems(): string[] {
    const problems: string[] = [];
    for (const job of TerraformStack.of(this).node.findAll()) {
      if (!(job instanceof NomadJob) || !this.namespaces.includes(job.namespace)) continue;
      for (const group of job.spec.groups) {
        for (const service of [...(group.services ?? []), ...group.tasks.flatMap((task) => task.services ?? [])]) {
          if ((service.provider ?? "consul") !== "nomad") continue;
          for (const [field, tags] of [["tags", service.tags], ["canaryTags", service.canaryTags]] as const) {
            for (const problem of routerTagProblems(tags ?? [], job.namespace, this.zones)) {
              problems.push(`${job.node.path}: ${field} of service "${service.name ?? group.name}" (namespace "${job.namespace}"): ${problem}`);
            }
          }
        }
      }
    }
    return problems;
  }

  /** The URL `expose(service, hostname, options)` serves the service at: https for a name with a certificate. */
  public urlOf(hostname: string, options: ExposeOptions = {}): string {
    return `${this.tlsOf(hostname, options) === "acme" ? "https" : "http"}://${hostname}/`;
  }

  /** Public names get an ACME certificate; names under the lab domain stay on HTTP; `options.tls` chooses otherwise. */
  private tlsOf(hostname: string, options: ExposeOptions): NonNullable<ExposeOptions["tls"]> {
    return options.tls ?? (this.isInternal(hostname) ? "none" : "acme");
  }

  private isInternal(hostname: string): boolean {
    return this.domain !== undefined && (hostname === this.domain || hostname.endsWith(`.${this.domain}`));
  }

  /**
   * Routes `hostname` to `service` (Traefik router tags on its service registration): a public
   * name over HTTPS with an ACME certificate, a name under the lab domain over plain HTTP
   * (`options` choose otherwise). When the ingress has a public zone that contains the name,
   * creates its public DNS records (child "PublicHostname-<hostname>" of the service) and
   * returns them. A public name outside that zone needs `dns: "external"`.
   */
  public expose(service: ExposableService, hostname: string, options: ExposeOptions = {}): PublicHostname | undefined {
    const zone = this.publicZone;
    const problems: string[] = [];
    if (!this.namespaces.includes(service.namespace)) {
      problems.push(
        `the service runs in namespace "${service.namespace}", which the ingress does not route ` +
          `(it routes ${this.namespaces.join(", ")}); add the namespace to the ingress's namespaces`,
      );
    }
    const internal = this.isInternal(hostname);
    const inPublicZone = zone !== undefined && inZone(hostname, zone);
    const tls = this.tlsOf(hostname, options);
    const nameProblem = dnsNameProblem(hostname);
    if (nameProblem) {
      problems.push(`it ${nameProblem}`);
    } else {
      const refusal = this.zones.refusal(service.namespace, hostname);
      if (refusal) problems.push(`${refusal}; pick a hostname the service's namespace owns, or change the ingress's hostnameZones`);
      if (inPublicZone && options.dns !== "external" && this.publicAddresses.length === 0) {
        problems.push(`the ingress has the public zone "${zone!.zoneName}" but no publicAddresses for the record to point at`);
      }
      if (!internal && !inPublicZone && options.dns !== "external") {
        const domain = this.domain;
        const where = zone
          ? domain
            ? `it is in neither the public zone "${zone.zoneName}" nor the lab domain "${domain}"`
            : `it is outside the public zone "${zone.zoneName}"`
          : `the ingress has no public zone (the environment's cloudflare)${domain ? ` and the name is not under the lab domain "${domain}"` : ""}`;
        problems.push(
          `${where}, so no DNS record would point it at the ingress; create the record yourself (the ingress hosts' public addresses) ` +
            `and pass { dns: "external" }, ${zone ? `or use a name in "${zone.zoneName}"` : "or set a public zone"}`,
        );
      }
      if (tls === "acme") problems.push(...this.acmeProblems(service.namespace, hostname));
    }
    throwIfProblems(service, `cannot expose "${hostname}" via ${this.node.path}`, problems);
    const router = `${service.serviceName}-${hostname}`.toLowerCase().replace(ROUTER_NAME, "-");
    if (!this.enabled.has(service)) {
      service.addTags(ENABLE_TAG);
      this.enabled.add(service);
    }
    const prefix = `traefik.http.routers.${router}`;
    service.addTags(`${prefix}.rule=Host(\`${hostname}\`)`);
    if (tls === "acme") {
      service.addTags(`${prefix}.entrypoints=${WEBSECURE_ENTRYPOINT}`, `${prefix}.tls=true`);
      this.renewer().addCertificate({
        hostname,
        challenge: inPublicZone && this.acme!.cloudflareApiToken !== undefined ? "dns-01" : "http-01",
      });
    } else {
      service.addTags(`${prefix}.entrypoints=${WEB_ENTRYPOINT}`);
    }

    if (!inPublicZone || options.dns === "external") return undefined;
    return new PublicHostname(service, `PublicHostname-${hostname}`, { zone: zone!, hostname, addresses: this.publicAddresses });
  }

  private acmeProblems(namespace: string, hostname: string): string[] {
    if (!this.acme) {
      return [`it needs a certificate (public names are served over HTTPS) but the ingress has no acme settings; set acme ({ email }) on the ingress (an environment's acme) or pass { tls: "none" } to serve it over plain HTTP`];
    }
    if (this.isolatedNames.includes(namespace)) {
      return [`namespace "${namespace}" has a Traefik of its own, which serves plain HTTP only; pass { tls: "none" }`];
    }
    const path = certificateVariablePath(hostname);
    if (path.length > MAX_VARIABLE_PATH) {
      return [`its certificate's Nomad variable path "${path}" is longer than Nomad's ${MAX_VARIABLE_PATH} characters; use a hostname of at most ${hostname.length - (path.length - MAX_VARIABLE_PATH)} characters`];
    }
    return [];
  }

  /** The ACME renewer (child "Acme"), once a hostname needs a certificate. */
  public get acmeRenewer(): AcmeRenewer | undefined {
    return this.renewerJob;
  }

  private renewer(): AcmeRenewer {
    this.renewerJob ??= new AcmeRenewer(this, "Acme", { settings: this.acme!, namespace: this.job.namespace, datacenters: this.datacenters });
    return this.renewerJob;
  }
}
