import { App, TerraformStack } from "cdktf";
import { NomadAclPolicy, NomadAclRole, NomadAclToken } from "../../constructs/acl";
import { DnsVip } from "../../constructs/dns-vip";
import { NomadService } from "../../constructs/nomad-service";
import { PublicHostname, PublicHostnameProps } from "../../constructs/public-hostname";
import { SEED_FACTS, SEED_PROPS } from "../dns-vip.support";
import { jobStack } from "../nomad-job.support";
import { buildCluster } from "../support/hetzner-cluster";
import { synthError } from "./synth-errors";

/**
 * Names the outside world accepts: Hetzner's server types and locations (a dated table with an
 * explicit escape for new ones), Cloudflare's names and addresses, CoreDNS's upstreams, and the
 * Nomad names construct ids turn into.
 */

const TYPES =
  "cx23, cx33, cx43, cx53, cpx12, cpx22, cpx32, cpx42, cpx52, cpx62, cax11, cax21, cax31, cax41, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63";
const CLUSTER_HEAD = "test/Cluster: invalid HetznerCluster:\n  - ";
const clusterError = (overrides: Parameters<typeof buildCluster>[0]) => synthError(() => buildCluster(overrides));

describe("Hetzner server types and locations (table of 2026-11-26)", () => {
  it("fails for a type Hetzner deprecated, naming its successor", () => {
    expect(clusterError({ serverType: "cx22" })).toBe(
      CLUSTER_HEAD + 'serverType "cx22" is deprecated by Hetzner (no new servers of it can be created); use "cx23" (same size, current generation) or an Arm type such as "cax11"',
    );
  });

  it("fails for a type in capitals, naming the lowercase one", () => {
    expect(clusterError({ serverType: "CX23" })).toBe(
      CLUSTER_HEAD + `serverType "CX23" is not a Hetzner server type (Hetzner's names are lowercase: "cx23"); known as of 2026-11-26: ${TYPES}. If Hetzner added it since, list it in newServerTypes`,
    );
  });

  it("fails for an unknown type, naming the known ones and the escape", () => {
    expect(clusterError({ serverType: "cx99" })).toBe(
      CLUSTER_HEAD + `serverType "cx99" is not a Hetzner server type; known as of 2026-11-26: ${TYPES}. If Hetzner added it since, list it in newServerTypes`,
    );
  });

  it("accepts a new type listed in newServerTypes", () => {
    expect(() => buildCluster({ serverType: "cx63", newServerTypes: ["cx63"] })).not.toThrow();
  });

  it("fails for an unknown client type when there are client-only hosts", () => {
    expect(clusterError({ clientCount: 1, clientType: "cax12" })).toBe(
      CLUSTER_HEAD + `clientType "cax12" is not a Hetzner server type; known as of 2026-11-26: ${TYPES}. If Hetzner added it since, list it in newServerTypes`,
    );
  });

  it("fails for an unknown location (Frankfurt is no Hetzner Cloud location)", () => {
    expect(clusterError({ location: "fra1" })).toBe(
      CLUSTER_HEAD +
        'location "fra1" is not a Hetzner location; known as of 2026-11-26: fsn1, nbg1, hel1, ash, hil, sin. If Hetzner added it since, list it with its network zone in newLocations, e.g. { "fra1": "eu-central" }',
    );
  });

  it("fails for a location outside its network zone", () => {
    expect(clusterError({ location: "ash" })).toBe(
      CLUSTER_HEAD + 'location "ash" is in network zone "us-east", not "eu-central": servers there cannot join the subnet; set networkZone to "us-east"',
    );
  });
});

