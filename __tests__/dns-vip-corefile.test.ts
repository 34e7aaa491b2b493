import { CorefileSettings, renderCorefile } from "../constructs/dns-vip/corefile";

const SAMPLE: CorefileSettings = {
  domain: "home.example.net",
  bindAddresses: ["10.0.10.11", "10.0.10.2"],
  namespaces: ["default", "public"],
  defaultNamespace: "default",
  upstreams: ["185.12.64.1", "185.12.64.2"],
  cacheSeconds: 30,
  nomadTtlSeconds: 10,
  nomadAddress: "unix:///secrets/api.sock",
  metricsAddress: "10.0.10.11:9153",
  healthAddress: "10.0.10.11:8080",
};

/** The directives of one server block, by zone. */
function block(corefile: string, zone: string): string[] {
  const start = corefile.indexOf(`${zone} {\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = corefile.slice(start + zone.length + 3, corefile.indexOf("\n}\n", start));
  return body.split("\n").map((line) => line.trim());
}

describe("the Corefile for a sample domain", () => {
  const corefile = renderCorefile(SAMPLE);

  it("answers the lab domain from Nomad's services over the task API socket", () => {
    const lab = block(corefile, "home.example.net.");
    expect(lab).toContain("nomad service.nomad {");
    expect(lab).toContain("address unix:///secrets/api.sock");
    expect(lab).toContain("ttl 10");
    expect(lab).toContain("cache 30");
  });

  it("resolves <service>.<domain> in the default namespace (short names) and <service>.<namespace>.<domain> per namespace", () => {
    const rewrites = block(corefile, "home.example.net.").filter((l) => l.startsWith("rewrite"));
    expect(rewrites).toEqual([
      "rewrite stop { name suffix .default.home.example.net .default.service.nomad answer auto }",
      "rewrite stop { name suffix .public.home.example.net .public.service.nomad answer auto }",
      "rewrite stop { name suffix home.example.net default.service.nomad answer auto }",
    ]);
  });

  it("binds the host's address and the VIP in every block, logs, reports errors and exports metrics on :9153", () => {
    for (const zone of [".", "home.example.net."]) {
      const directives = block(corefile, zone);
      expect(directives).toContain("bind 10.0.10.11 10.0.10.2");
      expect(directives).toEqual(expect.arrayContaining(["log", "errors", "prometheus 10.0.10.11:9153"]));
    }
  });

  it("serves health once, in the root block, on the host's address only", () => {
    expect(block(corefile, ".")).toContain("health 10.0.10.11:8080");
    expect(corefile.match(/health/g)).toHaveLength(1);
  });

  it("forwards other names to the upstreams, or answers only the lab domain when there are none", () => {
    expect(block(corefile, ".")).toContain("forward . 185.12.64.1 185.12.64.2");
    const without = renderCorefile({ ...SAMPLE, upstreams: [] });
    expect(without).not.toContain("forward");
    expect(block(without, ".")).not.toContain("cache 30");
  });

  it("is stable text (snapshot)", () => {
    expect(corefile).toMatchSnapshot();
  });
});
