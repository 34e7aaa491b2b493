import { App, TerraformStack } from "cdktf";
import { NomadAclPolicy } from "../constructs/acl/nomad-acl-policy";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { EnvironmentConfig, environmentFacts, HetznerClusterConfig, lab } from "../environments";
import { denyNamespace, NomadPolicyRules } from "../policies";
import { parseHcl } from "./support/hcl";
import { resourcesByName, synthEnvironment } from "./support/synth";

const stacks = synthEnvironment(lab);
const platform = stacks["lab-platform"];
const namespaces = resourcesByName(platform, "nomad_namespace");
const policies = resourcesByName(platform, "nomad_acl_policy");

/** A stack with the lab's facts, for building policies in. */
function policyError(
  id: string,
  props: { rules: NomadPolicyRules; policyName?: string; anonymous?: boolean; allowAnonymousWrites?: boolean; allowOperatorWrite?: boolean },
): string {
  const stack = new TerraformStack(new App(), "policies");
  declareClusterFacts(stack, environmentFacts(lab));
  try {
    new NomadAclPolicy(stack, id, props);
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

const withAccess = (access: EnvironmentConfig["access"]): EnvironmentConfig => ({ ...lab, access });

describe("namespaces restrict task drivers where Nomad enforces it (at job submission)", () => {
  it("gives every namespace an explicit driver allow-list, podman only in dns and csi (the CSI node plugin) and raw_exec nowhere", () => {
    const drivers = Object.fromEntries(Object.entries<any>(namespaces).map(([name, ns]) => [name, ns.capabilities.enabled_task_drivers]));
    expect(drivers).toEqual({
      default: ["docker", "exec"],
      dns: ["docker", "podman"],
      ingress: ["docker"],
      lab: ["docker", "exec"],
      public: ["docker", "exec"],
      dev: ["docker", "exec"],
      ops: ["exec"],
      csi: ["docker", "podman"],
    });
  });

  it("so a developer-namespace podman job (privileged, /:/host) is refused by Nomad, and by synth before that", () => {
    // Nomad's job_endpoint_validators.go refuses a driver missing from enabled_task_drivers;
    // an empty list would allow every driver, so none is empty.
    for (const ns of Object.values<any>(namespaces)) expect(ns.capabilities.enabled_task_drivers.length).toBeGreaterThan(0);
    expect(namespaces.dev.capabilities.enabled_task_drivers).not.toContain("podman");
  });
});

describe("the environment's namespaces", () => {
  it("fails on an empty driver list (Nomad reads it as every driver), an unknown capability and an invalid name, all at once", () => {
    const env: EnvironmentConfig = {
      ...lab,
      namespaces: [
        ...lab.namespaces,
        { name: "open", description: "x", taskDrivers: [] },
        { name: "typo", description: "x", addCapabilities: ["NET_ADMN"] },
        { name: "team a", description: "x" },
      ],
    };
    expect(() => synthEnvironment(env)).toThrow(
      new RegExp(
        [
          'lab-platform: invalid environment namespaces:',
          '  - namespaces "open": taskDrivers is empty, which Nomad reads as "every driver"',
          '  - namespaces "typo": addCapabilities "NET_ADMN" is no Linux capability',
          '  - namespaces "team a": is not a Nomad namespace name',
        ].map((line) => line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*\\n"),
      ),
    );
  });

  it("compares capabilities as the drivers do: case and a CAP_ prefix do not matter", () => {
    const env: EnvironmentConfig = {
      ...lab,
      namespaces: lab.namespaces.map((ns) => (ns.name === "dns" ? { ...ns, addCapabilities: ["cap_net_admin", "net_broadcast", "NET_RAW"] } : ns)),
    };
    expect(() => synthEnvironment(env)).not.toThrow();
  });
});

describe("the developer and operator policies", () => {
  it("let developers read, dispatch and read logs in their namespace, and not submit jobs", async () => {
    const parsed = await parseHcl(policies.developer.rules_hcl);
    expect(parsed.namespace).toEqual({ dev: [{ policy: "read", capabilities: ["dispatch-job", "read-logs"] }] });
  });

  it("give developers submit-job only with the documented opt-in", async () => {
    const opted = resourcesByName(synthEnvironment(withAccess({ developersMaySubmitJobs: true }))["lab-platform"], "nomad_acl_policy");
    expect((await parseHcl(opted.developer.rules_hcl)).namespace.dev[0].capabilities).toEqual(["submit-job", "dispatch-job", "read-logs"]);
  });

  it("let operators operate allocations and variables of application namespaces, read infrastructure, and not submit jobs", async () => {
    const parsed = await parseHcl(policies.operator.rules_hcl);
    expect(parsed.namespace["*"][0].policy).toBe("read");
    expect(parsed.namespace["*"][0].capabilities).not.toContain("submit-job");
    expect(parsed.namespace["*"][0].capabilities).not.toContain("alloc-node-exec");
    for (const infrastructure of ["dns", "ingress"]) {
      expect(parsed.namespace[infrastructure]).toEqual([
        { policy: "read", capabilities: ["read-logs"], variables: [{ path: { "*": [{ capabilities: ["deny"] }] } }] },
      ]);
    }
    expect(parsed.agent).toEqual([{ policy: "read" }]);
  });

  it("give operators write in application namespaces only with the opt-in, never in dns or ingress", async () => {
    const opted = resourcesByName(synthEnvironment(withAccess({ operatorsMaySubmitJobs: true }))["lab-platform"], "nomad_acl_policy");
    const parsed = await parseHcl(opted.operator.rules_hcl);
    expect(parsed.namespace["*"][0]).toMatchObject({ policy: "write", capabilities: ["alloc-node-exec"] });
    expect(parsed.namespace.dns[0].policy).toBe("read");
    expect(parsed.namespace.ops[0].policy).toBe("deny");
  });

  it("fails on a developer namespace that is a glob, undeclared, management-only or infrastructure", () => {
    const cases: Array<[string, RegExp]> = [
      ["*", /invalid access:\n  - developerNamespace "\*" is not a namespace name: a glob or pattern would reach every namespace it matches/],
      ["o*", /is not a namespace name/],
      ["staging", /invalid access:\n  - developerNamespace "staging" is not declared \(declared: default, dns, ingress, lab, public, dev, ops, csi\)/],
      ["ops", /invalid access:\n  - developerNamespace "ops" is management-only/],
      ["dns", /invalid access:\n  - developerNamespace "dns" is an infrastructure namespace/],
    ];
    for (const [developerNamespace, message] of cases) {
      expect(() => synthEnvironment(withAccess({ developerNamespace }))).toThrow(message);
    }
  });
});

describe("operator write (Raft snapshots hold every token and the keyring)", () => {
  it("fails on a policy granting operator write, unless explicitly allowed", () => {
    expect(policyError("Ops", { rules: { operator: "write" } })).toContain(
      'operator "write" lets the token save a Raft snapshot, which holds every ACL token and the keyring (so it is management in all but name)',
    );
    expect(policyError("Ops", { rules: { operator: "write" }, allowOperatorWrite: true })).toBe("");
  });

  it("is granted by no platform policy: the operator reads Raft, autopilot and scheduler state only", async () => {
    for (const policy of Object.values<any>(policies)) {
      const parsed = await parseHcl(policy.rules_hcl);
      expect([policy.name, parsed.operator?.[0]?.policy]).not.toEqual([policy.name, "write"]);
    }
    expect((await parseHcl(policies.operator.rules_hcl)).operator).toEqual([{ policy: "read" }]);
  });
});

describe("Nomad's anonymous policy", () => {
  it("fails when another policy takes the reserved name anonymous", () => {
    expect(policyError("Anonymous", { rules: { namespaces: [{ name: "dev", policy: "write" }] } })).toContain(
      'policies/Anonymous: invalid Nomad ACL policy "anonymous":\n  - policy name "anonymous" is reserved: Nomad applies that policy to every request without a token',
    );
    expect(policyError("Public", { policyName: "anonymous", rules: { node: "read" } })).toContain('policy name "anonymous" is reserved');
  });

  it("fails when the anonymous policy grants more than reading, unless writes are explicitly allowed", () => {
    const rules: NomadPolicyRules = {
      namespaces: [{ name: "dev", policy: "write", capabilities: ["submit-job"], variables: [{ path: "*", capabilities: ["read"] }] }],
      node: "write",
    };
    const message = policyError("Anonymous", { anonymous: true, rules });
    for (const grant of ['namespace "dev" policy "write"', 'namespace "dev" capability "submit-job"', 'variables "*" capability "read"', 'node "write"']) {
      expect(message).toContain(`${grant} is more than reading for anonymous callers`);
    }
    expect(policyError("Anonymous", { anonymous: true, allowAnonymousWrites: true, rules })).toBe("");
    expect(policyError("Anonymous", { anonymous: true, rules: { namespaces: [{ name: "*", policy: "read" }, denyNamespace("ops")], node: "read" } })).toBe("");
  });

  it("is the platform's, named anonymous", () => {
    expect(Object.keys(policies)).toContain("anonymous");
  });
});

describe("policies that reach a management-only namespace", () => {
  it("fails on a glob or literal rule that reaches ops without denying it, naming the fix", () => {
    for (const name of ["*", "o*", "ops"]) {
      expect(policyError("Wide", { rules: { namespaces: [{ name, policy: "read" }] } })).toContain(
        `a rule reaches namespace "ops", which is management-only (its jobs hold management tokens); add denyNamespace("ops")`,
      );
    }
    expect(policyError("Wide", { rules: { namespaces: [{ name: "*", policy: "read" }, denyNamespace("ops")] } })).toBe("");
    // A namespace deny without the variables deny still leaves ops' variables to "*"'s path rules.
    expect(policyError("Wide", { rules: { namespaces: [{ name: "*", policy: "read" }, { name: "ops", policy: "deny" }] } })).toContain(
      'a rule reaches namespace "ops"',
    );
  });
});

describe("the Nomad release the hosts run", () => {
  it("fails on a pin older than 2.0.4, which lacks the docker driver's volume-symlink and host-namespace fixes", () => {
    const old: EnvironmentConfig = { ...lab, cluster: { ...(lab.cluster as HetznerClusterConfig), nomadVersion: "1.10.5" } };
    expect(() => synthEnvironment(old)).toThrow(
      /nomadVersion "1\.10\.5" lacks the docker driver's fixes for CVE-2026-14896 \(volume symlink escape\) and CVE-2026-14891 \(host namespaces\).*pin "2\.0\.4" or later/s,
    );
    expect(() => synthEnvironment({ ...lab, cluster: { ...(lab.cluster as HetznerClusterConfig), nomadVersion: "2.0.4" } })).not.toThrow();
  });
});

