import { Job, Port, Task, Template } from "../nomad-job";
import { renderCorefile } from "./corefile";
import { HETZNER_API_URL, HETZNER_METADATA_URL, RECONCILE_ARGUMENT, renderHetznerVipScript } from "./hetzner-vip-script";
import { KeepalivedHealthCheck, KeepalivedRuntime, renderKeepalivedConf } from "./keepalived";

/**
 * The CoreDNS job of DnsVip as a Nomad job model: CoreDNS with a keepalived sidecar that holds
 * the VIP, the Corefile and keepalived.conf generated from settings. Names here (job "coredns", group
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
/**
 * host:port of CoreDNS's health listener: a dynamic port of the group, so Nomad picks one that
 * is free on the host (the health plugin's default, 8080, is also the ingress dashboard's).
 */
const HEALTH_ADDRESS = '{{ env "NOMAD_ADDR_health" }}';
const nomadVarItem = (item: string) => `{{ with nomadVar "${SECRETS_VARIABLE_PATH}" }}{{ .${item} }}{{ end }}`;

/**
 * Task-relative files of the keepalived task; the podman driver mounts the task's local/ and
 * secrets/ directories at /local and /secrets, and keepalived reads its files there. (A
 * single-file bind mount would keep showing the first version: Nomad's template renderer
 * replaces a file by renaming a new one over it.)
 */
const KEEPALIVED_CONF = "local/keepalived.conf";
const NOTIFY_SCRIPT = "local/hetzner-vip.sh";
const AUTH_HEADER = "secrets/hcloud-auth.header";

/**
 * The VIP leaves a host within about fall × interval + timeout (≈ 5 s) of its CoreDNS
 * failing, and a recovered CoreDNS must answer twice in a row before its host may hold the VIP again.
 */
export const HEALTH_CHECK: KeepalivedHealthCheck = { intervalSeconds: 2, timeoutSeconds: 1, fall: 2, rise: 2 };

export function coreDnsJob(s: CoreDnsJobSettings): Job {
  const ports: Port[] = [
    { label: "dns", static: DNS_PORT, hostNetwork: s.hostNetwork },
    { label: "metrics", static: METRICS_PORT, hostNetwork: s.hostNetwork },
    { label: "health", hostNetwork: s.hostNetwork },
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
    healthAddress: HEALTH_ADDRESS,
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
    // The nomad plugin calls the task API socket with this token: NOMAD_TOKEN, read from the
    // environment (nomad api.DefaultConfig) whenever the plugin is set up. A running process
    // never sees a new environment, so a new token needs a restart, not a reload.
    identities: [{ env: true, changeMode: "restart" }],
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
        // CoreDNS reloads its Corefile on SIGUSR1 and ignores SIGHUP (coredns/caddy sigtrap_posix.go).
        changeMode: "signal",
        changeSignal: "SIGUSR1",
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
      garpRefreshSeconds: hetzner ? undefined : 60,
      authPassword: s.vrrpAuthentication ? nomadVarItem(VRRP_PASSWORD_ITEM) : undefined,
      // Through sh: keepalived's script security disables a root script in a directory others
      // may write, and Nomad makes the task's local/ 0777 (client/allocdir/task_dir.go).
      notifyMaster: hetzner ? `/bin/sh /${NOTIFY_SCRIPT}` : undefined,
      healthCheck: HEALTH_CHECK,
      // The MASTER checks every 30 s that its server has the alias (one API read), so a VIP
      // another MASTER claimed last, or whose claim gave up in an API outage, comes back. One
      // attempt: with three servers at most seven API calls of up to 10 s, inside the timeout.
      reconcile: hetzner ? { command: `/bin/sh /${NOTIFY_SCRIPT} ${RECONCILE_ARGUMENT}`, intervalSeconds: 30, timeoutSeconds: 90 } : undefined,
    },
    keepalivedTemplateRuntime(vip.subnetCidr, s.interface),
  );
  // keepalived reloads keepalived.conf on SIGHUP and keeps its VRRP state (a MASTER stays
  // MASTER with its VIP), so a changed peer list no longer restarts it and moves the VIP.
  const templates: Template[] = [{ destination: KEEPALIVED_CONF, changeMode: "signal", changeSignal: "SIGHUP", data: conf }];
  if (hetzner) {
    // keepalived runs the notify script anew at each transition and curl reads the header at
    // each call: both take effect without disturbing keepalived.
    templates.push(
      {
        destination: NOTIFY_SCRIPT,
        perms: "0755",
        changeMode: "noop",
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
        changeMode: "noop",
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
      // keepalived itself is the container's first process: the image's entrypoint (a Python
      // supervisor) has no SIGHUP handler, and the kernel drops signals a PID namespace's init
      // does not handle, so the reload signal would never arrive.
      entrypoint: ["keepalived"],
      args: ["--dont-fork", "--log-console", "--log-detail", "--vrrp", "--use-file", `/${KEEPALIVED_CONF}`],
      networkMode: "host",
      forcePull: false,
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
 * each peer appears once, and never this host itself). The interface is searched among all
 * interfaces: older go-sockaddr limits GetPrivateInterfaces to the default route's interface,
 * which on Hetzner is the public one.
 */
export function keepalivedTemplateRuntime(subnetCidr: string, iface?: string): KeepalivedRuntime {
  return {
    interface: iface ?? `{{ sockaddr "GetAllInterfaces | include \\"network\\" \\"${subnetCidr}\\" | limit 1 | attr \\"name\\"" }}`,
    sourceAddress: HOST_IP,
    healthUrl: `http://${HEALTH_ADDRESS}/health`,
    peerLines: [
      `{{- range nomadService "${SERVICE_NAME}" }}{{ if and (eq .Port ${DNS_PORT}) (ne .Address (env "NOMAD_IP_dns")) }}`,
      "        {{ .Address }}",
      "{{- end }}{{ end }}",
    ].join("\n"),
  };
}
