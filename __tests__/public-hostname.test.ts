import { TerraformStack, Testing } from "cdktf";
import { CloudflareProvider } from "../constructs/providers";
import { PublicHostname, PublicHostnameProps } from "../constructs/public-hostname";
import { resourcesOf, synthApp } from "./support/synth";

const ZONE = { zoneId: "0123456789abcdef0123456789abcdef", zoneName: "example.com" };

function synth(props: Partial<PublicHostnameProps>) {
  const stacks = synthApp((app) => {
    const stack = new TerraformStack(app, "dns");
    new CloudflareProvider(stack, "cloudflare", {});
    new PublicHostname(stack, "Tools", { zone: ZONE, hostname: "tools.example.com", addresses: ["203.0.113.10"], ...props });
  });
  return Object.values(resourcesOf(stacks.dns, "cloudflare_dns_record")).map(({ "//": _metadata, ...record }) => record);
}

describe("PublicHostname", () => {
  it("creates a cloudflare_dns_record (provider 5.x) with the zone, full name, type A and the ingress address", () => {
    expect(synth({})).toEqual([
      {
        zone_id: ZONE.zoneId,
        name: "tools.example.com",
        type: "A",
        content: "203.0.113.10",
        proxied: false,
        ttl: 300,
        comment: "managed by hashilab",
      },
    ]);
  });

  it("creates one record per ingress address", () => {
    const records = synth({ addresses: ["203.0.113.10", "203.0.113.11"] });
    expect(records.map((r) => r.content)).toEqual(["203.0.113.10", "203.0.113.11"]);
  });

  it("gives proxied records Cloudflare's automatic TTL", () => {
    expect(synth({ proxied: true })[0]).toMatchObject({ proxied: true, ttl: 1 });
  });

  it("accepts the zone apex", () => {
    expect(synth({ hostname: "example.com" })[0].name).toBe("example.com");
  });

  const build = (props: Partial<PublicHostnameProps>) => () =>
    new PublicHostname(Testing.app().node.root as any, "Tools", { zone: ZONE, hostname: "tools.example.com", addresses: ["203.0.113.10"], ...props });

  it("fails for a hostname outside the zone", () => {
    expect(build({ hostname: "tools.example.org" })).toThrow(/Tools: invalid public hostname "tools\.example\.org":[\s\S]*not inside the zone "example\.com"/);
    expect(build({ hostname: "notexample.com" })).toThrow(/not inside the zone/);
  });

  it("fails for a name that is not a lowercase DNS name", () => {
    expect(build({ hostname: "Tools.example.com" })).toThrow('hostname has upper-case letters; DNS names are written lowercase here ("tools.example.com")');
    expect(build({ hostname: "tools.example.com." })).toThrow('hostname ends in a dot; write it without the trailing dot ("tools.example.com")');
  });

  it("fails without addresses, or for an address that is not IPv4", () => {
    expect(build({ addresses: [] })).toThrow(/no addresses/);
    expect(build({ addresses: ["2001:db8::1"] })).toThrow(/address "2001:db8::1" is not an IPv4 address/);
  });

  it("fails for a TTL Cloudflare rejects", () => {
    expect(build({ ttlSeconds: 30 })).toThrow(/ttlSeconds 30 is outside Cloudflare's 60-86400/);
    expect(build({ proxied: true, ttlSeconds: 300 })).toThrow(/proxied records have an automatic TTL/);
  });
});
