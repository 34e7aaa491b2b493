import { Token } from "cdktf";
import { Construct } from "constructs";
import { cidrContains, dnsNameProblem, NON_ROUTABLE_RANGES, parseIpv4, PRIVATE_RANGES, SHARED_ADDRESS_RANGE, throwIfProblems } from "./core";
import { CloudflareDnsRecord } from "./providers";

/** A Cloudflare zone that public hostnames are created in. */
export interface PublicDnsZone {
  /** The zone's id (not a secret). */
  readonly zoneId: string;
  /** The zone's name, e.g. "example.com". */
  readonly zoneName: string;
}

export interface PublicHostnameProps {
  readonly zone: PublicDnsZone;
  /** The fully qualified hostname, inside the zone, e.g. "tools.example.com". */
  readonly hostname: string;
  /** The public IPv4 addresses the name resolves to (the ingress hosts'); one A record each. */
  readonly addresses: readonly string[];
  /** Route through Cloudflare's proxy (hides the hosts' addresses). @default false */
  readonly proxied?: boolean;
  /** Record TTL; Cloudflare's minimum is 60, and proxied records are always automatic. @default 300 (1, automatic, when proxied) */
  readonly ttlSeconds?: number;
}

/**
 * A public hostname in Cloudflare DNS (provider 5.x `cloudflare_dns_record`): one A record
 * per address, children "Record0", "Record1", ... The stack needs a Cloudflare provider
 * (its token comes from CLOUDFLARE_API_TOKEN).
 */
export class PublicHostname extends Construct {
  public readonly hostname: string;
  public readonly records: readonly CloudflareDnsRecord[];

  constructor(scope: Construct, id: string, props: PublicHostnameProps) {
    super(scope, id);
    const problems = hostnameProblems(props);
    throwIfProblems(this, `invalid public hostname "${props.hostname}"`, problems);
    this.hostname = props.hostname;
    const proxied = props.proxied ?? false;
    this.records = props.addresses.map(
      (address, i) =>
        new CloudflareDnsRecord(this, `Record${i}`, {
          zoneId: props.zone.zoneId,
          // The full name: Cloudflare stores and returns it that way, so a short name would diff forever.
          name: props.hostname,
          type: "A",
          content: address,
          proxied,
          ttl: props.ttlSeconds ?? (proxied ? 1 : 300),
          comment: "managed by hashilab",
        }),
    );
  }
}

/** Whether `hostname` lies in `zone` (the zone apex included). */
export function inZone(hostname: string, zone: PublicDnsZone): boolean {
  return hostname === zone.zoneName || hostname.endsWith(`.${zone.zoneName}`);
}

function hostnameProblems(props: PublicHostnameProps): string[] {
  const problems: string[] = [];
  const { hostname, zone } = props;
  const zoneProblem = Token.isUnresolved(zone.zoneName) ? undefined : dnsNameProblem(zone.zoneName);
  if (zoneProblem) problems.push(`zone.zoneName "${zone.zoneName}" ${zoneProblem}`);
  const nameProblem = Token.isUnresolved(hostname) ? undefined : dnsNameProblem(hostname);
  if (nameProblem) {
    problems.push(`hostname ${nameProblem}`);
  } else if (!Token.isUnresolved(hostname) && !zoneProblem && !Token.isUnresolved(zone.zoneName) && !inZone(hostname, zone)) {
    problems.push(`it is not inside the zone "${zone.zoneName}": use a name ending in ".${zone.zoneName}"`);
  }
  if (props.addresses.length === 0) problems.push("it has no addresses: give the ingress hosts' public IPv4 addresses");
  for (const address of props.addresses) {
    if (Token.isUnresolved(address)) continue;
    const value = parseIpv4(address);
    const notPublic = value === undefined ? undefined : nonPublicRange(value);
    if (value === undefined) problems.push(`address "${address}" is not an IPv4 address`);
    else if (notPublic) problems.push(`address "${address}" is ${notPublic}, which nobody on the internet can reach; give the ingress hosts' public IPv4 addresses`);
  }
  const ttl = props.ttlSeconds;
  if (ttl !== undefined && ttl !== 1 && (ttl < 60 || ttl > 86400)) {
    problems.push(`ttlSeconds ${ttl} is outside Cloudflare's 60-86400 (or 1 for automatic)`);
  }
  if (props.proxied && ttl !== undefined && ttl !== 1) problems.push("proxied records have an automatic TTL: leave ttlSeconds unset or 1");
  return problems;
}

/**
 * What kind of non-public address `value` is, if it is one: a public record pointing there
 * sends visitors nowhere (or into their own network). RFC 1918, RFC 6598 and RFC 6890's
 * non-routable blocks.
 */
function nonPublicRange(value: number): string | undefined {
  const address = { base: value, prefix: 32, text: "" };
  if (PRIVATE_RANGES.some((range) => cidrContains(range, address))) return "a private address (RFC 1918)";
  if (cidrContains(SHARED_ADDRESS_RANGE, address)) return "a carrier-grade NAT address (RFC 6598)";
  const reserved = NON_ROUTABLE_RANGES.find(([range]) => cidrContains(range, address));
  return reserved ? `a ${reserved[1]} address` : undefined;
}
