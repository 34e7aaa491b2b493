/**
 * A small IPv4 CIDR toolkit: enough to validate the cluster's ranges and hand out host
 * addresses at synth time, without a dependency.
 */

/** An IPv4 block: its first address as a 32-bit unsigned number and its prefix length. */
export interface Ipv4Cidr {
  readonly base: number;
  readonly prefix: number;
  /** The canonical text, e.g. "10.0.10.0/24". */
  readonly text: string;
}

/** Parses a dotted-quad IPv4 address; undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Formats a 32-bit unsigned number as a dotted quad. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The number of addresses in a block of this prefix length. */
export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/**
 * Parses "a.b.c.d/n". Returns a reason string when the text is not a CIDR or has host bits
 * set (10.0.10.5/24 is an address, not a range: it is almost always a typo).
 */
export function parseCidr(text: string): Ipv4Cidr | string {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  if (!match) return `"${text}" is not an IPv4 CIDR like "10.0.0.0/16"`;
  const base = parseIpv4(match[1]);
  const prefix = Number(match[2]);
  if (base === undefined) return `"${text}" has an invalid IPv4 address`;
  if (prefix > 32) return `"${text}" has a prefix length above 32`;
  if (base % blockSize(prefix) !== 0) {
    const aligned = base - (base % blockSize(prefix));
    return `"${text}" has host bits set; the range is "${formatIpv4(aligned)}/${prefix}"`;
  }
  return { base, prefix, text };
}

/** Whether `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.base - (inner.base % blockSize(outer.prefix)) === outer.base;
}

/** Whether two blocks share any address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/** The address `offset` places after the block's first address (offset 1 is the first host). */
export function hostAddress(cidr: Ipv4Cidr, offset: number): string {
  if (offset < 0 || offset >= blockSize(cidr.prefix)) {
    throw new RangeError(`offset ${offset} is outside ${cidr.text}`);
  }
  return formatIpv4(cidr.base + offset);
}

/** The RFC 1918 private ranges, the only ones Hetzner Cloud networks accept. */
export const PRIVATE_RANGES: readonly Ipv4Cidr[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map(
  (text) => parseCidr(text) as Ipv4Cidr,
);

/** How many distinct addresses the blocks cover together (overlaps and duplicates count once). */
export function coveredAddressCount(cidrs: readonly Ipv4Cidr[]): number {
  const ranges = cidrs.map((c) => [c.base, c.base + blockSize(c.prefix)] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = 0;
  for (const [start, stop] of ranges) {
    if (stop <= end) continue;
    total += stop - Math.max(start, end);
    end = stop;
  }
  return total;
}

/**
 * Ranges no connection from the internet can come from (RFC 6890): "this network", loopback,
 * link-local, multicast and the reserved block with the broadcast address.
 */
export const NON_ROUTABLE_RANGES: ReadonlyArray<readonly [Ipv4Cidr, string]> = (
  [
    ["0.0.0.0/8", "\"this network\""],
    ["127.0.0.0/8", "loopback"],
    ["169.254.0.0/16", "link-local"],
    ["224.0.0.0/4", "multicast"],
    ["240.0.0.0/4", "reserved"],
  ] as const
).map(([text, what]) => [parseCidr(text) as Ipv4Cidr, what] as const);

/** Shared address space behind carrier-grade NAT (RFC 6598): also never a public source. */
export const SHARED_ADDRESS_RANGE = parseCidr("100.64.0.0/10") as Ipv4Cidr;
