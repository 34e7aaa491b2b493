import { cidrContains, cidrsOverlap, coveredAddressCount, formatIpv4, hostAddress, Ipv4Cidr, parseCidr, parseIpv4 } from "../constructs/core";

const cidr = (text: string) => parseCidr(text) as Ipv4Cidr;

describe("the IPv4 CIDR parser", () => {
  it("parses dotted quads and rejects anything else", () => {
    expect(parseIpv4("10.0.10.11")).toBe(10 * 2 ** 24 + 10 * 256 + 11);
    expect(formatIpv4(parseIpv4("192.168.1.254")!)).toBe("192.168.1.254");
    for (const bad of ["10.0.10", "10.0.10.256", "10.0.010.1", "a.b.c.d", "10.0.0.0.0", ""]) expect(parseIpv4(bad)).toBeUndefined();
  });

  it("parses ranges and explains what is wrong with the others", () => {
    expect(cidr("10.0.0.0/16")).toEqual({ base: parseIpv4("10.0.0.0"), prefix: 16, text: "10.0.0.0/16" });
    expect(parseCidr("10.0.0.0")).toMatch(/is not an IPv4 CIDR/);
    expect(parseCidr("10.0.0.0/40")).toMatch(/prefix length above 32/);
    expect(parseCidr("10.0.10.1/24")).toMatch(/host bits set; the range is "10.0.10.0\/24"/);
  });

  it("knows containment and overlap", () => {
    expect(cidrContains(cidr("10.0.0.0/16"), cidr("10.0.10.0/24"))).toBe(true);
    expect(cidrContains(cidr("10.0.10.0/24"), cidr("10.0.0.0/16"))).toBe(false);
    expect(cidrContains(cidr("10.0.0.0/16"), cidr("10.1.10.0/24"))).toBe(false);
    expect(cidrsOverlap(cidr("172.16.0.0/12"), cidr("172.17.0.0/16"))).toBe(true);
    expect(cidrsOverlap(cidr("10.0.0.0/16"), cidr("10.88.0.0/16"))).toBe(false);
    expect(cidrContains(cidr("0.0.0.0/0"), cidr("203.0.113.7/32"))).toBe(true);
  });

  it("hands out host addresses inside the block only", () => {
    expect(hostAddress(cidr("10.0.10.0/24"), 11)).toBe("10.0.10.11");
    expect(() => hostAddress(cidr("10.0.10.0/24"), 256)).toThrow(RangeError);
  });
});

describe("coveredAddressCount", () => {
  it("counts the union of the blocks: overlaps, duplicates and nesting once", () => {
    expect(coveredAddressCount([])).toBe(0);
    expect(coveredAddressCount([cidr("203.0.113.7/32"), cidr("203.0.113.7/32")])).toBe(1);
    expect(coveredAddressCount([cidr("0.0.0.0/1"), cidr("128.0.0.0/1")])).toBe(2 ** 32);
    expect(coveredAddressCount([cidr("10.0.0.0/8"), cidr("10.1.0.0/16"), cidr("11.0.0.0/24")])).toBe(2 ** 24 + 256);
    expect(coveredAddressCount([cidr("255.255.255.255/32"), cidr("0.0.0.0/0")])).toBe(2 ** 32);
  });
});
