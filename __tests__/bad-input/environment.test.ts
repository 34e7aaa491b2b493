import { dev, EnvironmentConfig, lab } from "../../environments";
import { environmentError, withField } from "./synth-errors";

/**
 * The environment validated as data before any stack is built (environments/schema.ts, then
 * environments/rules.ts): environments written in JavaScript or loaded from JSON never meet
 * TypeScript's types. Each case is one bad field; the error names its path, its value and what
 * is allowed.
 */

const LAB_HEAD = 'environment "lab" (EnvironmentConfig):\n  - ';
const DEV_HEAD = 'environment "dev" (EnvironmentConfig):\n  - ';

/** The one problem line reported for `lab` with `path` set to `value`. */
const labWith = (path: (string | number)[], value: unknown) => environmentError(withField(lab, path, value));
const devWith = (path: (string | number)[], value: unknown) => environmentError(withField(dev, path, value));

describe("the environment as data", () => {
  it("accepts the shipped environments, also after a round trip through JSON", () => {
    expect(environmentError(lab)).toBe("");
    expect(environmentError(dev)).toBe("");
    expect(environmentError(JSON.parse(JSON.stringify(lab)))).toBe("");
  });

  const cases: [string, (string | number)[], unknown, string, "lab" | "dev"][] = [
    ["a tier outside dev, lab, production", ["tier"], "prod", 'tier is "prod"; allowed: "dev", "lab", "production"', "lab"],
    ["a state kind in the wrong case", ["state", "kind"], "S3", 'state.kind is "S3"; allowed: "local", "s3"', "lab"],
    ["a VIP mode in the wrong case", ["dns", "mode"], "Hetzner", 'dns.mode is "Hetzner"; allowed: "lan", "hetzner", "none"', "lab"],
    ["a server count written as a string", ["cluster", "serverCount"], "3", 'cluster.serverCount is "3" (a string); it must be a number', "lab"],
    [
      "a missing sshKeys",
      ["cluster", "sshKeys"],
      undefined,
      "cluster.sshKeys is missing; it is required (a list): see EnvironmentConfig in environments/types.ts",
      "lab",
    ],
    ["an unknown cluster kind", ["cluster", "kind"], "Hetzner", 'cluster.kind is "Hetzner"; allowed: "hetzner", "ssh", "existing", "local"', "lab"],
    [
      "a misspelt cluster field",
      ["cluster", "serverCont"],
      5,
      'cluster has no field "serverCont" (a typo, or a field of another cluster kind?): see EnvironmentConfig in environments/types.ts',
      "lab",
    ],
    [
      "a Hetzner field on a local cluster",
      ["cluster", "serverCount"],
      3,
      'cluster has no field "serverCount" (a typo, or a field of another cluster kind?): see EnvironmentConfig in environments/types.ts',
      "dev",
    ],
    ["an anonymous access outside deny and read", ["anonymousAccess"], "allow", 'anonymousAccess is "allow"; allowed: "deny", "read"', "lab"],
    ["namespaces given as one object", ["namespaces"], { name: "default" }, "namespaces is an object; it must be a list", "lab"],
    [
      "a misspelt task driver of a namespace",
      ["namespaces", 0, "taskDrivers"],
      ["dokcer"],
      'namespaces[0].taskDrivers[0] is "dokcer"; allowed: "docker", "podman", "exec", "raw_exec", "java", or a plugin driver the clients enable (the environment\'s cluster drivers)',
      "lab",
    ],
    ["cluster drivers given as one string", ["cluster", "drivers"], "docker", 'cluster.drivers is "docker" (a string); it must be a list', "lab"],
    ["a retention written as a string", ["snapshots", "retention"], "14", 'snapshots.retention is "14" (a string); it must be a number', "lab"],
    [
      "a yes/no written as a word",
      ["access"],
      { developersMaySubmitJobs: "yes" },
      'access.developersMaySubmitJobs is "yes" (a string); it must be a boolean',
      "lab",
    ],
    [
      "a Cloudflare zone without its id",
      ["cloudflare"],
      { zoneName: "example.com" },
      "cloudflare.zoneId is missing; it is required (a string): see EnvironmentConfig in environments/types.ts",
      "lab",
    ],
    [
      "an SSH key without its public key",
      ["cluster", "sshKeys", 0],
      { name: "operator" },
      "cluster.sshKeys[0].publicKey is missing; it is required (a string): see EnvironmentConfig in environments/types.ts",
      "lab",
    ],
    ["a DNS instance count written as a string", ["dns", "instances"], "2", 'dns.instances is "2" (a string); it must be a number', "lab"],
    [
      "an S3 state without its bucket",
      ["state"],
      { kind: "s3", endpoint: "https://fsn1.your-objectstorage.com" },
      "state.bucket is missing; it is required (a string): see EnvironmentConfig in environments/types.ts",
      "lab",
    ],
    [
      "a NaN client count",
      ["cluster", "clientCount"],
      NaN,
      "cluster.clientCount is NaN; it must be a number",
      "lab",
    ],
  ];

  it.each(cases)("fails for %s", (_name, path, value, problem, base) => {
    const message = base === "lab" ? labWith(path, value) : devWith(path, value);
    expect(message).toBe((base === "lab" ? LAB_HEAD : DEV_HEAD) + problem);
  });

  it("fails for an empty environment name, which would prefix every stack and Hetzner resource", () => {
    expect(labWith(["name"], "")).toBe(
      'environment "" (EnvironmentConfig):\n  - name is "": it must be a lowercase DNS label (letters, digits, inner hyphens, at most 42 characters), e.g. "lab"; it prefixes the stacks and every Hetzner resource',
    );
  });

  it("fails for an environment name in capitals", () => {
    expect(labWith(["name"], "Lab")).toBe(
      'environment "Lab" (EnvironmentConfig):\n  - name is "Lab": it must be a lowercase DNS label (letters, digits, inner hyphens, at most 42 characters), e.g. "lab"; it prefixes the stacks and every Hetzner resource',
    );
  });

  it("fails for an environment without a name", () => {
    expect(labWith(["name"], undefined)).toBe(
      "environment undefined (EnvironmentConfig):\n  - name is missing; it is required (a string): see EnvironmentConfig in environments/types.ts",
    );
  });

  it("fails for no environment at all", () => {
    expect(environmentError(undefined)).toBe(
      "environment undefined (EnvironmentConfig):\n  - the environment is missing; it is required (an object): see EnvironmentConfig in environments/types.ts",
    );
  });

  it("fails for a namespace declared twice, in the environment's words (not a constructs-library id clash)", () => {
    const env = { ...lab, namespaces: [...lab.namespaces, { name: "lab", description: "again" }] };
    expect(environmentError(env)).toBe(
      LAB_HEAD + 'namespaces[8].name is "lab": it declares namespace "lab" a second time (first at namespaces[3]); remove one of the two or rename it',
    );
  });

  it("reports every bad field of the environment at once", () => {
    const env = withField(withField(withField(lab, ["tier"], "prod"), ["state", "kind"], "S3"), ["cluster", "serverCount"], "3");
    expect(environmentError(env)).toBe(
      LAB_HEAD +
        [
          'tier is "prod"; allowed: "dev", "lab", "production"',
          'cluster.serverCount is "3" (a string); it must be a number',
          'state.kind is "S3"; allowed: "local", "s3"',
        ].join("\n  - "),
    );
  });
});

