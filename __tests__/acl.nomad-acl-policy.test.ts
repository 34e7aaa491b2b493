import { App, TerraformStack } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NomadAclPolicy } from "../constructs/acl/nomad-acl-policy";
import { NomadAclRole } from "../constructs/acl/nomad-acl-role";
import { NomadAclToken } from "../constructs/acl/nomad-acl-token";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { NomadJob } from "../constructs/nomad-job";
import { NomadProvider } from "../constructs/providers";
import { dev, environmentFacts, lab } from "../environments";
import { denyNamespace, developerPolicy, readJobsPolicy } from "../policies";
import { EnvironmentStacks } from "../stacks/environment";
import { parseHcl } from "./support/hcl";
import { resourcesOf, synthApp, synthEnvironment } from "./support/synth";

const golden = (name: string) => readFileSync(join(__dirname, "golden", "policies", name), "utf8");

/** A small CoreDNS-like job in the dns namespace (named "resolver": lab-workloads already runs DnsVip's "coredns"). */
function resolverJob(scope: TerraformStack, namespace = "dns"): NomadJob {
  return new NomadJob(scope, "resolver", {
    name: "resolver",
    namespace,
    groups: [{ name: "dns", tasks: [{ name: "coredns", driver: "docker", config: { image: "docker.io/coredns/coredns:1.13.2" } }] }],
  });
}

describe("job-bound policies", () => {
  const inLabWorkloads = (extend: (stacks: EnvironmentStacks) => void) => synthEnvironment(lab, extend)["lab-workloads"];

  it("grantReadJobs binds the dns-read-jobs rules to the job with job_acl, created before the job", async () => {
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

  it("a NomadAclPolicy created on its own with { job } is created before the job too, as attachPolicy's", () => {
    const stack = synthApp((app) => {
      const scope = new TerraformStack(app, "jobs");
      declareClusterFacts(scope, environmentFacts(lab));
      new NomadProvider(scope, "nomad", { address: "http://127.0.0.1:4646" });
      new NomadAclPolicy(scope, "ReadJobs", { rules: readJobsPolicy(["default"], { ownNamespace: "dns" }), job: { job: resolverJob(scope) } });
    }).jobs;
    const [[policyId]] = Object.entries<any>(resourcesOf(stack, "nomad_acl_policy"));
    const [job] = Object.values<any>(resourcesOf(stack, "nomad_job"));
    expect(job.depends_on).toEqual([`nomad_acl_policy.${policyId}`]);
  });

  it("attachPolicy binds any typed policy to one task, named after the job by default", () => {
    const workloads = inLabWorkloads(({ workloads }) => {
      resolverJob(workloads).attachPolicy("agent-read", { agent: "read" }, { group: "dns", task: "coredns" });
    });
    const policy = Object.values<any>(resourcesOf(workloads, "nomad_acl_policy")).find((p) => p.name === "resolver-agent-read");
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

describe("NomadAclPolicy validation", () => {
  it("fails on a policy for an undeclared namespace, naming the construct and the declared ones", () => {
    expect(() =>
      synthEnvironment(lab, ({ platform }) => new NomadAclPolicy(platform, "staging-dev", { rules: developerPolicy("staging") })),
    ).toThrow(/lab-platform\/staging-dev: invalid Nomad ACL policy "staging-dev":\n {2}- namespace "staging" is not declared in this environment \(declared: default, dns, ingress, lab, public, dev, ops, csi\)/);
  });

  it("accepts globs that match a declared namespace and fails on globs that match none", () => {
    const all = { namespaces: [{ name: "*", policy: "read" as const }, denyNamespace("ops")] };
    expect(() => synthEnvironment(lab, ({ platform }) => new NomadAclPolicy(platform, "all", { rules: all }))).not.toThrow();
    expect(() => synthEnvironment(lab, ({ platform }) => new NomadAclPolicy(platform, "team", { rules: { namespaces: [{ name: "team-*", policy: "read" }] } }))).toThrow(
      /namespace "team-\*" is not declared/,
    );
  });

  it("fails on an unknown capability with the construct path", () => {
    expect(() =>
      synthEnvironment(lab, ({ platform }) => new NomadAclPolicy(platform, "typo", { rules: { namespaces: [{ name: "dev", capabilities: ["submit-jobs" as never] }] } })),
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
    expect(() => synthEnvironment(lab, ({ platform }) => new NomadAclPolicy(platform, "registrar", { rules }))).not.toThrow();
    expect(environmentFacts(dev).nomadVersion).toBeUndefined();
    expect(() => synthEnvironment(dev, ({ platform }) => new NomadAclPolicy(platform, "registrar", { rules }))).not.toThrow();
  });

  it("fails on an invalid policy name or a description Nomad would reject", () => {
    expect(() => synthEnvironment(lab, ({ platform }) => new NomadAclPolicy(platform, "ReadJobs", { policyName: "read_jobs", rules: { node: "read" } }))).toThrow(
      /lab-platform\/ReadJobs: .*policy name "read_jobs" is invalid/s,
    );
    expect(() => synthEnvironment(lab, ({ platform }) => new NomadAclPolicy(platform, "long", { description: "x".repeat(257), rules: { node: "read" } }))).toThrow(
      /lab-platform\/long: .*longer than Nomad's limit of 256/s,
    );
  });
});

describe("Nomad ACL policy names, unique per stack (across stacks: unique-names.test.ts)", () => {
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
});
