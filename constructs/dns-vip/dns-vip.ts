import { Fn, Op, TerraformResource, TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { NomadAclPolicy } from "../acl";
import { clusterFactsOf, factSource } from "../cluster-facts";
import { addDependsOn, blockSize, cidrContains, dnsNameProblem, formatIpv4, Ipv4Cidr, parseCidr, parseIpv4, throwIfProblems } from "../core";
import { NomadJob } from "../nomad-job";
import { NomadVariable } from "../nomad-variable";
import {
  CoreDnsJobSettings,
  coreDnsJob,
  HCLOUD_TOKEN_ITEM,
  SECRETS_VARIABLE_PATH,
  VipMode,
  VRRP_PASSWORD_ITEM,
} from "./coredns-job";
import { secretInputProblems } from "../secrets";
import { corefileProblems } from "./corefile";
import { networkIdProblems } from "./hetzner-vip-script";
import { interfaceProblems, keepalivedProblems, MAX_AUTH_PASSWORD_LENGTH } from "./keepalived";

export type { VipMode };

/** Hetzner Cloud specifics of the `hetzner` VIP mode. */
export interface DnsVipHetznerProps {
  /** Id of the Hetzner network the DNS hosts are attached to (e.g. the hosts stack's network id). */
  readonly networkId: string;
  /**
   * A Hetzner Cloud API token (read/write) that may move alias IPs, as a sensitive Terraform
   * variable without a default. It is stored in a Nomad variable that only the keepalived task
   * reads; it never appears in the jobspec.
   */
  readonly apiToken: TerraformVariable;
}

export interface DnsVipProps {
  /** The lab domain CoreDNS answers for, e.g. "lab.example.com". */
  readonly domain: string;
  /**
   * How the VIP is held: "lan" (plain VRRP, the VIP moves by ARP, as on a home LAN), "hetzner"
   * (layer-3 network: the new MASTER moves an alias IP through the Hetzner API) or "none"
   * (one CoreDNS on the host's address, no keepalived; for a single dev agent).
   */
  readonly mode: VipMode;
  /** The virtual IP clients resolve the lab domain through. Required unless mode is "none". @default none */
  readonly vip?: string;
  /** The hosts' subnet; the VIP must lie in it. Required unless mode is "none". @default none */
  readonly subnetCidr?: string;
  /** Addresses of the hosts in the subnet; the VIP must not be one of them. @default none known */
  readonly hostAddresses?: readonly string[];
  /** The interface keepalived manages. @default the host interface with an address in subnetCidr */
  readonly interface?: string;
  /** VRRP router id, 1-255, unique among VRRP instances on the network. @default 53 */
  readonly virtualRouterId?: number;
  /** keepalived priority (equal priorities elect the highest address). @default 100 */
  readonly priority?: number;
  /**
   * VRRP PASS authentication (1-8 printable ASCII characters without spaces, '"', "#", "!",
   * "{" or "}") as a sensitive Terraform variable without a default, stored in a Nomad variable
   * only the keepalived task reads; Terraform refuses any other at plan (preconditions).
   * @default no VRRP authentication
   */
  readonly vrrpPassword?: TerraformVariable;
  /** The Hetzner network and API token the VIP moves with. Required in mode "hetzner". @default none */
  readonly hetzner?: DnsVipHetznerProps;
  /**
   * Namespaces CoreDNS answers for (`<service>.<namespace>.<domain>`) and may read jobs and
   * services in (the dns-read-jobs policy).
   */
  readonly namespaces: readonly string[];
  /** The namespace `<service>.<domain>` resolves in. @default "default" */
  readonly defaultNamespace?: string;
  /**
   * Resolvers for names outside the lab domain, as CoreDNS's forward plugin takes them: an IP
   * address, optionally with a port and dns:// or tls://, or a resolv.conf path inside the
   * CoreDNS container. @default none: only the lab domain is answered
   */
  readonly upstreams?: readonly string[];
  /** How long answers are cached. @default 30 */
  readonly cacheSeconds?: number;
  /** CoreDNS instances, one per host. @default 3 (1 in mode "none") */
  readonly instances?: number;
  /**
   * Canaries per update, promoted automatically once healthy. A canary needs a host of its own
   * (static port 53, distinct_hosts), so one per instance can never be placed: set this only
   * with at least `instances + canaries` clients.
   * @default 0: a rolling update, one instance at a time, 60 s apart, reverted on failure
   */
  readonly canaries?: number;
  /** The namespace the DNS job runs in. @default "dns" */
  readonly namespace?: string;
  /** @default every datacenter */
  readonly datacenters?: readonly string[];
  /**
   * keepalived needs NET_ADMIN and NET_BROADCAST, which Docker refuses without allow_caps in the
   * client's plugin config, hence podman; "docker" only in mode "none". @default "podman"
   */
  readonly driver?: "podman" | "docker";
  /** The client host network the DNS and metrics ports bind on. @default the client's default network */
  readonly hostNetwork?: string;
  /** The policy's name in Nomad. @default "dns-read-jobs" */
  readonly policyName?: string;
  /**
   * An image with the nomad plugin: CoreDNS 1.13 and 1.14 releases include it; later sources
   * compile it only with the `coredns_nomad` build tag.
   * @default "docker.io/coredns/coredns:1.13.2"
   */
  readonly coreDnsImage?: string;
  /**
   * An image with keepalived on its PATH, /usr/bin/curl (the CoreDNS health check), /bin/sh and
   * ip (the Hetzner notify script). The task runs keepalived itself, not the image's entrypoint.
   * @default "docker.io/osixia/keepalived:2.0.20"
   */
  readonly keepalivedImage?: string;
}

/**
 * CoreDNS answering for the lab domain from Nomad's service discovery, one instance per host,
 * on a virtual IP held by keepalived, so clients keep one DNS address while hosts come and go.
 * Its least-privilege
 * policy (dns-read-jobs over `namespaces`, plus the agent read the nomad plugin needs for
 * /v1/agent/self) is bound to the job with `job_acl`.
 *
 * Children: "Job" (NomadJob), its policy "ReadJobs" under it, and "Secrets" (NomadVariable) when the
 * keepalived task has secrets (Hetzner API token, VRRP password).
 */
export class DnsVip extends Construct {
  public readonly job: NomadJob;
  public readonly policy: NomadAclPolicy;
  /** The address clients resolve the lab domain through (the VIP), undefined in mode "none". */
  public readonly vip?: string;
  public readonly domain: string;

  constructor(scope: Construct, id: string, props: DnsVipProps) {
    super(scope, id);
    const settings = withDefaults(props);
    throwIfProblems(this, "invalid DnsVip", [...validate(settings), ...this.canaryProblems(settings), ...this.driverProblems(settings)]);
    const mode = settings.mode;
    const subnet = settings.subnetCidr ? (parseCidr(settings.subnetCidr) as Ipv4Cidr) : undefined;
    this.vip = mode === "none" ? undefined : settings.vip;
    this.domain = settings.domain;
    const jobSettings: CoreDnsJobSettings = {
      mode,
      domain: settings.domain,
      namespace: settings.namespace,
      datacenters: settings.datacenters,
      instances: settings.instances,
      canaries: settings.canaries,
      driver: settings.driver,
      coreDnsImage: settings.coreDnsImage,
      keepalivedImage: settings.keepalivedImage,
      hostNetwork: settings.hostNetwork,
      servedNamespaces: settings.namespaces,
      defaultNamespace: settings.defaultNamespace,
      upstreams: settings.upstreams,
      cacheSeconds: settings.cacheSeconds,
      vip:
        this.vip && subnet
          ? {
              address: this.vip,
              subnetCidr: subnet.text,
              // A LAN interface holds the VIP in its subnet; on Hetzner every address is a /32 route.
              prefixLength: mode === "hetzner" ? 32 : subnet.prefix,
            }
          : undefined,
      interface: settings.interface,
      virtualRouterId: settings.virtualRouterId,
      priority: settings.priority,
      vrrpAuthentication: settings.vrrpPassword !== undefined,
      hetznerNetworkId: settings.hetzner?.networkId,
    };
    this.job = new NomadJob(this, "Job", coreDnsJob(jobSettings));
    this.policy = this.job.grantReadJobs(settings.namespaces, {
      agentRead: true,
      policyName: settings.policyName,
      description: `CoreDNS (${settings.domain}): read jobs and services in ${settings.namespaces.join(", ")}, and /v1/agent/self`,
    });
    const items: Record<string, TerraformVariable> = {};
    if (mode === "hetzner" && settings.hetzner) items[HCLOUD_TOKEN_ITEM] = settings.hetzner.apiToken;
    if (mode !== "none" && settings.vrrpPassword) items[VRRP_PASSWORD_ITEM] = settings.vrrpPassword;
    if (Object.keys(items).length > 0) {
      const secrets = new NomadVariable(this, "Secrets", { path: SECRETS_VARIABLE_PATH, namespace: this.job.namespace, items });
      if (items[VRRP_PASSWORD_ITEM]) requireVrrpPasswordLength(secrets.resource, items[VRRP_PASSWORD_ITEM]);
      // The keepalived task's templates block until the variable exists.
      addDependsOn(this.job.resource, secrets.resource);
    }
  }

  /** The driver must be one the clients enable (checked here to say why keepalived needs podman). */
  private driverProblems(settings: DnsVipSettings): string[] {
    const { driver, mode } = settings;
    const facts = clusterFactsOf(this);
    const enabled = facts?.drivers;
    if (!facts || enabled === undefined || enabled.includes(driver)) return [];
    const why = mode === "none" ? "" : ` (keepalived needs podman in mode "${mode}")`;
    return [
      `driver "${driver}"${why} is not enabled on the clients (enabled: ${enabled.join(", ")}): ` +
        `add "${driver}" to ${factSource(facts, "drivers")}${mode === "none" ? ", or pick an enabled driver" : ""}`,
    ];
  }

  /** Canaries run beside the instances on hosts of their own. */
  private canaryProblems(settings: DnsVipSettings): string[] {
    const { canaries, instances } = settings;
    if (!Number.isInteger(canaries) || canaries < 0) return [`canaries ${canaries} is not a whole number of 0 or more`];
    const facts = clusterFactsOf(this);
    const clients = facts?.clientCount;
    if (!facts || canaries === 0 || clients === undefined || instances + canaries <= clients) return [];
    return [
      `${instances} instances + ${canaries} canaries need ${instances + canaries} clients (static port 53, one per host), ` +
        `but there are ${clients} (${factSource(facts, "clientCount")}): set canaries to ${Math.max(clients - instances, 0)} or fewer`,
    ];
  }
}

/** The props with every default applied: the one place each default is written. */
type DnsVipSettings = Required<
  Omit<DnsVipProps, "vip" | "subnetCidr" | "interface" | "vrrpPassword" | "hetzner" | "datacenters" | "hostNetwork">
> &
  Pick<DnsVipProps, "vip" | "subnetCidr" | "interface" | "vrrpPassword" | "hetzner" | "datacenters" | "hostNetwork">;

function withDefaults(props: DnsVipProps): DnsVipSettings {
  return {
    ...props,
    hostAddresses: props.hostAddresses ?? [],
    virtualRouterId: props.virtualRouterId ?? 53,
    priority: props.priority ?? 100,
    defaultNamespace: props.defaultNamespace ?? "default",
    upstreams: props.upstreams ?? [],
    cacheSeconds: props.cacheSeconds ?? 30,
    instances: props.instances ?? (props.mode === "none" ? 1 : 3),
    canaries: props.canaries ?? 0,
    namespace: props.namespace ?? "dns",
    driver: props.driver ?? "podman",
    policyName: props.policyName ?? "dns-read-jobs",
    coreDnsImage: props.coreDnsImage ?? "docker.io/coredns/coredns:1.13.2",
    keepalivedImage: props.keepalivedImage ?? "docker.io/osixia/keepalived:2.0.20",
  };
}

function validate(props: DnsVipSettings): string[] {
  const problems: string[] = [
    ...secretInputProblems("hetzner.apiToken", props.hetzner?.apiToken),
    ...secretInputProblems("vrrpPassword", props.vrrpPassword),
  ];
  const domainProblem = Token.isUnresolved(props.domain) ? undefined : dnsNameProblem(props.domain);
  if (domainProblem) problems.push(`domain "${props.domain}" ${domainProblem}`);
  if (props.namespaces.length === 0) problems.push("namespaces is empty: list the namespaces whose services CoreDNS answers for");
  const defaultNamespace = props.defaultNamespace;
  if (!props.namespaces.includes(defaultNamespace)) {
    problems.push(`defaultNamespace "${defaultNamespace}" is not in namespaces (${props.namespaces.join(", ")}): add it, or set defaultNamespace`);
  }
  problems.push(...corefileProblems({ upstreams: props.upstreams, cacheSeconds: props.cacheSeconds, namespaces: props.namespaces }));
  const instances = props.instances;
  if (!Number.isInteger(instances) || instances < 1) problems.push(`instances ${instances} is not a whole number of 1 or more: use e.g. 3, one per DNS host`);
  if (props.mode === "none") return problems;
  if (props.driver === "docker") {
    problems.push(
      `mode "${props.mode}" runs keepalived, which needs NET_ADMIN and NET_BROADCAST; Docker refuses them unless the client's ` +
        'docker plugin sets allow_caps, which the hosts do not: use driver "podman" (enabled in the clients\' drivers, the environment\'s cluster.drivers), or mode "none"',
    );
  }
  problems.push(...keepalivedProblems({ virtualRouterId: props.virtualRouterId, priority: props.priority }));
  problems.push(...vipProblems(props), ...interfaceProblems(props.interface));
  if (props.mode === "hetzner" && props.hetzner) problems.push(...networkIdProblems(props.hetzner.networkId));
  if (props.mode === "hetzner" && !props.hetzner) {
    problems.push('mode "hetzner" needs hetzner: { networkId, apiToken } so the new MASTER can move the alias IP through the API');
  }
  return problems;
}

/**
 * The password is known only at deploy time (it has no default), so Terraform checks its length
 * at plan: keepalived's PASS authentication takes 1-8 characters. A precondition rather than a
 * variable validation: Terraform 1.11 prints a variable's value when its validation fails,
 * sensitive or not (checked here; opentofu/opentofu#2219 traces the cause), a precondition never.
 */
function requireVrrpPasswordLength(resource: TerraformResource, password: TerraformVariable): void {
  const length = Fn.lengthOf(password.value);
  resource.lifecycle = {
    ...resource.lifecycle,
    precondition: [
      ...(resource.lifecycle?.precondition ?? []),
      {
        condition: Op.and(Op.gte(length, 1), Op.lte(length, MAX_AUTH_PASSWORD_LENGTH)),
        errorMessage: `The VRRP password (DnsVip vrrpPassword) must have 1-${MAX_AUTH_PASSWORD_LENGTH} characters: keepalived's PASS authentication takes no more.`,
      },
      {
        // It is written into keepalived.conf as is: keepalived ends a word at whitespace, "#",
        // "!", "{" or "}" (the password silently shrinks to what comes before) and refuses an
        // unpaired '"'; PASS authentication compares bytes, so printable ASCII only.
        // Printable ASCII is "!" to "~"; the class leaves out "!", '"', "#", "{" and "}".
        condition: Fn.can(Fn.regex("^[$-z|~]*$", password.value)),
        errorMessage:
          'The VRRP password (DnsVip vrrpPassword) must be printable ASCII without spaces, \'"\', "#", "!", "{" or "}": keepalived.conf would cut it short there.',
      },
    ],
  };
}

function vipProblems(props: DnsVipSettings): string[] {
  const { vip, subnetCidr } = props;
  if (vip === undefined || subnetCidr === undefined) {
    return [`mode "${props.mode}" needs vip and subnetCidr (e.g. vip "10.0.10.2" in subnetCidr "10.0.10.0/24"); use mode "none" for a single host without a VIP`];
  }
  const subnet = parseCidr(subnetCidr);
  if (typeof subnet === "string") return [`subnetCidr: ${subnet}`];
  const address = parseIpv4(vip);
  if (address === undefined) return [`vip "${vip}" is not an IPv4 address; use one from ${subnet.text}, e.g. "${formatIpv4(subnet.base + 2)}"`];
  if (!cidrContains(subnet, { base: address, prefix: 32, text: `${vip}/32` })) {
    return [`vip "${vip}" is outside the hosts' subnet ${subnet.text}: clients could not reach it; pick a free address inside ${subnet.text}`];
  }
  if (subnet.prefix < 31 && (address === subnet.base || address === subnet.base + blockSize(subnet.prefix) - 1)) {
    return [`vip "${vip}" is the network or broadcast address of ${subnet.text}; pick a free host address inside it`];
  }
  if (props.hostAddresses.includes(vip)) {
    return [`vip "${vip}" is the address of a host (${props.hostAddresses.join(", ")}); pick a free address of ${subnet.text} that no host uses`];
  }
  return [];
}
