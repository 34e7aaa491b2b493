import { App, TerraformStack } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConsulWorkloadIdentity, ConsulWorkloadIdentityProps } from "../constructs/acl/consul-workload-identity";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { NomadJob } from "../constructs/nomad-job";
import { ConsulProvider } from "../constructs/providers";
import { dev, environmentFacts, lab } from "../environments";
import { evaluateConsulSelectors } from "./support/consul-selector";
import { parseHcl } from "./support/hcl";
import { StackJson, resourcesOf, synthApp, synthEnvironment, resourcesByName } from "./support/synth";
import { evaluateWithTerraform } from "./support/terraform";
import { requireTool } from "./support/tools";

const golden = (name: string) => readFileSync(join(__dirname, "golden", "policies", name), "utf8");

/** A stack of its own with a ConsulWorkloadIdentity for namespaces default and lab. */
function identityStack(props: Partial<ConsulWorkloadIdentityProps> = {}): StackJson {
  return synthApp((app) => {
    const stack = new TerraformStack(app, "test");
    new ConsulProvider(stack, "consul", {});
    new ConsulWorkloadIdentity(stack, "ConsulWorkloadIdentity", { nomadAddress: "http://127.0.0.1:4646", namespaces: ["default", "lab"], ...props });
  }).test;
}

/** Binding rules as Consul receives them, after Terraform evaluated the strings. */
function evaluatedRules(stack: StackJson): { bindType: string; bindName: string; selector: string }[] {
  requireTool("terraform");
  const rules = Object.values<any>(resourcesOf(stack, "consul_acl_binding_rule"));
  const values = evaluateWithTerraform(
    Object.fromEntries(rules.flatMap((rule, i) => [[`name_${i}`, rule.bind_name], [`selector_${i}`, rule.selector]])),
  );
  return rules.map((rule, i) => ({ bindType: rule.bind_type, bindName: values[`name_${i}`], selector: values[`selector_${i}`] }));
}

/** Claims of a service's and a task's workload identity, as Nomad signs them. */
const service = (namespace: string, name: string) => ({ nomad_namespace: namespace, nomad_job_id: "job", nomad_service: name });
const task = (namespace: string) => ({ nomad_namespace: namespace, nomad_job_id: "job", nomad_task: "task" });

describe.each([
  ["lab", lab],
  ["dev", dev],
])("the %s-platform stack's Consul workload identity", (name, env) => {
  const stack = synthEnvironment(env)[`${name}-platform`];
  const declared = env.namespaces.map((ns) => ns.name);

  it("binds a service to its service identity in one rule per namespace, for names starting with the namespace, and tasks to their namespace's role", () => {
    const bySelector = (a: { selector: string }, b: { selector: string }) => a.selector.localeCompare(b.selector);
    expect(evaluatedRules(stack).sort(bySelector)).toEqual(
      [
        ...declared.map((ns) => ({
          bindType: "service",
          bindName: "${value.nomad_service}",
          selector: `"nomad_service" in value and value.nomad_namespace == "${ns}" and value.nomad_service matches "^${ns}-"`,
        })),
        { bindType: "role", bindName: "nomad-${value.nomad_namespace}-tasks", selector: '"nomad_service" not in value' },
      ].sort(bySelector),
    );
    for (const rule of Object.values<any>(resourcesOf(stack, "consul_acl_binding_rule"))) {
      expect(rule.auth_method).toMatch(/^\$\{consul_acl_auth_method\.[^.]+\.name\}$/);
    }
  });

  it("gives each namespace's tasks role one policy: keys under <ns>/, every node and service", async () => {
    const roles = resourcesByName(stack, "consul_acl_role");
    const policies = Object.entries<any>(resourcesOf(stack, "consul_acl_policy"));
    expect(Object.keys(roles).sort()).toEqual(declared.map((ns) => `nomad-${ns}-tasks`).sort());
    expect(policies.map(([, p]) => p.name).sort()).toEqual(declared.map((ns) => `policy-nomad-${ns}-tasks`).sort());
    for (const ns of declared) {
      const [id, policy] = policies.find(([, p]) => p.name === `policy-nomad-${ns}-tasks`)!;
      expect(roles[`nomad-${ns}-tasks`].policies).toEqual([`\${consul_acl_policy.${id}.name}`]);
      expect(await parseHcl(policy.rules)).toEqual({
        node_prefix: { "": [{ policy: "read" }] },
        service_prefix: { "": [{ policy: "read" }] },
        key_prefix: { [`${ns}/`]: [{ policy: "read" }] },
      });
    }
  });
});