describe("rules across the environment's sections, in its words", () => {
  it("fails without a workload namespace default, which the lab domain's DNS answers bare names from", () => {
    const env: EnvironmentConfig = { ...lab, namespaces: lab.namespaces.filter((ns) => ns.name !== "default") };
    expect(environmentError(env)).toBe(
      LAB_HEAD +
        'namespaces has no workload namespace "default", which the lab domain\'s DNS answers bare names (<service>.lab.example.com) from: declare { name: "default", description: "..." } without infrastructure or managementOnly',
    );
  });

  it("fails for a default namespace declared as infrastructure", () => {
    const env: EnvironmentConfig = { ...lab, namespaces: lab.namespaces.map((ns) => (ns.name === "default" ? { ...ns, infrastructure: true } : ns)) };
    expect(environmentError(env)).toContain('namespaces has no workload namespace "default"');
  });

  it("fails for dns.mode hetzner on a local cluster (no Hetzner network to move the VIP in)", () => {
    expect(devWith(["dns"], { mode: "hetzner", vip: "10.0.10.53", subnetCidr: "10.0.10.0/24" })).toBe(
      DEV_HEAD + 'dns.mode is "hetzner", which moves the VIP through the Hetzner API, but cluster.kind is "local": use dns.mode "lan" (VRRP on a layer-2 network) or "none" (one host, no VIP)',
    );
  });

  it("fails for a Cloudflare zone name with a trailing dot", () => {
    expect(labWith(["cloudflare"], { zoneId: "0123456789abcdef", zoneName: "Example.com." })).toBe(
      LAB_HEAD + 'cloudflare.zoneName "Example.com." ends in a dot; write it without the trailing dot ("example.com")',
    );
  });
});

describe("hostile environments", () => {
  it("fails for a null namespace entry", () => {
    expect(labWith(["namespaces", 0], null)).toBe(LAB_HEAD + "namespaces[0] is null; it must be an object");
  });

  it("fails for a name with a trailing newline", () => {
    expect(labWith(["name"], "lab\n")).toContain('name is "lab\\n": it must be a lowercase DNS label');
  });

  it("fails for an own __proto__ key from JSON as an unknown field", () => {
    expect(environmentError({ ...JSON.parse('{"__proto__": 1}'), ...lab })).toBe(
      LAB_HEAD + 'the environment has no field "__proto__" (a typo, or a field of another cluster kind?): see EnvironmentConfig in environments/types.ts',
    );
  });
});
