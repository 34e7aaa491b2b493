import { isIP } from "node:net";
import { Token } from "cdktf";

/**
 * The CoreDNS configuration of DnsVip, generated from typed settings. Values may be
 * consul-template expressions (`{{ env "NOMAD_IP_dns" }}`): the Corefile is the data of a
 * Nomad template, rendered on the client before CoreDNS reads it.
 */

export interface CorefileSettings {
  /** The lab domain CoreDNS is authoritative for, e.g. "lab.example.com". */
  readonly domain: string;
  /** Addresses every server block binds (the host's address, plus the VIP where there is one). */
  readonly bindAddresses: readonly string[];
  /** Namespaces answered as `<service>.<namespace>.<domain>`. */
  readonly namespaces: readonly string[];
  /** The namespace answered as `<service>.<domain>`. */
  readonly defaultNamespace: string;
  /** Resolvers the root zone forwards to; none: CoreDNS answers only for the lab domain. */
  readonly upstreams: readonly string[];
  /** How long answers are cached. */
  readonly cacheSeconds: number;
  /** TTL of the answers the nomad plugin gives. */
  readonly nomadTtlSeconds: number;
  /** Where the nomad plugin reaches the Nomad API (the task API socket). */
  readonly nomadAddress: string;
  /** host:port of the Prometheus metrics listener. */
  readonly metricsAddress: string;
  /** host:port of the health plugin's listener. */
  readonly healthAddress: string;
}

/** One Corefile directive: a plugin name, its arguments and an optional nested block. */
interface Directive {
  readonly name: string;
  readonly args?: readonly (string | number)[];
  readonly block?: readonly Directive[];
}

interface ServerBlock {
  readonly zone: string;
  readonly directives: readonly Directive[];
}

/** The zone Nomad services live in for the nomad plugin: `<service>.<namespace>.service.nomad`. */
const NOMAD_ZONE = "service.nomad";

/** Renders the Corefile: a root block (health, metrics, optional forwarding) and the lab domain's block. */
export function renderCorefile(settings: CorefileSettings): string {
  const common: Directive[] = [
    { name: "bind", args: settings.bindAddresses },
    { name: "prometheus", args: [settings.metricsAddress] },
    { name: "log" },
    { name: "errors" },
  ];
  const root: Directive[] = [...common, { name: "health", args: [settings.healthAddress] }];
  if (settings.upstreams.length > 0) {
    root.push({ name: "forward", args: [".", ...settings.upstreams] });
    root.push({ name: "cache", args: [settings.cacheSeconds] });
  }
  const lab: Directive[] = [
    ...common,
    ...namespaceRewrites(settings),
    {
      name: "nomad",
      args: [NOMAD_ZONE],
      block: [
        { name: "address", args: [settings.nomadAddress] },
        { name: "ttl", args: [settings.nomadTtlSeconds] },
      ],
    },
    { name: "cache", args: [settings.cacheSeconds] },
  ];
  return [
    { zone: ".", directives: root },
    { zone: `${settings.domain}.`, directives: lab },
  ]
    .map(renderServerBlock)
    .join("\n");
}

/**
 * `<service>.<namespace>.<domain>` → `<service>.<namespace>.service.nomad` for each namespace,
 * then `<service>.<domain>` → `<service>.<default>.service.nomad` (short names for the default namespace). `stop`
 * makes the first matching rule win, so the namespace rules come first; the leading dot keeps
 * a service called "xpublic" in the default namespace from matching the "public" rule.
 */
function namespaceRewrites(settings: CorefileSettings): Directive[] {
  const rule = (from: string, to: string): Directive => ({
    name: "rewrite",
    args: ["stop", "{", "name", "suffix", from, to, "answer", "auto", "}"],
  });
  return [
    ...settings.namespaces.map((ns) => rule(`.${ns}.${settings.domain}`, `.${ns}.${NOMAD_ZONE}`)),
    rule(settings.domain, `${settings.defaultNamespace}.${NOMAD_ZONE}`),
  ];
}

/** Forward transports CoreDNS's forward plugin knows (plugin/pkg/transport), besides a file or unix socket. */
const FORWARD_SCHEMES = ["dns", "tls", "quic", "grpc", "https"];

/**
 * Problems with values the Corefile takes as plain text: each would otherwise end a directive
 * or a block early, or make CoreDNS refuse to start.
 */
export function corefileProblems(s: Pick<CorefileSettings, "upstreams" | "cacheSeconds" | "namespaces">): string[] {
  const problems: string[] = [];
  s.upstreams.forEach((upstream, i) => {
    if (!Token.isUnresolved(upstream) && !isForwardTarget(upstream)) {
      problems.push(
        `upstreams[${i}] ${JSON.stringify(upstream)} is not a resolver CoreDNS's forward plugin takes: use an IP address, ` +
          'optionally with a port and dns:// or tls:// ("185.12.64.1", "tls://[2a01:4ff:ff00::add:1]:853"), or a resolv.conf path such as "/etc/resolv.conf"',
      );
    }
  });
  // CoreDNS's cache refuses a TTL of zero or less (plugin/cache/setup.go).
  if (!Number.isInteger(s.cacheSeconds) || s.cacheSeconds < 1) {
    problems.push(`cacheSeconds ${s.cacheSeconds} is not a whole number of seconds of 1 or more (CoreDNS's cache refuses 0): use e.g. 30`);
  }
  for (const namespace of s.namespaces.filter((ns) => ns.includes("*"))) {
    problems.push(
      `namespaces entry "${namespace}" is a glob; CoreDNS answers <service>.<namespace>.<domain> for each namespace by name: list the namespaces`,
    );
  }
  return problems;
}

/** `[scheme://]ip[:port]`, `unix://path` or a resolv.conf-like file, as plugin/pkg/parse/host.go reads them. */
function isForwardTarget(upstream: string): boolean {
  const [, scheme, address] = /^(?:([a-z]+):\/\/)?([\s\S]*)$/.exec(upstream) ?? [];
  const isPath = /^\/[A-Za-z0-9._/-]+$/.test(address);
  if (scheme === "unix") return isPath;
  if (scheme === undefined && isPath) return true;
  if (scheme !== undefined && !FORWARD_SCHEMES.includes(scheme)) return false;
  const port = (p: string) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;
  const bracketed = /^\[(.+)\]:(.+)$/.exec(address);
  if (bracketed) return isIP(withoutZone(bracketed[1])) !== 0 && port(bracketed[2]);
  if (isIP(withoutZone(address)) !== 0) return true;
  const ipv4AndPort = /^([^:]+):(.+)$/.exec(address);
  return ipv4AndPort !== null && isIP(ipv4AndPort[1]) === 4 && port(ipv4AndPort[2]);
}

/** An IPv6 address without its zone (fe80::1%eth0); a zone of other characters leaves no address. */
function withoutZone(address: string): string {
  const [ip, zone, ...more] = address.split("%");
  return zone === undefined || (more.length === 0 && /^[A-Za-z0-9_.-]+$/.test(zone)) ? ip : "";
}

function renderServerBlock(block: ServerBlock): string {
  return `${block.zone} {\n${renderDirectives(block.directives, 1)}}\n`;
}

function renderDirectives(directives: readonly Directive[], depth: number): string {
  const indent = "    ".repeat(depth);
  return directives
    .map((d) => {
      const head = [d.name, ...(d.args ?? [])].join(" ");
      if (!d.block) return `${indent}${head}\n`;
      return `${indent}${head} {\n${renderDirectives(d.block, depth + 1)}${indent}}\n`;
    })
    .join("");
}