describe("the namespace binding rules, evaluated by go-bexpr 0.1.2 as Consul's binder does", () => {
  const rules = evaluatedRules(identityStack());
  const claims = [
    service("lab", "lab-web"),
    service("lab", "web"),
    service("default", "lab-web"),
    service("lab", "lab"),
    service("lab", "default-web"),
    service("default", "default-web"),
    task("lab"),
    task("default"),
  ];
  const matches = evaluateConsulSelectors(
    rules.map((rule) => rule.selector),
    claims,
  );

  it("lets a service take only a name of its own namespace, and no rule match a task's identity but the role rule", () => {
    expect(rules.map((rule) => `${rule.bindType} ${rule.selector}`)).toEqual([
      expect.stringMatching(/^service .*"default"/),
      expect.stringMatching(/^service .*"lab"/),
      'role "nomad_service" not in value',
    ]);
    expect(matches).toEqual([
      // default:  lab-web  web    lab-web  lab    default-web  default-web  task   task
      [false, false, false, false, false, true, false, false],
      [true, false, false, false, false, false, false, false],
      [false, false, false, false, false, false, true, true],
    ]);
  });

  it("gives the names of a namespace that extends another (lab-team-* for lab-team, not for lab) only to that one", () => {
    const nested = evaluatedRules(identityStack({ namespaces: ["lab", "lab-team"] })).filter((rule) => rule.bindType === "service");
    const claimed = [service("lab", "lab-team-web"), service("lab-team", "lab-team-web"), service("lab", "lab-web"), service("lab-team", "lab-web")];
    const byNamespace = Object.fromEntries(
      nested.map((rule) => [/value\.nomad_namespace == "([^"]+)"/.exec(rule.selector)![1], evaluateConsulSelectors([rule.selector], claimed)[0]]),
    );
    expect(byNamespace).toEqual({
      default: [false, false, false, false],
      lab: [false, false, true, false],
      "lab-team": [false, true, false, false],
    });
  });

  it("needs the \"nomad_service\" in value guard: without it a task's identity (no nomad_service claim) matches a `matches` selector", () => {
    // go-bexpr 0.1.2 evaluates every operator but ==, in and is-not-empty to true on a missing map key.
    const [unguarded] = evaluateConsulSelectors(['value.nomad_namespace == "lab" and value.nomad_service matches "^lab-"'], [task("lab")]);
    expect(unguarded).toEqual([true]);
  });

  it("cannot compare two claims: a selector on the right-hand side is a literal string", () => {
    const [fieldToField] = evaluateConsulSelectors(["value.nomad_service == value.nomad_namespace"], [service("lab", "lab"), service("lab", "value.nomad_namespace")]);
    expect(fieldToField).toEqual([false, true]);
  });
});

