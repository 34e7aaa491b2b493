import { dev, lab } from "../environments";
import { developerPolicy, renderNomadPolicy } from "../policies";
import { parseHcl } from "./support/hcl";
import { resourcesByName, resourcesOf, synthEnvironment } from "./support/synth";

// The ACL constructs' own tests: acl.*.test.ts; NomadVariable's: nomad-variable.test.ts.


describe.each([
  ["lab", lab],
  ["dev", dev],
])("the %s-platform stack", (name, env) => {
  const stack = synthEnvironment(env)[`${name}-platform`];
  const declared = env.namespaces.map((ns) => ns.name);

  it("creates every declared namespace, default included", () => {
    expect(Object.keys(resourcesByName(stack, "nomad_namespace")).sort()).toEqual([...declared].sort());
  });

  it("has operator, developer and anonymous policies, roles for operators and developers, and a token per person", () => {
    const policies = resourcesByName(stack, "nomad_acl_policy");
    expect(Object.keys(policies).sort()).toEqual(["anonymous", "developer", "operator"]);
    expect(policies.developer.rules_hcl).toBe(renderNomadPolicy(developerPolicy("dev")));
    expect(policies.developer.rules_hcl).not.toContain("submit-job");
    expect(Object.keys(resourcesByName(stack, "nomad_acl_role")).sort()).toEqual(["developers", "operators"]);
    const tokens = resourcesByName(stack, "nomad_acl_token");
    expect(Object.keys(tokens).sort()).toEqual(["developer", "operator"]);
    for (const token of Object.values<any>(tokens)) expect(token.type).toBe("client");
  });

  it("exposes token secrets only as sensitive outputs", () => {
    const outputs = stack.output as Record<string, any>;
    const secretOutputs = Object.entries(outputs).filter(([, output]) => JSON.stringify(output.value).includes("secret_id"));
    expect(secretOutputs.map(([outputName]) => outputName).sort()).toEqual(["nomad_token_developer", "nomad_token_operator"]);
    for (const [, output] of secretOutputs) expect(output.sensitive).toBe(true);
    for (const [, output] of Object.entries(outputs)) expect(output.sensitive).toBe(true);
  });

  it("stores Traefik's basic-auth line from a sensitive Terraform variable, never a literal", () => {
    const variable = Object.values<any>(resourcesOf(stack, "nomad_variable")).find((v) => v.path === "nomad/jobs/traefik");
    expect(variable.items).toEqual({ BASIC_AUTH: "${var.traefik_basic_auth}" });
    expect(variable.namespace).toMatch(/^\$\{nomad_namespace\.Namespace-ingress\.name\}$/);
    expect(stack.variable.traefik_basic_auth).toMatchObject({ sensitive: true, type: "string" });
    expect(stack.variable.traefik_basic_auth.default).toBeUndefined();
  });
});

describe("the management-only namespace ops (the Raft snapshot job's)", () => {
  const stacks = synthEnvironment(lab);
  const policies = resourcesByName(stacks["lab-platform"], "nomad_acl_policy");
  const denied = [{ policy: "deny", variables: [{ path: { "*": [{ capabilities: ["deny"] }] } }] }];

  it("is where the lab's snapshot job keeps its tokens", () => {
    const variable = Object.values<any>(resourcesOf(stacks["lab-workloads"], "nomad_variable")).find((v) => v.path === "nomad/jobs/raft-snapshots");
    expect(variable.namespace).toBe("ops");
  });

  it("is denied, variables included, by the operator policy rendered for lab, which still operates everywhere else", async () => {
    const parsed = await parseHcl(policies.operator.rules_hcl);
    expect(parsed.namespace.ops).toEqual(denied);
    expect(parsed.namespace["*"][0]).toMatchObject({ policy: "read", variables: [{ path: { "*": [{ capabilities: ["write", "read", "destroy", "list"] }] } }] });
  });

  it("is denied by the anonymous policy, also when anonymous may read", async () => {
    expect((await parseHcl(policies.anonymous.rules_hcl)).namespace.ops).toEqual(denied);
    const readable = resourcesByName(synthEnvironment({ ...lab, anonymousAccess: "read" })["lab-platform"], "nomad_acl_policy");
    const parsed = await parseHcl(readable.anonymous.rules_hcl);
    expect(parsed.namespace["*"]).toEqual([{ policy: "read" }]);
    expect(parsed.namespace.ops).toEqual(denied);
  });

  it("is out of the developer policy's reach, and DNS and Traefik do not serve it", () => {
    expect(policies.developer.rules_hcl).not.toContain('"ops"');
    for (const policy of Object.values<any>(resourcesOf(stacks["lab-workloads"], "nomad_acl_policy"))) {
      expect(policy.rules_hcl).not.toContain('namespace "ops"');
    }
  });

  it("fails as the developer namespace, since developers could read its jobs' tokens", () => {
    expect(() => synthEnvironment({ ...lab, access: { developerNamespace: "ops" } })).toThrow(
      /^lab-platform\/Default: invalid access:\n  - developerNamespace "ops" is management-only: its jobs hold management tokens that developers could read/,
    );
  });
});

describe("access tokens in the platform stack", () => {
  it("fails on an invalid token holder name", () => {
    expect(() => synthEnvironment({ ...lab, access: { operators: ["Ada Lovelace"] } })).toThrow(/^lab-platform\/Default: invalid access:\n  - token holder "Ada Lovelace" is not a valid name/);
  });

  it("fails on a token holder listed twice", () => {
    expect(() => synthEnvironment({ ...lab, access: { operators: ["ada"], developers: ["ada"] } })).toThrow(
      /^lab-platform\/Default: invalid access:\n  - token holder "ada" is listed twice/,
    );
  });

  it("creates a token per listed person and lets anonymous read when the environment says so", () => {
    const stack = synthEnvironment({ ...dev, anonymousAccess: "read", access: { operators: ["ada"], developers: ["max-mustermann"] } })["dev-platform"];
    expect(Object.keys(resourcesByName(stack, "nomad_acl_token")).sort()).toEqual(["ada", "max-mustermann"]);
    expect(Object.keys(stack.output).sort()).toEqual(["nomad_token_ada", "nomad_token_max_mustermann"]);
    expect(resourcesByName(stack, "nomad_acl_policy").anonymous.rules_hcl).toBe(
      'namespace "*" {\n  policy = "read"\n}\n\n' +
        'namespace "ops" {\n  policy = "deny"\n\n  variables {\n    path "*" {\n      capabilities = ["deny"]\n    }\n  }\n}\n\n' +
        'node {\n  policy = "read"\n}\n',
    );
  });
});
