import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  NAMESPACE_CAPABILITIES,
  NAMESPACE_CAPABILITIES_1_10,
  capabilityVersionProblem,
  NomadPolicyRules,
  READ_JOBS,
  anonymousPolicy,
  developerPolicy,
  nomadPolicyProblems,
  nomadTasksConsulPolicy,
  operatorPolicy,
  readJobsPolicy,
  renderConsulPolicy,
  renderNomadPolicy,
  traefikPolicy,
} from "../policies";
import { parseHcl } from "./support/hcl";

const golden = (name: string) => readFileSync(join(__dirname, "golden", "policies", name), "utf8");

describe("rendering", () => {
  it("writes canonical HCL: aligned attributes, lists on one line, blank lines between blocks", () => {
    expect(renderNomadPolicy(developerPolicy())).toBe(
      'namespace "dev" {\n  policy       = "read"\n  capabilities = ["dispatch-job", "read-logs"]\n}\n',
    );
    expect(renderNomadPolicy({ node: "read", agent: "read" })).toBe('agent {\n  policy = "read"\n}\n\nnode {\n  policy = "read"\n}\n');
  });

  it.each([
    ["operator", operatorPolicy()],
    ["operator denying a management-only namespace", operatorPolicy({ managementOnly: ["ops"] })],
    ["anonymous deny", anonymousPolicy("deny")],
    ["anonymous read", anonymousPolicy("read")],
    ["traefik", traefikPolicy(["default", "public"])],
    ["read jobs with agent read", readJobsPolicy(["default"], { ownNamespace: "dns", agentRead: true })],
  ])("renders the %s policy to HCL that HashiCorp's parser reads back as the same rules", async (_name, rules) => {
    const parsed = await parseHcl(renderNomadPolicy(rules));
    for (const ns of rules.namespaces ?? []) {
      const [block] = parsed.namespace[ns.name];
      expect(block.policy).toBe(ns.policy);
      expect(block.capabilities).toEqual(ns.capabilities);
      expect(block.variables?.[0].path).toEqual(
        ns.variables && Object.fromEntries(ns.variables.map((v) => [v.path, [{ capabilities: v.capabilities }]])),
      );
    }
    for (const type of ["agent", "node", "operator", "quota", "plugin"] as const) {
      expect(parsed[type]?.[0].policy).toBe(rules[type]);
    }
  });

  it("escapes quotes and backslashes in names so the HCL stays valid", async () => {
    const hcl = renderConsulPolicy({ keyPrefix: { 'odd"key\\': "read" } });
    expect((await parseHcl(hcl)).key_prefix).toEqual({ 'odd"key\\': [{ policy: "read" }] });
  });

  it("writes control characters in names as HCL's \\u escapes (HCL has no \\b or \\f), so the name reads back unchanged", async () => {
    const name = "bell\u0007back\bform\ftab\t";
    const hcl = renderConsulPolicy({ keyPrefix: { [name]: "read" } });
    expect(hcl).toContain('key_prefix "bell\\u0007back\\u0008form\\u000ctab\\t"');
    expect((await parseHcl(hcl)).key_prefix).toEqual({ [name]: [{ policy: "read" }] });
  });

  it("is deterministic: the same rules render to the same text", () => {
    expect(renderNomadPolicy(operatorPolicy())).toBe(renderNomadPolicy(operatorPolicy()));
  });
});

describe("the seeds' policies", () => {
  it("dns-read-jobs renders to exactly seed 000's rules", async () => {
    const rules = readJobsPolicy(["default", "lab", "public"], { ownNamespace: "dns" });
    expect(await parseHcl(renderNomadPolicy(rules))).toEqual(await parseHcl(golden("dns-read-jobs.hcl")));
  });

  it("the developer policy with submitJobs (the documented, root-equivalent opt-in) renders to exactly seed 002's rules", async () => {
    expect(await parseHcl(renderNomadPolicy(developerPolicy("dev", { submitJobs: true })))).toEqual(await parseHcl(golden("developer.hcl")));
  });

  it("policy-nomad-tasks renders to exactly what `nomad setup consul` writes", async () => {
    expect(await parseHcl(renderConsulPolicy(nomadTasksConsulPolicy()))).toEqual(
      await parseHcl(golden("consul-policy-nomad-tasks.hcl")),
    );
  });

  it("read-jobs skips the job's own namespace among the read namespaces and gives it variables", () => {
    const rules = readJobsPolicy(["default", "dns"], { ownNamespace: "dns", variablesPath: "coredns/*" });
    expect(rules.namespaces?.map((ns) => ns.name)).toEqual(["default", "dns"]);
    expect(rules.namespaces?.[0].capabilities).toEqual(READ_JOBS);
    expect(rules.namespaces?.[1].variables?.[1]).toEqual({ path: "coredns/*", capabilities: ["write", "read", "destroy", "list"] });
  });
});

