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
 * second NIC with a DHCP address; network-online.target does not reliably wait for it). So they
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

/** What a host's units depend on. */
export interface UnitHost {
  readonly isServer: boolean;
  readonly isClient: boolean;
  readonly privateIp: string;
}

/** The Nomad agent's unit; also delivered over SSH, so changes reach running hosts. */
export function nomadUnit(host: UnitHost): string {
  return renderUnit([
    [
      "Unit",
      [
        ["Description", "Nomad agent (hashilab)"],
        ["Wants", "network-online.target consul.service"],
        ["After", "network-online.target consul.service hashilab-metadata-block.service"],
        // No workload runs before the container firewall is loaded: a ruleset that fails to
        // load fails Nomad's start too (After alone would only order them).
        ["Requires", "hashilab-metadata-block.service"],
        // Pulls in (and orders after) the alloc dir's mount: a mount that fails keeps Nomad
        // down rather than letting it build chroots from hard links. A mount skipped by its
        // condition (no image) would not fail the start (systemd.unit: failing conditions do
        // not propagate through Requires=), hence the assertion.
        ...(host.isClient
          ? [["RequiresMountsFor", HOST_PATHS.nomadAllocDir] as const, ["AssertPathIsMountPoint", HOST_PATHS.nomadAllocDir] as const]
          : []),
        ...NEVER_GIVE_UP,
        ...deliveredConditions(host.isServer ? [HOST_PATHS.nomadGossipConfig] : []),
      ],
    ],
    [
      "Service",
      [
        // Clients need root for isolation (cgroups, chroot, network namespaces).
        ...waitForAddress(host.privateIp),
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

/**
 * Creates the alloc dir's image before its mount (hashilab-nomad-alloc-image.sh). Not
 * RemainAfterExit: each mount attempt runs it again, so a host migrated later gets its image.
 */
export function allocImageUnit(): string {
  return renderUnit([
    ["Unit", [["Description", "Create the filesystem image for Nomad's alloc dir (hashilab)"], ["Before", "opt-nomad-data-alloc.mount"]]],
    ["Service", [["Type", "oneshot"], ["ExecStart", `${HOST_PATHS.nomadAllocImageScript} ${HOST_PATHS.nomadAllocImage} ${HOST_PATHS.nomadAllocDir}`]]],
  ]);
}

/**
 * Loop-mounts the image on Nomad's alloc dir. nofail drops the Before=local-fs.target that a
 * local mount gets by default (systemd.mount(5)), which would be an ordering cycle with the
 * image unit (an ordinary service, after basic.target). No image (a host not migrated yet):
 * skipped, and Nomad starts as before. nodev, nosuid: tasks' files are neither; Nomad copies
 * chroot files without setuid bits anyway (fileCopy takes Mode().Perm()).
 */
export function allocMountUnit(): string {
  return renderUnit([
    [
      "Unit",
      [
        ["Description", "Nomad's alloc dir on a filesystem of its own (hashilab)"],
        // Requires: an image that cannot be made fails the mount, and so Nomad (fail closed).
        ["Requires", "hashilab-nomad-alloc-image.service"],
        ["After", "hashilab-nomad-alloc-image.service"],
        ["ConditionPathExists", HOST_PATHS.nomadAllocImage],
      ],
    ],
    [
      "Mount",
      [
        ["What", HOST_PATHS.nomadAllocImage],
        ["Where", HOST_PATHS.nomadAllocDir],
        ["Type", "ext4"],
        ["Options", "loop,discard,nodev,nosuid,nofail"],
        ["DirectoryMode", "0711"],
      ],
    ],
  ]);
}

/** Loads the container firewall (metadata service, agents' ports) before any workload runs. */
export function metadataBlockUnit(): string {
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

/**
 * Loads the host's own input firewall (renderHostFirewall) before the network comes up, as
 * Debian's nftables.service does (DefaultDependencies=no, Before=network-pre.target), and
 * removes its table when stopped.
 */
export function hostFirewallUnit(rulesFile: string): string {
  return renderUnit([
    [
      "Unit",
      [
        ["Description", "This host's input firewall (hashilab)"],
        ["DefaultDependencies", "no"],
        ["Wants", "network-pre.target"],
        ["Before", "network-pre.target shutdown.target"],
        ["Conflicts", "shutdown.target"],
      ],
    ],
    [
      "Service",
      [
        ["Type", "oneshot"],
        ["RemainAfterExit", "yes"],
        ["ExecStart", `/usr/sbin/nft -f ${rulesFile}`],
        ["ExecStop", "/usr/sbin/nft delete table inet hashilab_host"],
      ],
    ],
    ["Install", [["WantedBy", "sysinit.target"]]],
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
export function systemFiles(host: UnitHost): HostFile[] {
  const files: HostFile[] = [
    { path: HOST_PATHS.consulUnit, content: consulUnit(host.privateIp), permissions: "0644" },
    { path: HOST_PATHS.nomadUnit, content: nomadUnit(host), permissions: "0644" },
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
