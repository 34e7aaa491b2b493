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
 * then `<service>.<domain>` → `<service>.<default>.service.nomad` (the seed's rule). `stop`
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