describe("ConsulWorkloadIdentity", () => {
  it("with scope nomad-setup-consul creates exactly what `nomad setup consul` does, plus a role for each namespace", async () => {
    const stack = identityStack({ scope: "nomad-setup-consul" });
    expect(evaluatedRules(stack)).toEqual([
      { bindType: "service", bindName: "${value.nomad_service}", selector: '"nomad_service" in value' },
      { bindType: "role", bindName: "nomad-${value.nomad_namespace}-tasks", selector: '"nomad_service" not in value' },
    ]);
    const [[policyId, policy]] = Object.entries<any>(resourcesOf(stack, "consul_acl_policy"));
    expect(policy.name).toBe("policy-nomad-tasks");
    expect(await parseHcl(policy.rules)).toEqual(await parseHcl(golden("consul-policy-nomad-tasks.hcl")));
    const roles = resourcesByName(stack, "consul_acl_role");
    expect(Object.keys(roles).sort()).toEqual(["nomad-default-tasks", "nomad-lab-tasks"]);
    for (const role of Object.values<any>(roles)) expect(role.policies).toEqual([`\${consul_acl_policy.${policyId}.name}`]);
  });

  it("points the JWKS URL at the Nomad servers and maps Nomad's claims, as evaluated by Terraform", () => {
    requireTool("terraform");
    const method = resourcesByName(synthEnvironment(dev)["dev-platform"], "consul_acl_auth_method")["nomad-workloads"];
    expect(method).toMatchObject({ type: "jwt", token_locality: "local", display_name: "nomad-workloads" });
    const config = JSON.parse(evaluateWithTerraform({ config: method.config_json }).config);
    expect(config).toEqual({
      JWKSURL: "http://127.0.0.1:4646/.well-known/jwks.json",
      JWTSupportedAlgs: ["RS256"],
      BoundAudiences: ["consul.io"],
      ClaimMappings: {
        consul_namespace: "consul_namespace",
        nomad_namespace: "nomad_namespace",
        nomad_job_id: "nomad_job_id",
        nomad_task: "nomad_task",
        nomad_service: "nomad_service",
      },
    });
  });

  it("has each lab Consul server fetch the JWKS from its own Nomad over loopback, trusting the cluster CA", () => {
    // Whichever Consul server leads fetches the keys; the public API address admits only operators.
    const method = resourcesByName(synthEnvironment(lab)["lab-platform"], "consul_acl_auth_method")["nomad-workloads"];
    expect(method.config_json).toContain('"JWKSURL" = "https://127.0.0.1:4646/.well-known/jwks.json"');
    expect(method.config_json).toMatch(/"JWKSCACert" = data\.terraform_remote_state\.cross-stack-reference-input-lab-hosts\.outputs\.\S*cert_pem,/);
  });

  it("trusts the CA for an https JWKS URL and adds per-namespace rules to that namespace's policy, theirs winning", async () => {
    requireTool("terraform");
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const stack = identityStack({
      nomadAddress: "https://nomad.lab.example.com:4646/",
      nomadCaPem: pem,
      namespacePolicies: { lab: { servicePrefix: { "lab-": "write" }, keyPrefix: { "lab/": "write", "shared/": "read" } } },
    });
    const config = JSON.parse(evaluateWithTerraform({ config: resourcesByName(stack, "consul_acl_auth_method")["nomad-workloads"].config_json }).config);
    expect(config.JWKSURL).toBe("https://nomad.lab.example.com:4646/.well-known/jwks.json");
    expect(config.JWKSCACert).toBe(pem);
    expect(resourcesByName(stack, "consul_acl_role")["nomad-lab-tasks"].policies).toHaveLength(1);
    expect(await parseHcl(resourcesByName(stack, "consul_acl_policy")["policy-nomad-lab-tasks"].rules)).toEqual({
      node_prefix: { "": [{ policy: "read" }] },
      service_prefix: { "": [{ policy: "read" }], "lab-": [{ policy: "write" }] },
      key_prefix: { "lab/": [{ policy: "write" }], "shared/": [{ policy: "read" }] },
    });
  });

  it("with scope nomad-setup-consul puts per-namespace rules in a policy of their own beside policy-nomad-tasks", () => {
    const stack = identityStack({ scope: "nomad-setup-consul", namespacePolicies: { lab: { servicePrefix: { "lab-": "write" } } } });
    expect(resourcesByName(stack, "consul_acl_role")["nomad-lab-tasks"].policies).toHaveLength(2);
    expect(resourcesByName(stack, "consul_acl_policy")["policy-nomad-lab-tasks"].rules).toBe('service_prefix "lab-" {\n  policy = "write"\n}\n');
  });

  it("fails when a per-namespace policy names an undeclared namespace", () => {
    const stack = new TerraformStack(new App(), "test");
    declareClusterFacts(stack, environmentFacts(lab));
    expect(
      () => new ConsulWorkloadIdentity(stack, "wi", { nomadAddress: "http://n:4646", namespacePolicies: { staging: { keyPrefix: { "": "read" } } } }),
    ).toThrow(/test\/wi: .*namespacePolicies names namespace "staging"/s);
  });

  it("fails on namespaces that differ only in case (Consul lowercases them in role and service identity names) and on an unknown scope", () => {
    const stack = new TerraformStack(new App(), "test");
    expect(() => new ConsulWorkloadIdentity(stack, "wi", { nomadAddress: "http://n:4646", namespaces: ["dev", "Dev"], scope: "wide" as never })).toThrow(
      /test\/wi: invalid Consul workload identity setup:\n {2}- namespaces "dev" and "Dev" differ only in case; .*rename one\n {2}- scope "wide" is unknown/,
    );
  });

  it("fails on workload identity namespaces Nomad would reject and on invalid per-namespace Consul rules", () => {
    expect(() => synthEnvironment(lab, ({ platform }) => new ConsulWorkloadIdentity(platform, "wi2", { nomadAddress: "http://n:4646", namespaces: ["my_ns"] }))).toThrow(
      /lab-platform\/wi2: .*namespace "my_ns" is not a valid Nomad namespace name/s,
    );
    expect(() =>
      synthEnvironment(lab, ({ platform }) =>
        new ConsulWorkloadIdentity(platform, "wi3", { nomadAddress: "http://n:4646", namespacePolicies: { dns: { servicePrefix: { "": "admin" as never } } } }),
      ),
    ).toThrow(/lab-platform\/wi3: .*namespacePolicies\["dns"\]: service_prefix "": unknown policy "admin"/s);
  });

  it("fails on a second ConsulWorkloadIdentity in the stack: its Consul names are fixed", () => {
    expect(() => synthEnvironment(lab, ({ platform }) => new ConsulWorkloadIdentity(platform, "again", { nomadAddress: "http://n:4646" }))).toThrow(
      /^lab-platform\/again\/AuthMethod: Consul ACL auth method name "nomad-workloads" is taken:\n  - lab-platform\/ConsulWorkloadIdentity\/AuthMethod in stack lab-platform already uses it; .*create one ConsulWorkloadIdentity per cluster/,
    );
  });
});