describe("Cloudflare names and addresses", () => {
  const ZONE = { zoneId: "0123456789abcdef0123456789abcdef", zoneName: "example.com" };
  const hostnameError = (props: Partial<PublicHostnameProps>) =>
    synthError(() => new PublicHostname(new TerraformStack(new App(), "test"), "Tools", { zone: ZONE, hostname: "tools.example.com", addresses: ["203.0.113.10"], ...props }));
  const head = (hostname: string) => `test/Tools: invalid public hostname "${hostname}":\n  - `;

  const names: [string, string, string][] = [
    ["upper case", "Tools.example.com", 'hostname has upper-case letters; DNS names are written lowercase here ("tools.example.com")'],
    ["a trailing dot", "tools.example.com.", 'hostname ends in a dot; write it without the trailing dot ("tools.example.com")'],
    ["a label over 63 characters", `${"a".repeat(64)}.example.com`, `hostname has the label "aaaaaaaaaaaaaaaaaaaa…" of 64 characters; a label has at most 63`],
    ["a name over 253 characters", `${"abcdefghij.".repeat(23)}example.com`, "hostname is 264 characters long; a DNS name has at most 253"],
    [
      "an underscore",
      "my_tools.example.com",
      'hostname has the label "my_tools"; a label is letters a-z, digits and inner hyphens (no underscores, spaces or other characters; write an internationalized name in its xn-- form)',
    ],
    [
      "a non-ASCII label",
      "café.example.com",
      'hostname has the label "café"; a label is letters a-z, digits and inner hyphens (no underscores, spaces or other characters; write an internationalized name in its xn-- form)',
    ],
    ["an empty label", "tools..example.com", "hostname has an empty label (two dots in a row, or a leading dot)"],
    [
      "a label ending in a hyphen",
      "tools-.example.com",
      'hostname has the label "tools-"; a label is letters a-z, digits and inner hyphens (no underscores, spaces or other characters; write an internationalized name in its xn-- form)',
    ],
  ];
  it.each(names)("fails for a hostname with %s", (_what, hostname, problem) => {
    expect(hostnameError({ hostname })).toBe(head(hostname) + problem);
  });

  it("fails for a zone name with a trailing dot", () => {
    expect(hostnameError({ zone: { ...ZONE, zoneName: "example.com." } })).toBe(
      head("tools.example.com") + 'zone.zoneName "example.com." ends in a dot; write it without the trailing dot ("example.com")',
    );
  });

  const addresses: [string, string, string][] = [
    ["a private address", "10.0.10.11", "a private address (RFC 1918)"],
    ["a carrier-grade NAT address", "100.64.1.1", "a carrier-grade NAT address (RFC 6598)"],
    ["a loopback address", "127.0.0.1", "a loopback address"],
    ["a link-local address", "169.254.169.254", "a link-local address"],
  ];
  it.each(addresses)("fails for a public record pointing at %s", (_what, address, kind) => {
    expect(hostnameError({ addresses: [address] })).toBe(
      head("tools.example.com") + `address "${address}" is ${kind}, which nobody on the internet can reach; give the ingress hosts' public IPv4 addresses`,
    );
  });
});

describe("the lab domain and its DNS", () => {
  const dnsError = (props: object) => synthError(() => new DnsVip(jobStack(SEED_FACTS), "Dns", { ...SEED_PROPS, ...props }));

  it("fails for a lab domain in capitals", () => {
    expect(dnsError({ domain: "Lab.Example.com" })).toContain('domain "Lab.Example.com" has upper-case letters; DNS names are written lowercase here ("lab.example.com")');
  });

  it("fails for a single-label lab domain", () => {
    expect(dnsError({ domain: "lab" })).toContain('domain "lab" is a single label; use a fully qualified name such as "lab.example.com"');
  });

  it("fails for an upstream given by name (CoreDNS forward takes addresses)", () => {
    expect(dnsError({ upstreams: ["dns.google"] })).toContain(
      'upstreams[0] "dns.google" is not a resolver CoreDNS\'s forward plugin takes: use an IP address, optionally with a port and dns:// or tls://',
    );
  });
});

describe("construct ids that become Nomad names", () => {
  it("fails for an id with an accent rather than naming the job caf-", () => {
    expect(synthError(() => new NomadService(jobStack(), "Café", { image: "nginx:1.27" }))).toBe(
      'test/Café: invalid construct id:\n  - construct id "Café" does not turn into a Nomad name as written (it would become "caf-"): use ASCII letters and digits, words joined by "-" or "_" (e.g. "Cafe"), or set jobName',
    );
  });

  it("accepts an accented id when jobName says the name", () => {
    expect(new NomadService(jobStack(), "Café", { image: "nginx:1.27", jobName: "cafe" }).job.jobId).toBe("cafe");
  });

  it("fails for an id with a space as a role name", () => {
    const stack = jobStack();
    const policy = new NomadAclPolicy(stack, "Reader", { rules: { node: "read" } });
    expect(synthError(() => new NomadAclRole(stack, "My Team", { policies: [policy] }))).toBe(
      'test/My Team: invalid construct id:\n  - construct id "My Team" does not turn into a Nomad name as written (it would become "my-team"): use ASCII letters and digits, words joined by "-" or "_" (e.g. "MyTeam"), or set roleName',
    );
  });

  it("fails for a policy id with a dot, naming policyName", () => {
    expect(synthError(() => new NomadAclPolicy(jobStack(), "read.jobs", { rules: { node: "read" } }))).toContain('(e.g. "readjobs"), or set policyName');
  });

  it("fails for a token id ending in a symbol, naming tokenName", () => {
    const stack = jobStack();
    const policy = new NomadAclPolicy(stack, "Reader", { rules: { node: "read" } });
    expect(synthError(() => new NomadAclToken(stack, "ci!", { policies: [policy] }))).toContain('(it would become "ci-")');
  });

  it("keeps turning PascalCase ids into kebab-case names", () => {
    expect(new NomadService(jobStack(), "ItTools", { image: "nginx:1.27" }).job.jobId).toBe("it-tools");
  });
});

describe("hostile names", () => {
  it("fails for a server type named like an Object property rather than crashing", () => {
    expect(clusterError({ serverType: "constructor" })).toContain('serverType "constructor" is not a Hetzner server type');
  });

  it("fails for a location named like an Object property", () => {
    expect(clusterError({ location: "__proto__" })).toContain('location "__proto__" is not a Hetzner location');
  });

  it("fails for an id carrying Terraform interpolation rather than writing it into a name", () => {
    expect(synthError(() => new NomadService(jobStack(), "${var.x}", { image: "nginx:1.27" }))).toContain('(it would become "-var-x-")');
  });
});
