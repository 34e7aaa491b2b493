/**
 * keepalived.conf for DnsVip, generated from typed settings. The parts only known on the
 * client (which interface, this host's address, the peers) come in as `KeepalivedRuntime`:
 * consul-template expressions in the jobspec, concrete values when a test renders the file
 * the container will see.
 */

export interface KeepalivedSettings {
  /** The virtual IP, e.g. "10.0.10.2". */
  readonly vip: string;
  /** Prefix length the VIP is added with: the subnet's on a LAN, 32 where routing is layer 3. */
  readonly vipPrefixLength: number;
  /** VRRP router id, 1-255, unique among the VRRP instances of the network. */
  readonly virtualRouterId: number;
  /** Election priority; equal priorities elect the highest address. */
  readonly priority: number;
  /** Seconds between VRRP adverts. */
  readonly advertIntervalSeconds: number;
  /** VRRP PASS authentication (at most 8 characters), or none. */
  readonly authPassword?: string;
  /** Script run when this instance becomes MASTER (e.g. to move the VIP through an API). */
  readonly notifyMaster?: string;
}

/** The values keepalived.conf needs from the host it runs on. */
export interface KeepalivedRuntime {
  /** Interface the VRRP instance and the VIP live on. */
  readonly interface: string;
  /** This host's address, the source of its unicast adverts. */
  readonly sourceAddress: string;
  /** Lines inside `unicast_peer { }`: one peer address per line (or a template producing them). */
  readonly peerLines: string;
}

/** The VRRP instance's name; it appears in keepalived's logs and notify arguments. */
export const VRRP_INSTANCE = "coredns";

/** Lowest and highest VRRP router ids (RFC 5798: an 8-bit VRID, 0 is reserved). */
export const VIRTUAL_ROUTER_ID_RANGE = [1, 255] as const;

/** keepalived's limit on a PASS authentication password. */
export const MAX_AUTH_PASSWORD_LENGTH = 8;

/**
 * Renders keepalived.conf: one unicast VRRP instance that starts as BACKUP and never
 * preempts, so a restarted instance does not take the VIP back and bounce DNS.
 */
export function renderKeepalivedConf(settings: KeepalivedSettings, runtime: KeepalivedRuntime): string {
  const lines = [
    "global_defs {",
    // Scripts run as root: the container has no keepalived_script user.
    ...(settings.notifyMaster ? ["    script_user root"] : []),
    "}",
    "",
    `vrrp_instance ${VRRP_INSTANCE} {`,
    "    state BACKUP",
    "    nopreempt",
    `    interface ${runtime.interface}`,
    `    virtual_router_id ${settings.virtualRouterId}`,
    `    priority ${settings.priority}`,
    `    advert_int ${settings.advertIntervalSeconds}`,
    `    unicast_src_ip ${runtime.sourceAddress}`,
    "    unicast_peer {",
    runtime.peerLines,
    "    }",
    "    virtual_ipaddress {",
    `        ${settings.vip}/${settings.vipPrefixLength} dev ${runtime.interface}`,
    "    }",
  ];
  if (settings.authPassword !== undefined) {
    lines.push("    authentication {", "        auth_type PASS", `        auth_pass ${settings.authPassword}`, "    }");
  }
  if (settings.notifyMaster) {
    lines.push(`    notify_master "${settings.notifyMaster}"`);
  }
  lines.push("}", "");
  return lines.join("\n");
}

/** Problems with keepalived settings that are plain values (tokens are checked by Terraform). */
export function keepalivedProblems(settings: Pick<KeepalivedSettings, "virtualRouterId" | "priority">): string[] {
  const problems: string[] = [];
  const [low, high] = VIRTUAL_ROUTER_ID_RANGE;
  if (!Number.isInteger(settings.virtualRouterId) || settings.virtualRouterId < low || settings.virtualRouterId > high) {
    problems.push(
      `virtualRouterId ${settings.virtualRouterId} is not a VRRP router id: use a whole number from ${low} to ${high}, unique among the VRRP instances on the network`,
    );
  }
  if (!Number.isInteger(settings.priority) || settings.priority < 1 || settings.priority > 254) {
    problems.push(`priority ${settings.priority} is outside keepalived's 1-254: use e.g. 100`);
  }
  return problems;
}
