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
  /**
   * Seconds between the gratuitous ARPs a MASTER repeats, so LAN clients that still point at a
   * MASTER which stepped down (two MASTERs met) find the one that stayed; none where ARP is ignored.
   */
  readonly garpRefreshSeconds?: number;
  /** VRRP PASS authentication (at most 8 characters), or none. */
  readonly authPassword?: string;
  /**
   * Command run when this instance becomes MASTER, and again when it is MASTER and hears
   * another MASTER (e.g. to move the VIP through an API).
   */
  readonly notifyMaster?: string;
  /** How often and how strictly CoreDNS's health is checked. */
  readonly healthCheck: KeepalivedHealthCheck;
  /**
   * A command keepalived runs periodically on every instance to repair what a missed or
   * overtaken notify left behind (it acts only where this instance is MASTER).
   */
  readonly reconcile?: KeepalivedReconcile;
}

export interface KeepalivedReconcile {
  readonly command: string;
  readonly intervalSeconds: number;
  /** Seconds after which keepalived kills a run that has not finished. */
  readonly timeoutSeconds: number;
}

/**
 * Timing of the CoreDNS health check keepalived tracks. The check has no weight, so after
 * `fall` failures the instance enters FAULT: it drops the VIP and, if it was MASTER, sends a
 * priority-0 advert so a BACKUP takes over at once. A weight would only lower the priority,
 * which moves nothing here: with `nopreempt` no BACKUP takes the VIP from a live MASTER.
 */
export interface KeepalivedHealthCheck {
  /** Seconds between checks. */
  readonly intervalSeconds: number;
  /** Seconds one check may take (curl's limit); keepalived kills it a second later. */
  readonly timeoutSeconds: number;
  /** Consecutive failures before the instance gives up the VIP (FAULT). */
  readonly fall: number;
  /** Consecutive successes before it may hold the VIP again. */
  readonly rise: number;
}

/** The values keepalived.conf needs from the host it runs on. */
export interface KeepalivedRuntime {
  /** Interface the VRRP instance and the VIP live on. */
  readonly interface: string;
  /** This host's address, the source of its unicast adverts. */
  readonly sourceAddress: string;
  /** Lines inside `unicast_peer { }`: one peer address per line (or a template producing them). */
  readonly peerLines: string;
  /** URL of this host's CoreDNS health endpoint (the health plugin answers 200 on /health). */
  readonly healthUrl: string;
}

/** The VRRP instance's name; it appears in keepalived's logs and notify arguments. */
export const VRRP_INSTANCE = "coredns";

/** The tracked scripts' names. */
export const HEALTH_SCRIPT = "coredns_health";
export const RECONCILE_SCRIPT = "vip_reconcile";

/** curl in the keepalived image (osixia/keepalived installs Alpine's curl, in a root-owned path). */
export const CURL = "/usr/bin/curl";

/** Lowest and highest VRRP router ids (RFC 5798: an 8-bit VRID, 0 is reserved). */
export const VIRTUAL_ROUTER_ID_RANGE = [1, 255] as const;

/** keepalived's limit on a PASS authentication password. */
export const MAX_AUTH_PASSWORD_LENGTH = 8;

/**
 * Renders keepalived.conf: one unicast VRRP instance that starts as BACKUP and never
 * preempts, so a restarted instance does not take the VIP back and bounce DNS, and that
 * holds the VIP only while this host's CoreDNS answers its health check.
 */
export function renderKeepalivedConf(settings: KeepalivedSettings, runtime: KeepalivedRuntime): string {
  const check = settings.healthCheck;
  const lines = [
    "global_defs {",
    // The image has no keepalived_script user, so scripts run as root; keepalived refuses
    // (keepalived -t exits 6, "SECURITY VIOLATION") root scripts without script security,
    // which in turn disables any root script whose path a non-root user could write.
    "    script_user root",
    "    enable_script_security",
    "}",
    "",
    `vrrp_script ${HEALTH_SCRIPT} {`,
    // Run directly (no shell): keepalived splits the line into arguments.
    `    script "${CURL} --fail --silent --output /dev/null --max-time ${check.timeoutSeconds} ${runtime.healthUrl}"`,
    `    interval ${check.intervalSeconds}`,
    `    timeout ${check.timeoutSeconds + 1}`,
    `    fall ${check.fall}`,
    `    rise ${check.rise}`,
    // A starting instance counts CoreDNS as down until it has answered `rise` times.
    "    init_fail",
    "}",
    "",
    ...(settings.reconcile ? reconcileScript(settings.reconcile) : []),
    `vrrp_instance ${VRRP_INSTANCE} {`,
    "    state BACKUP",
    "    nopreempt",
    `    interface ${runtime.interface}`,
    `    virtual_router_id ${settings.virtualRouterId}`,
    `    priority ${settings.priority}`,
    `    advert_int ${settings.advertIntervalSeconds}`,
    ...(settings.garpRefreshSeconds ? [`    garp_master_refresh ${settings.garpRefreshSeconds}`] : []),
    `    unicast_src_ip ${runtime.sourceAddress}`,
    "    unicast_peer {",
    runtime.peerLines,
    "    }",
    "    virtual_ipaddress {",
    `        ${settings.vip}/${settings.vipPrefixLength} dev ${runtime.interface}`,
    "    }",
    // No weight: a failing check puts the instance in FAULT (see KeepalivedHealthCheck).
    "    track_script {",
    `        ${HEALTH_SCRIPT}`,
    ...(settings.reconcile ? [`        ${RECONCILE_SCRIPT}`] : []),
    "    }",
  ];
  if (settings.authPassword !== undefined) {
    lines.push("    authentication {", "        auth_type PASS", `        auth_pass ${settings.authPassword}`, "    }");
  }
  if (settings.notifyMaster) {
    // Two MASTERs (instances that started before they knew their peers, or a healed network
    // split) resolve by the lower one stepping down, which runs nothing on the one that stays:
    // keepalived runs this on it instead, so it takes the VIP back from the one that claimed it last.
    lines.push(`    notify_master "${settings.notifyMaster}"`, `    notify_master_rx_lower_pri "${settings.notifyMaster}"`);
  }
  lines.push("}", "");
  return lines.join("\n");
}

/**
 * Problems with an interface name given as a prop: Linux takes 1-15 bytes without "/", ":" or
 * whitespace (dev_valid_name), and keepalived.conf and the template would read braces,
 * quotes, "!" and "#" as syntax.
 */
export function interfaceProblems(name: string | undefined): string[] {
  if (name === undefined || /^[^/:\s{}"'!#]{1,15}$/.test(name) && name !== "." && name !== "..") return [];
  return [
    `interface ${JSON.stringify(name)} is not a network interface name: use the name \`ip link\` shows on the DNS hosts (1-15 characters ` +
      'without spaces, "/", ":", braces, quotes, "!" or "#"), e.g. "ens10", or leave it unset to find the interface by subnetCidr',
  ];
}

/**
 * keepalived runs a vrrp_script only while an instance tracks it. A weight keeps the
 * reconciler's result out of the instance's state: a failed run (an API outage) lowers the
 * priority by one, which with nopreempt moves nothing, where weight 0 would mean FAULT.
 */
function reconcileScript(r: KeepalivedReconcile): string[] {
  return [
    `vrrp_script ${RECONCILE_SCRIPT} {`,
    `    script "${r.command}"`,
    `    interval ${r.intervalSeconds}`,
    `    timeout ${r.timeoutSeconds}`,
    "    weight 1",
    "}",
    "",
  ];
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