describe("Consul services of the cluster's jobs", () => {
  const jobWith = (services: object[], namespace = "lab") => (workloads: TerraformStack) =>
    new NomadJob(workloads, "Web", {
      name: "web",
      namespace,
      groups: [{ name: "app", services: services as never, tasks: [{ name: "server", driver: "docker", config: { image: "traefik/whoami:v1.10" } }] }],
    });

  it("fails on a Consul service whose name does not start with its namespace, named or by default, naming the job and the fix", () => {
    expect(() => synthEnvironment(lab, ({ workloads }) => jobWith([{ name: "web", provider: "consul" }])(workloads))).toThrow(
      /lab-workloads\/Web: Consul service "web" of job "web" \(group "app"\) in namespace "lab" would get no Consul service identity: lab-platform\/ConsulWorkloadIdentity binds only names starting with "lab-" .*name the service "lab-<name>", or use provider "nomad"/,
    );
    // Nomad's default service name is <job>-<group>; the default provider is consul.
    expect(() => synthEnvironment(lab, ({ workloads }) => jobWith([{}])(workloads))).toThrow(/Consul service "web-app" of job "web"/);
  });

  it("fails on a Consul service of one namespace named like the services of a namespace that extends it", () => {
    expect(() =>
      synthApp((app) => {
        const stack = new TerraformStack(app, "test");
        new ConsulProvider(stack, "consul", {});
        new ConsulWorkloadIdentity(stack, "Identity", { nomadAddress: "http://127.0.0.1:4646", namespaces: ["lab", "lab-team"] });
        jobWith([{ name: "lab-team-web", provider: "consul" }])(stack);
      }),
    ).toThrow(/test\/Web: Consul service "lab-team-web" .*in namespace "lab" .*binds only names starting with "lab-", not "lab-team-"/);
  });

  it("accepts a Consul service named after its namespace, a name Nomad interpolates, and Nomad-provider services of any name", () => {
    expect(() => synthEnvironment(lab, ({ workloads }) => jobWith([{ name: "lab-web", provider: "consul" }])(workloads))).not.toThrow();
    expect(() => synthEnvironment(lab, ({ workloads }) => jobWith([{ name: "${NOMAD_JOB_NAME}", provider: "consul" }])(workloads))).not.toThrow();
    expect(() => synthEnvironment(lab, ({ workloads }) => jobWith([{ name: "web", provider: "nomad" }])(workloads))).not.toThrow();
  });
});
