import { Job, Port, Task, Template } from "../nomad-job/model";
import { renderCorefile } from "./corefile";
import { HETZNER_API_URL, HETZNER_METADATA_URL, renderHetznerVipScript } from "./hetzner-vip-script";
import { KeepalivedRuntime, renderKeepalivedConf } from "./keepalived";

/**
 * The CoreDNS job of DnsVip as a Nomad job model: seed 000's second CoreDNS job, with the
 * Corefile and keepalived.conf generated from settings. Names here (job "coredns", group
 * "dns", tasks "keepalived-dns" and "coredns", services "coredns") are a public contract:
 * the Nomad variable path, the policy binding and the keepalived peer lookup depend on them.
 */

export const JOB_NAME = "coredns";
export const GROUP_NAME = "dns";
export const KEEPALIVED_TASK = "keepalived-dns";
export const COREDNS_TASK = "coredns";
export const SERVICE_NAME = "coredns";
export const DNS_PORT = 53;
export const METRICS_PORT = 9153;
export const HEALTH_PORT = 8080;

/** Where the keepalived task's secrets live: tasks read `nomad/jobs/<job>/<group>/<task>` without a policy. */
export const SECRETS_VARIABLE_PATH = `nomad/jobs/${JOB_NAME}/${GROUP_NAME}/${KEEPALIVED_TASK}`;
/** Item names in that variable. */
export const HCLOUD_TOKEN_ITEM = "hcloud_token";
export const VRRP_PASSWORD_ITEM = "vrrp_password";

/** How the VIP is held: plain VRRP (ARP) on a LAN, moved through the Hetzner API, or not at all. */
export type VipMode = "lan" | "hetzner" | "none";

export interface CoreDnsJobSettings {
  readonly mode: VipMode;
  readonly domain: string;
  readonly namespace: string;
  readonly datacenters?: readonly string[];
  readonly instances: number;
  readonly canaries: number;
  readonly driver: "podman" | "docker";
  readonly coreDnsImage: string;
  readonly keepalivedImage: string;
  readonly hostNetwork?: string;
  readonly servedNamespaces: readonly string[];
  readonly defaultNamespace: string;
  readonly upstreams: readonly string[];
  readonly cacheSeconds: number;
  /** The VIP and its subnet; absent in mode "none". */
  readonly vip?: { readonly address: string; readonly subnetCidr: string; readonly prefixLength: number };
  /** A literal interface name; otherwise the interface with an address in the subnet, found on the host. */
  readonly interface?: string;
  readonly virtualRouterId: number;
  readonly priority: number;
  readonly vrrpAuthentication: boolean;
  /** Hetzner network id (mode "hetzner"). */
  readonly hetznerNetworkId?: string;
}

/** consul-template expressions the client renders. */
const HOST_IP = '{{ env "NOMAD_IP_dns" }}';
const METRICS_IP = '{{ env "NOMAD_IP_metrics" }}';
const nomadVarItem = (item: string) => `{{ with nomadVar "${SECRETS_VARIABLE_PATH}" }}{{ .${item} }}{{ end }}`;

/** Paths inside the keepalived container (the driver mounts the task's local/ and secrets/ there). */
const KEEPALIVED_CONF = "/usr/local/etc/keepalived/keepalived.conf";
const NOTIFY_SCRIPT = "local/hetzner-vip.sh";
const AUTH_HEADER = "secrets/hcloud-auth.header";

export function coreDnsJob(s: CoreDnsJobSettings): Job {
  const ports: Port[] = [
    { label: "dns", static: DNS_PORT, hostNetwork: s.hostNetwork },
    { label: "metrics", static: METRICS_PORT, hostNetwork: s.hostNetwork },
  ];
  const tasks: Task[] = [];
  if (s.vip && s.mode !== "none") tasks.push(keepalivedTask(s, s.vip));
  tasks.push(coreDnsTask(s));
  return {
    name: JOB_NAME,
    namespace: s.namespace,
    datacenters: s.datacenters,
    type: "service",
    groups: [
      {
        name: GROUP_NAME,
        count: s.instances,
        constraints: [{ operator: "distinct_hosts", value: "true" }],
        network: { mode: "host", ports },
        update: {
          maxParallel: 1,
          minHealthyTime: "60s",
          autoRevert: true,
          // Nomad only accepts auto_promote with canaries.
          autoPromote: s.canaries > 0 ? true : undefined,
          canary: s.canaries > 0 ? s.canaries : undefined,
        },
        tasks,
      },
    ],
  };
}

