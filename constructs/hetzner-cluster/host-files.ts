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

/** The Consul agent's unit; also delivered over SSH, so changes reach running hosts. */
export function consulUnit(): string {
  return renderUnit([
    [
      "Unit",
      [
        ["Description", "Consul agent (hashilab)"],
        ["Wants", "network-online.target"],
        ["After", "network-online.target"],
        ...deliveredConditions([HOST_PATHS.consulGossipConfig]),
      ],
    ],
    [
      "Service",
      [
        ["Type", "notify"],
        ["User", "consul"],
        ["Group", "consul"],
        ["ExecStart", `/usr/bin/consul agent -config-dir=${HOST_PATHS.consulConfigDir} -config-dir=${HOST_PATHS.consulSecretConfigDir}`],
        ["ExecReload", "/bin/kill --signal HUP $MAINPID"],
        ["KillMode", "process"],
        ["KillSignal", "SIGTERM"],
        ["Restart", "on-failure"],
        ["LimitNOFILE", "65536"],
      ],
    ],
    ["Install", [["WantedBy", "multi-user.target"]]],
  ]);
}

/** The Nomad agent's unit; also delivered over SSH, so changes reach running hosts. */
export function nomadUnit(isServer: boolean): string {
  return renderUnit([
    [
      "Unit",
      [
        ["Description", "Nomad agent (hashilab)"],
        ["Wants", "network-online.target consul.service"],
        ["After", "network-online.target consul.service hashilab-metadata-block.service"],
        ...deliveredConditions(isServer ? [HOST_PATHS.nomadGossipConfig] : []),
      ],
    ],
    [
      "Service",
      [
        // Clients need root for isolation (cgroups, chroot, network namespaces).
        ["ExecStart", `/usr/bin/nomad agent -config=${HOST_PATHS.nomadConfigDir} -config=${HOST_PATHS.nomadSecretConfigDir}`],
        ["ExecReload", "/bin/kill --signal HUP $MAINPID"],
        ["KillMode", "process"],
        ["KillSignal", "SIGINT"],
        ["Restart", "on-failure"],
        ["RestartSec", "2"],
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
        ["Description", "Drop forwarded traffic to the metadata service (hashilab)"],
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
export function systemFiles(host: { readonly isServer: boolean; readonly isClient: boolean }): HostFile[] {
  const files: HostFile[] = [
    { path: HOST_PATHS.consulUnit, content: consulUnit(), permissions: "0644" },
    { path: HOST_PATHS.nomadUnit, content: nomadUnit(host.isServer), permissions: "0644" },
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
