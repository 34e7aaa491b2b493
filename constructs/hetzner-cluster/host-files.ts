import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HOST_PATHS } from "./host-paths";

/** A file cloud-init writes (non-secret: user-data is readable by anything on the VM). */
export interface HostFile {
  readonly path: string;
  readonly content: string;
  readonly permissions: string;
}

/** The shell scripts and nft rules shipped beside this module (validated by shellcheck in tests). */
export function shippedFile(name: string): string {
  return readFileSync(join(__dirname, "files", name), "utf8");
}

type UnitSections = ReadonlyArray<readonly [section: string, entries: ReadonlyArray<readonly [string, string]>]>;

function renderUnit(sections: UnitSections): string {
  return sections
    .map(([section, entries]) => [`[${section}]`, ...entries.map(([key, value]) => `${key}=${value}`)].join("\n"))
    .join("\n\n")
    .concat("\n");
}

/** Both agents wait for the delivered TLS key; only gossiping Nomad servers need a Nomad key file. */
function deliveredConditions(configFiles: readonly string[]): Array<readonly [string, string]> {
  return [HOST_PATHS.agentKey, ...configFiles].map((path) => ["ConditionPathExists", path] as const);
}

/**
 * Both agents bind to the private address, which Hetzner attaches on its own schedule (a
 * hot-plugged NIC configured by DHCP; network-online.target does not wait for it). So they
 * wait for it, bounded, and systemd retries them forever: with systemd's default start limit
 * (5 starts in 10 s, `man systemd.unit`) and Restart's 100 ms default, a late NIC used it up
 * in under a second and left the agent down. StartLimitIntervalSec=0 turns the limit off.
 */
const NEVER_GIVE_UP: Array<readonly [string, string]> = [["StartLimitIntervalSec", "0"]];

/** How long an agent's start waits for its private address before it fails and is retried. */
export const PRIVATE_ADDRESS_WAIT_SECONDS = 60;

function waitForAddress(privateIp: string): Array<readonly [string, string]> {
  return [
    ["ExecStartPre", `${HOST_PATHS.waitAddressScript} ${privateIp} ${PRIVATE_ADDRESS_WAIT_SECONDS}`],
    ["Restart", "on-failure"],
    ["RestartSec", "2"],
  ];
}


/** The Consul agent's unit; also delivered over SSH, so changes reach running hosts. */
export function consulUnit(privateIp: string): string {
  return renderUnit([
    [
      "Unit",
      [
        ["Description", "Consul agent (hashilab)"],
        ["Wants", "network-online.target"],
        ["After", "network-online.target"],
        ...NEVER_GIVE_UP,
        ...deliveredConditions([HOST_PATHS.consulGossipConfig]),
      ],
    ],
    [
      "Service",
      [
        // Consul sends READY only after its first LAN join (retry_join); the start timeout
        // covers that plus the address wait (90 s, systemd's default, each).
        ["Type", "notify"],
        ["TimeoutStartSec", String(PRIVATE_ADDRESS_WAIT_SECONDS + 90)],
        ...waitForAddress(privateIp),
        ["User", "consul"],
        ["Group", "consul"],
        ["ExecStart", `/usr/bin/consul agent -config-dir=${HOST_PATHS.consulConfigDir} -config-dir=${HOST_PATHS.consulSecretConfigDir}`],
        ["ExecReload", "/bin/kill --signal HUP $MAINPID"],
        ["KillMode", "process"],
        ["KillSignal", "SIGTERM"],
        ["LimitNOFILE", "65536"],
      ],
    ],
    ["Install", [["WantedBy", "multi-user.target"]]],
  ]);
}

/** The Nomad agent's unit; also delivered over SSH, so changes reach running hosts. */
export function nomadUnit(isServer: boolean, privateIp: string): string {
  return renderUnit([
    [
      "Unit",
      [
        ["Description", "Nomad agent (hashilab)"],
        ["Wants", "network-online.target consul.service"],
        ["After", "network-online.target consul.service hashilab-metadata-block.service"],
        ...NEVER_GIVE_UP,
        ...deliveredConditions(isServer ? [HOST_PATHS.nomadGossipConfig] : []),
      ],
    ],
    [
      "Service",
      [
        // Clients need root for isolation (cgroups, chroot, network namespaces).
        ...waitForAddress(privateIp),
        ["ExecStart", `/usr/bin/nomad agent -config=${HOST_PATHS.nomadConfigDir} -config=${HOST_PATHS.nomadSecretConfigDir}`],
        ["ExecReload", "/bin/kill --signal HUP $MAINPID"],
        ["KillMode", "process"],
        ["KillSignal", "SIGINT"],
        ["LimitNOFILE", "65536"],
        ["LimitNPROC", "infinity"],
        ["TasksMax", "infinity"],
        ["OOMScoreAdjust", "-1000"],
      ],
    ],
    ["Install", [["WantedBy", "multi-user.target"]]],
  ]);
}

function metadataBlockUnit(): string {
  return renderUnit([
    [
      "Unit",
      [
        ["Description", "Keep container networks from the metadata service and the agents' ports (hashilab)"],
        ["Before", "docker.service podman.socket nomad.service"],
      ],
    ],
    ["Service", [["Type", "oneshot"], ["RemainAfterExit", "yes"], ["ExecStart", `/usr/sbin/nft -f ${HOST_PATHS.metadataFirewall}`]]],
    ["Install", [["WantedBy", "multi-user.target"]]],
  ]);
}

const CLIENT_SYSCTL = [
  "# DnsVip binds CoreDNS to the VIP before keepalived has moved it to this host.",
  "net.ipv4.ip_nonlocal_bind = 1",
  "# Bridge networking (CNI bridge, Docker, Podman): forward, and let iptables see bridged traffic.",
  "net.ipv4.ip_forward = 1",
  "net.bridge.bridge-nf-call-iptables = 1",
  "net.bridge.bridge-nf-call-ip6tables = 1",
  "net.bridge.bridge-nf-call-arptables = 1",
  "",
].join("\n");

/** The files every host gets, plus the client's kernel settings where it runs workloads. */
export function systemFiles(host: { readonly isServer: boolean; readonly isClient: boolean; readonly privateIp: string }): HostFile[] {
  const files: HostFile[] = [
    { path: HOST_PATHS.consulUnit, content: consulUnit(host.privateIp), permissions: "0644" },
    { path: HOST_PATHS.nomadUnit, content: nomadUnit(host.isServer, host.privateIp), permissions: "0644" },
    { path: "/etc/systemd/system/hashilab-metadata-block.service", content: metadataBlockUnit(), permissions: "0644" },
    { path: HOST_PATHS.metadataFirewall, content: shippedFile("metadata-block.nft"), permissions: "0644" },
    { path: HOST_PATHS.bootstrapScript, content: shippedFile("hashilab-bootstrap.sh"), permissions: "0755" },
    { path: "/etc/profile.d/hashilab.sh", content: shippedFile("hashilab-profile.sh"), permissions: "0644" },
  ];
  if (host.isClient) {
    files.push(
      { path: "/etc/modules-load.d/hashilab.conf", content: "br_netfilter\n", permissions: "0644" },
      { path: "/etc/sysctl.d/90-hashilab.conf", content: CLIENT_SYSCTL, permissions: "0644" },
    );
  }
  return files;
}