function coreDnsTask(s: CoreDnsJobSettings): Task {
  const corefile = renderCorefile({
    domain: s.domain,
    bindAddresses: s.vip ? [HOST_IP, s.vip.address] : [HOST_IP],
    namespaces: s.servedNamespaces,
    defaultNamespace: s.defaultNamespace,
    upstreams: s.upstreams,
    cacheSeconds: s.cacheSeconds,
    nomadTtlSeconds: 10,
    nomadAddress: "unix:///secrets/api.sock",
    metricsAddress: `${METRICS_IP}:${METRICS_PORT}`,
    healthAddress: `${HOST_IP}:${HEALTH_PORT}`,
  });
  return {
    name: COREDNS_TASK,
    driver: s.driver,
    config: {
      image: s.coreDnsImage,
      networkMode: "host",
      forcePull: false,
      ports: ["dns", "metrics"],
      args: ["-conf", "/local/coredns/corefile"],
    },
    // The nomad plugin calls the task API socket with this token (NOMAD_TOKEN); a new token
    // is picked up by reloading.
    identities: [{ env: true, changeMode: "signal", changeSignal: "SIGHUP" }],
    services: [
      {
        provider: "nomad",
        port: "dns",
        name: SERVICE_NAME,
        tags: ["coredns"],
        checks: [{ type: "tcp", interval: "10s", timeout: "2s" }],
      },
      { provider: "nomad", port: "metrics", name: SERVICE_NAME, tags: ["metrics", "coredns"] },
    ],
    templates: [
      {
        data: corefile,
        destination: "local/coredns/corefile",
        env: false,
        changeMode: "signal",
        changeSignal: "SIGHUP",
        leftDelimiter: "{{",
        rightDelimiter: "}}",
      },
    ],
    resources: { cpuMhz: 100, memoryMb: 128 },
  };
}

function keepalivedTask(s: CoreDnsJobSettings, vip: NonNullable<CoreDnsJobSettings["vip"]>): Task {
  const hetzner = s.mode === "hetzner";
  const conf = renderKeepalivedConf(
    {
      vip: vip.address,
      vipPrefixLength: vip.prefixLength,
      virtualRouterId: s.virtualRouterId,
      priority: s.priority,
      advertIntervalSeconds: 1,
      authPassword: s.vrrpAuthentication ? nomadVarItem(VRRP_PASSWORD_ITEM) : undefined,
      notifyMaster: hetzner ? `/${NOTIFY_SCRIPT}` : undefined,
    },
    keepalivedTemplateRuntime(vip.subnetCidr, s.interface),
  );
  const templates: Template[] = [{ destination: "local/keepalived.conf", changeMode: "restart", splay: "1m", data: conf }];
  if (hetzner) {
    templates.push(
      {
        destination: NOTIFY_SCRIPT,
        perms: "0755",
        changeMode: "restart",
        data: renderHetznerVipScript({
          vip: vip.address,
          networkId: s.hetznerNetworkId ?? "",
          authHeaderFile: `/${AUTH_HEADER}`,
          apiUrl: HETZNER_API_URL,
          metadataUrl: HETZNER_METADATA_URL,
          attempts: 5,
        }),
      },
      {
        destination: AUTH_HEADER,
        perms: "0400",
        changeMode: "restart",
        data: `Authorization: Bearer ${nomadVarItem(HCLOUD_TOKEN_ITEM)}\n`,
      },
    );
  }
  return {
    name: KEEPALIVED_TASK,
    driver: s.driver,
    lifecycle: { hook: "prestart", sidecar: true },
    config: {
      image: s.keepalivedImage,
      networkMode: "host",
      forcePull: false,
      volumes: [`local/keepalived.conf:${KEEPALIVED_CONF}`],
      capAdd: ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"],
    },
    templates,
    resources: { cpuMhz: 100, memoryMb: 32 },
  };
}

/**
 * What keepalived.conf takes from the host, as consul-template expressions: the interface
 * holding an address of the subnet unless one is named, this host's DNS address, and the
 * other DNS instances from Nomad's service catalog (only the dns port's registrations, so
 * each peer appears once, and never this host itself). Seed 000 starts its interface query
 * from GetPrivateInterfaces, which older go-sockaddr limits to the default route's interface:
 * on Hetzner that is the public one, so all interfaces are searched here.
 */
export function keepalivedTemplateRuntime(subnetCidr: string, iface?: string): KeepalivedRuntime {
  return {
    interface: iface ?? `{{ sockaddr "GetAllInterfaces | include \\"network\\" \\"${subnetCidr}\\" | limit 1 | attr \\"name\\"" }}`,
    sourceAddress: HOST_IP,
    peerLines: [
      `{{- range nomadService "${SERVICE_NAME}" }}{{ if and (eq .Port ${DNS_PORT}) (ne .Address (env "NOMAD_IP_dns")) }}`,
      "        {{ .Address }}",
      "{{- end }}{{ end }}",
    ].join("\n"),
  };
}
