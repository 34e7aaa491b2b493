import { App, TerraformStack } from "cdktf";
import { collectProblems, formatSynthProblems, SynthProblems, throwIfProblems, validationProblems } from "../../constructs/core";
import { NomadJob } from "../../constructs/nomad-job";
import { dev, EnvironmentConfig, lab } from "../../environments";
import { addEnvironment, addEnvironments } from "../../stacks/environment";
import { jobStack } from "../nomad-job.support";
import { environmentError, withField } from "./synth-errors";

/**
 * All problems at once: a construct still throws on its own problems (later code depends on
 * validated input), but addEnvironment goes on with every stack that does not depend on the
 * failed one, addEnvironments with every environment and every built stack's validations, and
 * main.ts prints them once, numbered, without a stack trace, and exits non-zero.
 */

/** The lab with a namespace the platform stack refuses and an upstream the workloads stack's DnsVip refuses. */
const TWO_STACKS_BAD: EnvironmentConfig = {
  ...lab,
  namespaces: lab.namespaces.map((ns) => (ns.name === "lab" ? { ...ns, addCapabilities: ["NET_FOO"] } : ns)),
  dns: { ...lab.dns, upstreams: ["dns.google"] },
};

describe("one environment", () => {
  it("reports the platform stack's and the workloads stack's problems together", () => {
    const message = environmentError(TWO_STACKS_BAD);
    expect(message).toMatch(/^lab-platform: invalid environment namespaces:\n  - namespaces "lab": addCapabilities "NET_FOO" is no Linux capability/);
    expect(message).toMatch(/\nlab-workloads\/Dns: invalid DnsVip:\n  - upstreams\[0\] "dns\.google" is not a resolver/);
  });

  it("stops after a failed hosts stack, whose outputs every later stack needs", () => {
    const env = withField(lab, ["cluster", "serverType"], "cx22");
    const message = environmentError(env);
    expect(message.split("\n")[0]).toBe("lab-hosts/Cluster: invalid HetznerCluster:");
    expect(message).not.toContain("lab-acl");
  });

  it("checks the environment as data before building any stack", () => {
    const app = new App();
    expect(() => addEnvironment(app, withField(lab, ["tier"], "prod"))).toThrow(SynthProblems);
    expect(app.node.children).toEqual([]);
  });
});

describe("every environment of the app", () => {
  it("reports each bad environment and builds the good ones", () => {
    const app = new App();
    const dev2 = { ...dev, name: "dev2", anonymousAccess: "all" };
    const problems = addEnvironments(app, [withField(lab, ["tier"], "prod"), dev, dev2 as unknown as EnvironmentConfig]);
    expect(problems).toEqual([
      'environment "lab" (EnvironmentConfig):\n  - tier is "prod"; allowed: "dev", "lab", "production"',
      'environment "dev2" (EnvironmentConfig):\n  - anonymousAccess is "all"; allowed: "deny", "read"',
    ]);
    expect(app.node.children.map((c) => c.node.id)).toEqual(["dev-acl", "dev-platform", "dev-workloads"]);
  });

  it("reports nothing for the shipped environments", () => {
    expect(addEnvironments(new App(), [lab, dev])).toEqual([]);
  });

  it("reports the validations of every stack, where cdktf's synth stops at the first", () => {
    const app = new App();
    const [first, second] = ["one", "two"].map((id) => {
      const stack = new TerraformStack(app, id);
      new NomadJob(stack, "Empty", { name: `empty-${id}` });
      return stack;
    });
    expect(() => app.synth()).toThrow(/one\/Empty/);
    expect(() => app.synth()).not.toThrow(/two\/Empty/);
    expect([...validationProblems(first), ...validationProblems(second)].filter((p) => p.includes("has no groups"))).toEqual([
      'one/Empty: job "empty-one": has no groups. Add one with addGroup(...) or the groups prop.',
      'two/Empty: job "empty-two": has no groups. Add one with addGroup(...) or the groups prop.',
    ]);
  });
});

describe("the report", () => {
  it("numbers every report once and says how many, standing on its own", () => {
    const reports = ["a: invalid A:\n  - first", "b: invalid B:\n  - second", "a: invalid A:\n  - first"];
    expect(formatSynthProblems(reports)).toBe(
      "Synth found 2 problem reports; fix them and run synth again:\n\n1. a: invalid A:\n  - first\n\n2. b: invalid B:\n  - second\n",
    );
  });

  it("starts with the problem, not a path, for the App itself", () => {
    expect(() => throwIfProblems(new App(), "environment \"x\"", ["name is missing"])).toThrow(/^environment "x":\n  - name is missing$/);
  });

  it("keeps a bug a bug: collectProblems passes on any error that is not a SynthProblems", () => {
    const reports: string[] = [];
    expect(() => collectProblems(reports, () => (undefined as any).x)).toThrow(TypeError);
    expect(collectProblems(reports, () => throwIfProblems(jobStack(), "invalid thing", ["one", "two"]))).toBeUndefined();
    expect(reports).toEqual(["test: invalid thing:\n  - one\n  - two"]);
  });
});
