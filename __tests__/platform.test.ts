import { App, DataResource, TerraformStack, TerraformVariable } from "cdktf";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvironmentConfig, dev, lab } from "../environments";
import { ConsulWorkloadIdentity } from "../constructs/acl/consul-workload-identity";
import { NomadAclPolicy } from "../constructs/acl/nomad-acl-policy";
import { NomadAclRole } from "../constructs/acl/nomad-acl-role";
import { NomadAclToken } from "../constructs/acl/nomad-acl-token";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { addDependsOn } from "../constructs/core";
import { NomadProvider } from "../constructs/providers";
import { NomadJob } from "../constructs/nomad-job";
import { NomadVariable } from "../constructs/nomad-variable";
import { environmentFacts } from "../environments";
import { denyNamespace, developerPolicy, readJobsPolicy, renderNomadPolicy } from "../policies";
import { EnvironmentStacks } from "../stacks/environment";
import { parseHcl } from "./support/hcl";
import { StackJson, resourcesOf, synthApp, synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";

const golden = (name: string) => readFileSync(join(__dirname, "golden", "policies", name), "utf8");
const byName = (stack: StackJson, type: string) =>
  Object.fromEntries(Object.values<any>(resourcesOf(stack, type)).map((resource) => [resource.name, resource]));

/** A small CoreDNS-like job in the dns namespace (named "resolver": lab-workloads already runs DnsVip's "coredns"). */
function resolverJob(scope: TerraformStack, namespace = "dns"): NomadJob {
  return new NomadJob(scope, "resolver", {
    name: "resolver",
    namespace,
    groups: [{ name: "dns", tasks: [{ name: "coredns", driver: "docker", config: { image: "docker.io/coredns/coredns:1.13.2" } }] }],
  });
}

describe.each([
  ["lab", lab],
  ["dev", dev],
])("the %s-platform stack", (name, env) => {
  const stack = synthEnvironment(env)[`${name}-platform`];
  const declared = env.namespaces.map((ns) => ns.name);

  it("creates every declared namespace, default included", () => {
    expect(Object.keys(byName(stack, "nomad_namespace")).sort()).toEqual([...declared].sort());
  });

  it("has operator, developer and anonymous policies, roles for operators and developers, and a token per person", () => {
    const policies = byName(stack, "nomad_acl_policy");
    expect(Object.keys(policies).sort()).toEqual(["anonymous", "developer", "operator"]);
    expect(policies.developer.rules_hcl).toBe(renderNomadPolicy(developerPolicy("dev")));
    expect(policies.developer.rules_hcl).not.toContain("submit-job");
    expect(Object.keys(byName(stack, "nomad_acl_role")).sort()).toEqual(["developers", "operators"]);
    const tokens = byName(stack, "nomad_acl_token");
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
  const policies = byName(stacks["lab-platform"], "nomad_acl_policy");
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
    const readable = byName(synthEnvironment({ ...lab, anonymousAccess: "read" })["lab-platform"], "nomad_acl_policy");
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

describe("job-bound policies", () => {
  const inLabWorkloads = (extend: (stacks: EnvironmentStacks) => void) => synthEnvironment(lab, extend)["lab-workloads"];

  it("grantReadJobs binds seed 000's dns-read-jobs to the job with job_acl, created before the job", async () => {
    // A stack of the lab's cluster of its own: lab-workloads already has DnsVip's dns-read-jobs.
    const stack = synthApp((app) => {
      const scope = new TerraformStack(app, "jobs");
      declareClusterFacts(scope, environmentFacts(lab));
      new NomadProvider(scope, "nomad", { address: "http://127.0.0.1:4646" });
      resolverJob(scope).grantReadJobs(["default", "lab", "public"], { policyName: "dns-read-jobs" });
    }).jobs;
    const [[policyId, policy]] = Object.entries<any>(resourcesOf(stack, "nomad_acl_policy"));
    expect(policy.name).toBe("dns-read-jobs");
    expect(policy.job_acl).toEqual({ namespace: "dns", job_id: "resolver" });
    expect(await parseHcl(policy.rules_hcl)).toEqual(await parseHcl(golden("dns-read-jobs.hcl")));
    const [job] = Object.values<any>(resourcesOf(stack, "nomad_job"));
    expect(job.depends_on).toEqual([`nomad_acl_policy.${policyId}`]);
  });

  it("writes depends_on as a bare address, which terraform validate accepts", () => {
    requireTool("terraform");
    const stack = synthApp((app) => {
      const scope = new TerraformStack(app, "test");
      const first = new DataResource(scope, "first", { input: { value: "a" } });
      addDependsOn(new DataResource(scope, "second", { input: { value: "b" } }), first);
    }).test;
    expect(stack.resource.terraform_data.second.depends_on).toEqual(["terraform_data.first"]);
    const dir = mkdtempSync(join(tmpdir(), "hashilab-depends-on-"));
    try {
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ resource: stack.resource }));
      const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
      execFileSync("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, env, stdio: "pipe" });
      expect(execFileSync("terraform", ["validate", "-no-color"], { cwd: dir, env, encoding: "utf8" })).toContain("The configuration is valid");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("attachPolicy binds any typed policy to one task, named after the job by default", () => {
    const workloads = inLabWorkloads(({ workloads }) => {
      resolverJob(workloads).attachPolicy("agent-read", { agent: "read" }, { group: "dns", task: "coredns" });
    });
    const policy = byName(workloads, "nomad_acl_policy")["resolver-agent-read"];
    expect(policy.job_acl).toEqual({ namespace: "dns", job_id: "resolver", group: "dns", task: "coredns" });
  });

  it("fails when the policy is in another stack than the job", () => {
    expect(() =>
      synthEnvironment(lab, ({ platform, workloads }) => {
        new NomadAclPolicy(platform, "dns-read-jobs", { rules: readJobsPolicy(["default"], { ownNamespace: "dns" }), job: { job: resolverJob(workloads) } });
      }),
    ).toThrow(/lab-platform\/dns-read-jobs: .*bound to job "resolver" \(lab-workloads\/resolver\) of stack lab-workloads, but the policy is in stack lab-platform/s);
  });

  it("fails when a task is bound without its group", () => {
    expect(() => inLabWorkloads(({ workloads }) => resolverJob(workloads).attachPolicy("x", { agent: "read" }, { task: "coredns" }))).toThrow(
      /lab-workloads\/resolver\/x: .*set group too/s,
    );
  });

  it("fails when the job is in an undeclared namespace (NomadJob's own check)", () => {
    expect(() => inLabWorkloads(({ workloads }) => resolverJob(workloads, "staging"))).toThrow(
      /lab-workloads\/resolver: .*namespace "staging" is not declared/s,
    );
  });

  it("fails when a job-bound policy is given to a role or token", () => {
    expect(() =>
      inLabWorkloads(({ workloads }) => {
        const policy = resolverJob(workloads).grantReadJobs(["default"]);
        new NomadAclRole(workloads, "role", { policies: [policy] });
      }),
    ).toThrow(/lab-workloads\/role: .*bound to a job/s);
    expect(() =>
      inLabWorkloads(({ workloads }) => {
        const policy = resolverJob(workloads).grantReadJobs(["default"]);
        new NomadAclToken(workloads, "token", { policies: [policy] });
      }),
    ).toThrow(/lab-workloads\/token: invalid Nomad ACL token:\n  - .*bound to a job/);
  });
});

describe("ACL names, unique per stack (across stacks: unique-names.test.ts)", () => {
  it("fails on a second Nomad policy of the same name, naming both constructs", () => {
    expect(() =>
      synthEnvironment(lab, ({ workloads }) => resolverJob(workloads, "lab").grantReadJobs(["default"], { policyName: "dns-read-jobs" })),
    ).toThrow(
      /^lab-workloads\/resolver\/ReadJobs: Nomad ACL policy name "dns-read-jobs" is taken:\n  - lab-workloads\/Dns\/Job\/ReadJobs in stack lab-workloads already uses it; one of the two would silently overwrite the other's rules at apply; give one a distinct policyName/,
    );
    expect(() => synthEnvironment(lab, ({ platform }) => new NomadAclPolicy(platform, "ops-readers", { policyName: "operator", rules: { node: "read" } }))).toThrow(
      /^lab-platform\/ops-readers: Nomad ACL policy name "operator" is taken:\n  - lab-platform\/Default\/OperatorPolicy in stack lab-platform already uses it/,
    );
  });

  it("fails on a second Nomad role of the same name, naming both constructs", () => {
    expect(() =>
      synthEnvironment(lab, ({ platform }) => {
        new NomadAclRole(platform, "more-operators", { roleName: "operators", policies: [new NomadAclPolicy(platform, "readers", { rules: { node: "read" } })] });
      }),
    ).toThrow(/^lab-platform\/more-operators: Nomad ACL role name "operators" is taken:\n  - lab-platform\/Default\/OperatorsRole in stack lab-platform already uses it; one of the two would be refused at apply/);
  });

  it("fails on a second ConsulWorkloadIdentity in the stack: its Consul names are fixed", () => {
    expect(() => synthEnvironment(lab, ({ platform }) => new ConsulWorkloadIdentity(platform, "again", { nomadAddress: "http://n:4646" }))).toThrow(
      /^lab-platform\/again\/AuthMethod: Consul ACL auth method name "nomad-workloads" is taken:\n  - lab-platform\/ConsulWorkloadIdentity\/AuthMethod in stack lab-platform already uses it; .*create one ConsulWorkloadIdentity per cluster/,
    );
  });
});

describe("validation in the platform stack", () => {
  const platformWith = (extend: (stacks: EnvironmentStacks) => void, env: EnvironmentConfig = lab) => synthEnvironment(env, extend);

  it("fails on a policy for an undeclared namespace, naming the construct and the declared ones", () => {
    expect(() =>
      platformWith(({ platform }) => new NomadAclPolicy(platform, "staging-dev", { rules: developerPolicy("staging") })),
    ).toThrow(/lab-platform\/staging-dev: invalid Nomad ACL policy "staging-dev":\n {2}- namespace "staging" is not declared in this environment \(declared: default, dns, ingress, lab, public, dev, ops\)/);
  });

  it("accepts globs that match a declared namespace and fails on globs that match none", () => {
    const all = { namespaces: [{ name: "*", policy: "read" as const }, denyNamespace("ops")] };
    expect(() => platformWith(({ platform }) => new NomadAclPolicy(platform, "all", { rules: all }))).not.toThrow();
    expect(() => platformWith(({ platform }) => new NomadAclPolicy(platform, "team", { rules: { namespaces: [{ name: "team-*", policy: "read" }] } }))).toThrow(
      /namespace "team-\*" is not declared/,
    );
  });

  it("fails on an unknown capability with the construct path", () => {
    expect(() =>
      platformWith(({ platform }) => new NomadAclPolicy(platform, "typo", { rules: { namespaces: [{ name: "dev", capabilities: ["submit-jobs" as never] }] } })),
    ).toThrow(/lab-platform\/typo: .*unknown namespace capability "submit-jobs" \(did you mean "submit-job"\?\)/s);
  });

  it("fails on a capability the environment's Nomad version does not know yet, with the construct path", () => {
    const rules = { namespaces: [{ name: "dev", capabilities: ["register-job" as const] }] };
    const policyOn = (nomadVersion: string | undefined) => {
      const stack = new TerraformStack(new App(), "policies");
      declareClusterFacts(stack, { ...environmentFacts(lab), nomadVersion });
      return () => new NomadAclPolicy(stack, "registrar", { rules });
    };
    expect(policyOn("1.10.5")).toThrow(
      /policies\/registrar: invalid Nomad ACL policy "registrar":\n {2}- namespace "dev": capability "register-job" needs Nomad 1\.11\.2 or later, but the cluster runs Nomad 1\.10\.5, whose policy parser rejects it; use "submit-job" instead/,
    );
    expect(policyOn("1.11.2")).not.toThrow();
    // lab pins a release that knows it; dev runs whatever local binary the user has: no version, every capability.
    expect(() => platformWith(({ platform }) => new NomadAclPolicy(platform, "registrar", { rules }))).not.toThrow();
    expect(environmentFacts(dev).nomadVersion).toBeUndefined();
    expect(() => platformWith(({ platform }) => new NomadAclPolicy(platform, "registrar", { rules }), dev)).not.toThrow();
  });

  it("fails on an invalid policy name or a description Nomad would reject", () => {
    expect(() => platformWith(({ platform }) => new NomadAclPolicy(platform, "ReadJobs", { policyName: "read_jobs", rules: { node: "read" } }))).toThrow(
      /lab-platform\/ReadJobs: .*policy name "read_jobs" is invalid/s,
    );
    expect(() => platformWith(({ platform }) => new NomadAclPolicy(platform, "long", { description: "x".repeat(257), rules: { node: "read" } }))).toThrow(
      /lab-platform\/long: .*longer than Nomad's limit of 256/s,
    );
  });

  it("fails on a Nomad variable fed by a non-sensitive Terraform variable", () => {
    expect(() =>
      platformWith(({ platform }) => {
        const plain = new TerraformVariable(platform, "plain", { type: "string" });
        new NomadVariable(platform, "app-secret", { path: "nomad/jobs/app", items: { TOKEN: plain } });
      }),
    ).toThrow(/lab-platform\/app-secret: .*item "TOKEN" comes from variable lab-platform\/plain, which is not sensitive/s);
  });

  it("fails on a Nomad variable under a reserved path or in an undeclared namespace", () => {
    expect(() =>
      platformWith(({ platform }) => {
        const secret = new TerraformVariable(platform, "secret", { type: "string", sensitive: true });
        new NomadVariable(platform, "v", { path: "nomad/other", namespace: "staging", items: { A: secret } });
      }),
    ).toThrow(/lab-platform\/v: .*path "nomad\/other" is reserved.*namespace "staging" is not declared/s);
  });

  it("fails on a role without policies or with an invalid name, and on a token that grants nothing", () => {
    expect(() => platformWith(({ platform }) => new NomadAclRole(platform, "empty", { policies: [] }))).toThrow(/lab-platform\/empty: .*no policies/s);
    expect(() =>
      platformWith(({ platform }) => new NomadAclRole(platform, "r", { roleName: "ops team", policies: [new NomadAclPolicy(platform, "p", { rules: { node: "read" } })] })),
    ).toThrow(/lab-platform\/r: .*role name "ops team" is invalid/s);
    expect(() => platformWith(({ platform }) => new NomadAclToken(platform, "nothing", {}))).toThrow(/lab-platform\/nothing: invalid Nomad ACL token:\n  - .*grants nothing/);
  });

  it("fails on a Nomad variable with an invalid path, no items, or a literal instead of a variable", () => {
    expect(() =>
      platformWith(({ platform }) => new NomadVariable(platform, "v", { path: "app/my.secret", items: { A: "literal" as unknown as TerraformVariable } })),
    ).toThrow(/lab-platform\/v: .*path "app\/my.secret" is invalid.*item "A" is a literal/s);
    expect(() => platformWith(({ platform }) => new NomadVariable(platform, "w", { path: "app/x", items: {} }))).toThrow(/lab-platform\/w: .*no items/s);
  });

  it("fails on workload identity namespaces Nomad would reject and on invalid per-namespace Consul rules", () => {
    expect(() => platformWith(({ platform }) => new ConsulWorkloadIdentity(platform, "wi2", { nomadAddress: "http://n:4646", namespaces: ["my_ns"] }))).toThrow(
      /lab-platform\/wi2: .*namespace "my_ns" is not a valid Nomad namespace name/s,
    );
    expect(() =>
      platformWith(({ platform }) =>
        new ConsulWorkloadIdentity(platform, "wi3", { nomadAddress: "http://n:4646", namespacePolicies: { dns: { servicePrefix: { "": "admin" as never } } } }),
      ),
    ).toThrow(/lab-platform\/wi3: .*namespacePolicies\["dns"\]: service_prefix "": unknown policy "admin"/s);
  });

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
    expect(Object.keys(byName(stack, "nomad_acl_token")).sort()).toEqual(["ada", "max-mustermann"]);
    expect(Object.keys(stack.output).sort()).toEqual(["nomad_token_ada", "nomad_token_max_mustermann"]);
    expect(byName(stack, "nomad_acl_policy").anonymous.rules_hcl).toBe(
      'namespace "*" {\n  policy = "read"\n}\n\n' +
        'namespace "ops" {\n  policy = "deny"\n\n  variables {\n    path "*" {\n      capabilities = ["deny"]\n    }\n  }\n}\n\n' +
        'node {\n  policy = "read"\n}\n',
    );
  });
});
