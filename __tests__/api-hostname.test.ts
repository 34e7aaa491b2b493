import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { App } from "cdktf";
import { EnvironmentConfig, home, lab } from "../environments";
import { addEnvironment } from "../stacks/environment";
import { resourcesOf, StackJson, synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";

const NAME = "nomad.example.com";
const ZONE = { zoneId: "0123456789abcdef0123456789abcdef", zoneName: "example.com" };

function withCluster(env: EnvironmentConfig, cluster: Record<string, unknown>, rest: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return { ...env, ...rest, cluster: { ...env.cluster, ...cluster } as EnvironmentConfig["cluster"] };
}

/** Every host certificate request's DNS names, by the host's name. */
const certificateNames = (hosts: StackJson) =>
  Object.fromEntries(Object.values<any>(resourcesOf(hosts, "tls_cert_request")).map((r): [string, string[]] => [r.subject[0].common_name, r.dns_names]));

/** The Nomad and Consul providers' settings of every stack that has them. */
const providersOf = (stacks: Record<string, StackJson>) =>
  Object.entries(stacks).flatMap(([name, stack]) =>
    (["nomad", "consul"] as const).flatMap((kind) => (stack.provider?.[kind] ?? []).map((p: Record<string, unknown>) => ({ stack: name, kind, ...p }))),
  );

/**
 * One HTTPS request the way the Nomad and Consul providers make it (Go's net/http, the cluster
 * CA, no server name of their own) to a name that resolves to `addresses` in turn, of which only
 * 127.0.0.1 has a server, with a certificate for `certificateNames` (support/api-failover.go).
 */
function requestThroughName(addresses: string[], certificateNames: string[]): { tried: string[]; answeredBy?: string; status?: string; error?: string } {
  requireTool("go");
  const out = execFileSync("go", ["run", join(__dirname, "support", "api-failover.go")], {
    input: JSON.stringify({ name: NAME, addresses, certificateNames }),
    encoding: "utf8",
    env: { ...process.env, GO111MODULE: "off" },
  });
  return JSON.parse(out);
}

describe("what the API name relies on: Go's dialer and TLS, as the providers use them", () => {
  it("tries each address of the name in turn while servers refuse, and verifies the certificate against the name", () => {
    expect(requestThroughName(["127.0.0.2", "127.0.0.3", "127.0.0.1"], [NAME])).toEqual({ tried: ["127.0.0.2", "127.0.0.3", "127.0.0.1"], answeredBy: "127.0.0.1", status: "200 OK" });
  });

  it("fails when the certificate does not carry the name (why every server's certificate must)", () => {
    expect(requestThroughName(["127.0.0.1"], ["other.example.com"]).error).toMatch(/x509: certificate is valid for other\.example\.com, not nomad\.example\.com$/);
  });

  it("fails when no address of the name answers, after trying each (Go reports the first address's error)", () => {
    const result = requestThroughName(["127.0.0.2", "127.0.0.3"], [NAME]);
    expect(result.tried).toEqual(["127.0.0.2", "127.0.0.3"]);
    expect(result.error).toMatch(/dial tcp 127\.0\.0\.2:\d+: connect: connection refused$/);
  });
});

describe("a cluster's API name (apiHostname): one A record per server, so deploys survive the loss of any one", () => {
  describe("on Hetzner with the name in the environment's Cloudflare zone", () => {
    const stacks = synthEnvironment(withCluster(lab, { apiHostname: NAME, clientCount: 1 }, { cloudflare: ZONE }));
    const hosts = stacks["lab-hosts"];

    it("is the address of every Nomad and Consul provider, with the cluster CA and verification on", () => {
      const providers = providersOf(stacks);
      expect(providers.map((p) => `${p.stack} ${p.kind}`).sort()).toEqual(["lab-platform consul", "lab-platform nomad", "lab-workloads consul", "lab-workloads nomad"]);
      for (const p of providers) {
        expect(p.address).toBe(p.kind === "nomad" ? `https://${NAME}:4646` : `https://${NAME}:8501`);
        expect(p.ca_pem).toBeDefined();
        expect(p).not.toHaveProperty("skip_verify");
        expect(p).not.toHaveProperty("insecure_https");
      }
    });

    it("is where the ACL bootstrap and the outputs point", () => {
      expect(hosts.output.nomad_address.value).toBe(`https://${NAME}:4646`);
      expect(hosts.output.consul_address.value).toBe(`https://${NAME}:8501`);
      const bootstraps = Object.values<any>(resourcesOf(stacks["lab-acl"], "terraform_data")).filter((r) => r.provisioner?.[0]?.["local-exec"]?.environment?.ACL_ADDRESS);
      // Each system's bootstrap and its retirement of superseded tokens run the same script at the same address.
      expect([...new Set(bootstraps.map((r) => r.provisioner[0]["local-exec"].environment.ACL_ADDRESS))].sort()).toEqual([`https://${NAME}:4646`, `https://${NAME}:8501`]);
    });

    it("is in every server's certificate (the host the providers verify), and in no client-only host's", () => {
      const names = certificateNames(hosts);
      const servers = Object.keys(names).filter((host) => host.startsWith("lab-server-"));
      const clients = Object.keys(names).filter((host) => host.startsWith("lab-client-"));
      expect(servers).toHaveLength(3);
      expect(clients).toHaveLength(1);
      for (const id of servers) expect(names[id]).toContain(NAME);
      for (const id of clients) expect(names[id]).not.toContain(NAME);
    });

    it("has one A record per server's public address in Cloudflare, with a TTL of a minute, unproxied", () => {
      const records = Object.values<any>(resourcesOf(hosts, "cloudflare_dns_record"));
      expect(records.map((r) => r.content)).toEqual(
        Object.entries(resourcesOf(hosts, "hcloud_server"))
          .filter(([id]) => id.includes("Server-"))
          .map(([id]) => `\${hcloud_server.${id}.ipv4_address}`),
      );
      for (const r of records) expect(r).toMatchObject({ name: NAME, type: "A", ttl: 60, proxied: false, zone_id: ZONE.zoneId });
      expect(hosts.provider.cloudflare).toHaveLength(1);
      expect(hosts.output.api_hostname.value).toEqual({ name: NAME, addresses: records.map((r) => r.content) });
    });
  });

  it("outside the Cloudflare zone, leaves the records to the operator's DNS and lists them in the api_hostname output", () => {
    const hosts = synthEnvironment(withCluster(lab, { apiHostname: "nomad.example.net" }, { cloudflare: ZONE }))["lab-hosts"];
    expect(resourcesOf(hosts, "cloudflare_dns_record")).toEqual({});
    expect(hosts.provider.cloudflare).toBeUndefined();
    expect(hosts.output.api_hostname.value.name).toBe("nomad.example.net");
    expect(hosts.output.api_hostname.value.addresses).toHaveLength(3);
  });

  it("on LAN hosts, names the servers' LAN addresses for the router's DNS, and every server's certificate carries it", () => {
    const name = "nomad.example.net";
    const stacks = synthEnvironment(withCluster(home, { apiHostname: name }));
    const hosts = stacks["home-hosts"];
    expect(hosts.output.api_hostname.value).toEqual({ name, addresses: ["192.168.1.21", "192.168.1.22", "192.168.1.23"] });
    expect(Object.values(certificateNames(hosts)).every((names) => names.includes(name))).toBe(true);
    expect(providersOf(stacks).map((p) => p.address)).toEqual(expect.arrayContaining([`https://${name}:4646`, `https://${name}:8501`]));
    expect(resourcesOf(hosts, "cloudflare_dns_record")).toEqual({});
  });

  it("without one, the providers reach the first server and there is no api_hostname output", () => {
    const stacks = synthEnvironment(lab);
    expect(stacks["lab-hosts"].output.api_hostname).toBeUndefined();
    expect(stacks["lab-hosts"].output.nomad_address.value).toMatch(/^https:\/\/\$\{hcloud_server\.[^}]+Server-1[^}]*\.ipv4_address\}:4646$/);
  });

  describe("fails synth for what no resolver or certificate can hold", () => {
    const build = (env: EnvironmentConfig) => () => addEnvironment(new App(), env);

    it.each([
      ["an IP address (one server's, which does not survive its loss)", "203.0.113.10", /apiHostname "203\.0\.113\.10" is an IP address, .* give a DNS name with one A record per server/],
      ["upper-case letters", "Nomad.Lab.example.com", /apiHostname "Nomad\.Lab\.example\.com" has upper-case letters/],
      ["an underscore", "nomad_api.example.com", /apiHostname "nomad_api\.example\.com" has the label "nomad_api"/],
      ["a single label", "nomad", /apiHostname "nomad" is a single label/],
      ["a trailing dot", "nomad.example.com.", /apiHostname "nomad\.example\.com\." ends in a dot/],
      ["a Terraform template", "${var.x}.example.com", /apiHostname "\$\{var\.x\}\.example\.com" has the label/],
      ["a newline", "nomad.example.com\nx", /apiHostname "nomad\.example\.com\\nx" has the label/],
      ["a wildcard", "*.example.com", /apiHostname "\*\.example\.com" has the label "\*"/],
    ])("fails for %s on Hetzner, naming the construct and the field", (_what, name, message) => {
      expect(build(withCluster(lab, { apiHostname: name }))).toThrow(/lab-hosts\/Cluster: invalid HetznerCluster:\n/);
      expect(build(withCluster(lab, { apiHostname: name }))).toThrow(message);
    });

    it("fails for an IP address on LAN hosts too", () => {
      expect(build(withCluster(home, { apiHostname: "192.168.1.21" }))).toThrow(/home-hosts\/Cluster: invalid SshCluster:\n {2}- apiHostname "192\.168\.1\.21" is an IP address/);
    });

    it("fails for a name in the lab domain, which the cluster's own CoreDNS answers from Nomad's services", () => {
      for (const [env, name] of [
        [lab, "nomad.lab.example.com"],
        [home, "home.example.com"],
      ] as const) {
        expect(build(withCluster(env, { apiHostname: name }))).toThrow(
          `environment "${env.name}" (EnvironmentConfig):\n  - cluster.apiHostname "${name}" lies in the lab domain "${env.domain}", which the cluster's own CoreDNS answers from Nomad's services ` +
            `wherever the domain is forwarded to the DNS VIP, so it would not resolve to the servers: pick a name outside it, e.g. "nomad.example.com"`,
        );
      }
    });

    it("fails for a name that is not text, in the environment's own words", () => {
      expect(build(withCluster(lab, { apiHostname: 42 }))).toThrow('environment "lab" (EnvironmentConfig):\n  - cluster.apiHostname is 42 (a number); it must be a string');
    });
  });
});