describe("built-in policies", () => {
  it("anonymous denies everything by default and only reads when the environment says so", () => {
    expect(anonymousPolicy("deny").namespaces).toEqual([{ name: "*", policy: "deny" }]);
    expect(anonymousPolicy("read")).toEqual({ namespaces: [{ name: "*", policy: "read" }], node: "read" });
  });

  it("a management-only namespace is denied with its variables: Nomad matches variables by their own globs, so namespace \"*\"'s would reach them", () => {
    expect(operatorPolicy({ managementOnly: ["ops"] }).namespaces?.slice(1)).toEqual([
      { name: "ops", policy: "deny", variables: [{ path: "*", capabilities: ["deny"] }] },
    ]);
  });

  it("traefik gets read-job (service list/read and the service event stream) in each namespace it routes", () => {
    expect(traefikPolicy(["default", "public"]).namespaces).toEqual([
      { name: "default", capabilities: ["read-job"] },
      { name: "public", capabilities: ["read-job"] },
    ]);
  });

  it("every built-in policy is valid", () => {
    const managementOnly = ["ops"];
    for (const rules of [
      operatorPolicy(),
      operatorPolicy({ managementOnly }),
      operatorPolicy({ managementOnly, infrastructure: ["dns"], submitJobs: true }),
      developerPolicy(),
      developerPolicy("dev", { submitJobs: true }),
      anonymousPolicy("deny"),
      anonymousPolicy("read", { managementOnly }),
      traefikPolicy(["x"]),
    ]) {
      expect(nomadPolicyProblems(rules)).toEqual([]);
    }
  });

  it("knows every namespace capability of Nomad's ACL docs, 2.0's fine-grained ones included", () => {
    expect(NAMESPACE_CAPABILITIES).toHaveLength(45);
    expect(NAMESPACE_CAPABILITIES).toEqual(expect.arrayContaining(["read-job", "alloc-node-exec", "host-volume-delete", "register-job"]));
  });

  it("knows which release's parser accepts each: 1.10.5 rejects the 18 fine-grained ones and host-volume-delete, 1.11.2 accepts all", () => {
    const rejectedBy = (nomadVersion: string) =>
      NAMESPACE_CAPABILITIES.filter((capability) => capabilityVersionProblem("x", capability, nomadVersion) !== undefined);
    expect(rejectedBy("1.10.5")).toHaveLength(19);
    expect(rejectedBy("1.10.5")).toEqual(expect.arrayContaining(["register-job", "delete-service-registration", "host-volume-delete"]));
    expect(rejectedBy("1.11.1")).toEqual(rejectedBy("1.10.5"));
    expect(new Set(rejectedBy("1.9.7"))).toEqual(new Set([...rejectedBy("1.10.5"), ...NAMESPACE_CAPABILITIES_1_10]));
    expect(rejectedBy("1.11.2")).toEqual([]);
    expect(rejectedBy("2.0.0")).toEqual([]);
  });
});

describe("validation", () => {
  const problemsOf = (rules: unknown, nomadVersion?: string) => nomadPolicyProblems(rules as NomadPolicyRules, { nomadVersion });

  it("fails on a capability the declared Nomad version's parser rejects, naming it, the version and the older equivalent", () => {
    expect(problemsOf({ namespaces: [{ name: "dev", capabilities: ["read-job", "register-job"] }] }, "1.10.5")).toEqual([
      'namespace "dev": capability "register-job" needs Nomad 1.11.2 or later, but the cluster runs Nomad 1.10.5, whose policy parser rejects it; ' +
        `use "submit-job" instead (it grants register-job there), or upgrade Nomad (the cluster's Nomad version)`,
    ]);
    expect(problemsOf({ namespaces: [{ name: "a", capabilities: ["host-volume-delete"] }] }, "1.10.5")).toEqual([
      expect.stringMatching(/capability "host-volume-delete" needs Nomad 1\.11\.2 .*use "host-volume-write" instead/),
    ]);
    expect(problemsOf({ namespaces: [{ name: "a", capabilities: ["host-volume-create"] }] }, "1.9.7")).toEqual([
      expect.stringMatching(/capability "host-volume-create" needs Nomad 1\.10\.0 or later, .*; drop it, or upgrade Nomad/),
    ]);
  });

  it("accepts every capability when no Nomad version is declared, or a new enough one", () => {
    const rules = { namespaces: [{ name: "dev", capabilities: ["register-job", "host-volume-delete"] }] };
    expect(problemsOf(rules)).toEqual([]);
    expect(problemsOf(rules, "1.11.2")).toEqual([]);
  });

  it("fails on a declared Nomad version that is no release version or older than the capabilities known", () => {
    expect(problemsOf({ node: "read" }, "latest")).toEqual(['Nomad version "latest" is not a release version like "2.0.5"']);
    expect(problemsOf({ node: "read" }, "1.2.6")).toEqual([expect.stringContaining("Nomad 1.2.6 is older than 1.3.0")]);
  });

  it("fails on an unknown namespace capability, suggesting the near miss", () => {
    expect(problemsOf({ namespaces: [{ name: "dev", capabilities: ["submit-jobs"] }] })).toEqual([
      expect.stringMatching(/^namespace "dev": unknown namespace capability "submit-jobs" \(did you mean "submit-job"\?\); valid: deny, list-jobs/),
    ]);
    expect(() => renderNomadPolicy({ namespaces: [{ name: "dev", capabilities: ["reed-job" as never] }] })).toThrow(/unknown namespace capability "reed-job"/);
  });

  it("fails rendering invalid rules with every problem at once, one per line, in the library's one error shape", () => {
    const render = () => renderNomadPolicy({ namespaces: [{ name: "dev", capabilities: ["reed-job" as never] }], agent: "raed" as never });
    expect(render).toThrow(/^invalid Nomad ACL policy:\n  - namespace "dev": unknown namespace capability "reed-job".*\n  - agent: unknown policy "raed"/);
    expect(() => renderConsulPolicy({})).toThrow(/^invalid Consul ACL policy:\n  - the policy has no rules$/);
  });

  it("fails on an unknown variables capability, policy level or plugin level", () => {
    expect(problemsOf({ namespaces: [{ name: "a", variables: [{ path: "*", capabilities: ["lists"] }] }] })).toEqual([
      expect.stringContaining('unknown variables capability "lists"'),
    ]);
    expect(problemsOf({ namespaces: [{ name: "a", policy: "admin" }] })).toEqual([expect.stringContaining('unknown policy "admin"')]);
    expect(problemsOf({ plugin: "scale" })).toEqual([expect.stringContaining('plugin: unknown policy "scale"')]);
    expect(problemsOf({ hostVolumes: [{ name: "data", capabilities: ["mount-rw"] }] })).toEqual([
      expect.stringContaining('unknown host volume capability "mount-rw"'),
    ]);
  });

  it("fails on an empty policy, a rule that grants nothing and duplicate namespaces", () => {
    expect(problemsOf({})).toEqual([expect.stringContaining("no rules")]);
    expect(problemsOf({ namespaces: [{ name: "a" }] })).toEqual([expect.stringContaining("grants nothing")]);
    expect(problemsOf({ namespaces: [{ name: "a", policy: "read" }, { name: "a", policy: "write" }] })).toEqual([
      expect.stringContaining('namespace "a" appears twice'),
    ]);
  });

  it("fails on variable paths Nomad rejects or Terraform would interpolate", () => {
    const rules = { namespaces: [{ name: "a", variables: [{ path: "/abs", capabilities: ["read"] }, { path: "app/${x}", capabilities: ["read"] }] }] };
    expect(problemsOf(rules)).toEqual([expect.stringContaining('cannot start with "/"'), expect.stringContaining("template sequence")]);
    expect(problemsOf({ namespaces: [{ name: "a", variables: [] }] })).toEqual([expect.stringContaining("variables has no paths")]);
  });

  it("fails on an invalid namespace name", () => {
    expect(problemsOf({ namespaces: [{ name: "my ns", policy: "read" }] })).toEqual([expect.stringContaining("invalid name")]);
  });

  it("fails on an unknown Consul policy level", () => {
    expect(() => renderConsulPolicy({ servicePrefix: { "": "list" as never } })).toThrow(/service_prefix "": unknown policy "list"/);
    expect(() => renderConsulPolicy({})).toThrow(/no rules/);
  });
});
