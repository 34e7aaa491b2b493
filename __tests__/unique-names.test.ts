import { App, TerraformOutput, TerraformStack } from "cdktf";
import { ConsulWorkloadIdentity } from "../constructs/acl/consul-workload-identity";
import { NomadAclPolicy } from "../constructs/acl/nomad-acl-policy";
import { NomadAclRole } from "../constructs/acl/nomad-acl-role";
import { NomadAclToken } from "../constructs/acl/nomad-acl-token";
import { NomadJob } from "../constructs/nomad-job";
import { ConsulProvider, NomadProvider } from "../constructs/providers";
import { declareCluster } from "../constructs/unique-names";
import { dev, lab } from "../environments";
import { addEnvironment } from "../stacks/environment";
import { resourcesOf, synthApp, synthEnvironment } from "./support/synth";
import { evaluateWithTerraform } from "./support/terraform";
import { requireTool } from "./support/tools";

/** A stack with Nomad and Consul providers, as a library user's would have. */
function userStack(app: App, id: string): TerraformStack {
  const stack = new TerraformStack(app, id);
  new NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" });
  new ConsulProvider(stack, "consul", { address: "http://127.0.0.1:8500" });
  return stack;
}

const readers = (stack: TerraformStack, policyName = "readers") => new NomadAclPolicy(stack, "Readers", { policyName, rules: { node: "read" } });
const whoami = (stack: TerraformStack) =>
  new NomadJob(stack, "Whoami", { name: "whoami", groups: [{ name: "web", tasks: [{ name: "server", driver: "docker", config: { image: "traefik/whoami:v1.10" } }] }] });

describe("names unique per cluster", () => {
  it("fails on a Nomad ACL policy named like one of another stack of the environment, naming both constructs", () => {
    expect(() => synthEnvironment(lab, ({ workloads }) => readers(workloads, "operator"))).toThrow(
      /\[lab-platform\/Default\/OperatorPolicy\] Nomad ACL policy name "operator" is also used by lab-workloads\/Readers in stack lab-workloads, which manages the same cluster "lab"; one of the two would silently overwrite the other's rules at apply; give one a distinct policyName/,
    );
  });

  it("fails on a job id in a namespace that another stack of the environment already runs", () => {
    expect(() =>
      synthEnvironment(lab, ({ platform }) => {
        new NomadJob(platform, "ItTools", { name: "it-tools", groups: [{ name: "web", tasks: [{ name: "server", driver: "docker", config: { image: "x:1" } }] }] });
      }),
    ).toThrow(/\[lab-platform\/ItTools\] Nomad job name "default\/it-tools" is also used by lab-workloads\/ItTools\/Job in stack lab-workloads, .*replace the other job at every apply/);
  });

  it("fails on a Nomad role or Consul object used twice across stacks, reporting every collision of the stack at once", () => {
    const problems = () =>
      synthApp((app) => {
        for (const id of ["first", "second"]) {
          const stack = userStack(app, id);
          new NomadAclRole(stack, "Role", { roleName: "auditors", policies: [readers(stack, `readers-${id}`)] });
          new ConsulWorkloadIdentity(stack, "ConsulWorkloadIdentity", { nomadAddress: "http://127.0.0.1:4646" });
        }
      });
    expect(problems).toThrow(/\[first\/Role\] Nomad ACL role name "auditors" is also used by second\/Role in stack second, which manages the same cluster the App's \(no declareCluster\); one of the two would be refused at apply/);
    expect(problems).toThrow(/\[first\/ConsulWorkloadIdentity\/AuthMethod\] Consul ACL auth method name "nomad-workloads" is also used by second\/ConsulWorkloadIdentity\/AuthMethod .*create one ConsulWorkloadIdentity per cluster/);
    expect(problems).toThrow(/\[first\/ConsulWorkloadIdentity\/TasksRole-default\] Consul ACL role name "nomad-default-tasks" is also used by/);
  });

  it("allows the same names in stacks that declare different clusters, as the environments of one App do", () => {
    expect(() =>
      synthApp((app) => {
        for (const id of ["home", "office"]) {
          const stack = userStack(app, id);
          declareCluster(stack, { name: id });
          readers(stack);
          whoami(stack);
        }
      }),
    ).not.toThrow();
    const stacks = synthApp((app) => {
      addEnvironment(app, lab);
      addEnvironment(app, dev);
    });
    expect(Object.keys(stacks)).toEqual(expect.arrayContaining(["lab-platform", "dev-platform"]));
  });

  it("fails in one stack at once, as before, naming both constructs", () => {
    const stack = userStack(new App(), "test");
    readers(stack);
    expect(() => new NomadAclPolicy(stack, "MoreReaders", { policyName: "readers", rules: { node: "read" } })).toThrow(
      /^test\/MoreReaders: Nomad ACL policy name "readers" is taken:\n  - test\/Readers in stack test already uses it; one of the two would silently overwrite/,
    );
  });
});

describe("names hashilab reserves in a cluster its platform stack manages from elsewhere", () => {
  it("fails on each of hashilab's platform names in a user's App declared against such a cluster, all reported at once", () => {
    expect(() =>
      synthApp((app) => {
        declareCluster(app, { name: "lab", hashilabPlatformElsewhere: true });
        const stack = userStack(app, "apps");
        const operator = readers(stack, "operator");
        new NomadAclRole(stack, "Role", { roleName: "developers", policies: [operator] });
        new ConsulWorkloadIdentity(stack, "ConsulWorkloadIdentity", { nomadAddress: "http://127.0.0.1:4646", namespaces: ["apps"] });
      }),
    ).toThrow(
      new RegExp(
        [
          String.raw`\[apps/Readers\] Nomad ACL policy name "operator" is reserved in cluster "lab": hashilab's platform stack manages that cluster and creates it, so this one would silently overwrite the other's rules at apply; give one a distinct policyName`,
          String.raw`\[apps/Role\] Nomad ACL role name "developers" is reserved`,
          String.raw`\[apps/ConsulWorkloadIdentity/AuthMethod\] Consul ACL auth method name "nomad-workloads" is reserved`,
          String.raw`.*\[apps/ConsulWorkloadIdentity/TasksRole-apps\] Consul ACL role name "nomad-apps-tasks" is reserved`,
        ].join(".*"),
        "s",
      ),
    );
  });

  it("allows every other name there, and hashilab's names in a cluster not declared so", () => {
    expect(() =>
      synthApp((app) => {
        declareCluster(app, { name: "lab", hashilabPlatformElsewhere: true });
        const stack = userStack(app, "apps");
        new NomadAclRole(stack, "Role", { roleName: "auditors", policies: [readers(stack, "operators-readonly")] });
        whoami(stack);
      }),
    ).not.toThrow();
    expect(() => synthApp((app) => readers(userStack(app, "apps"), "operator"))).not.toThrow();
  });
});

describe("Nomad ACL tokens and their outputs", () => {
  it("fails when two tokens' output names collide (Token-a-b and Token-a_b), naming both", () => {
    expect(() =>
      synthApp((app) => {
        const stack = userStack(app, "test");
        const policies = [readers(stack)];
        new NomadAclToken(stack, "Token-a-b", { policies });
        new NomadAclToken(stack, "Token-a_b", { policies });
      }),
    ).toThrow(/\[test\/Token-a-b\/Secret\] output name "nomad_token_Token_a_b" is also the name of test\/Token-a_b\/Secret's output; Terraform keeps only one value; set a distinct outputName/);
  });

  it("fails when an outputName collides with another output of the stack or is not a Terraform identifier", () => {
    expect(() =>
      synthApp((app) => {
        const stack = userStack(app, "test");
        const policies = [readers(stack)];
        new NomadAclToken(stack, "Ada", { policies, outputName: "nomad_token" });
        new TerraformOutput(stack, "nomad_token", { value: "x" });
        new NomadAclToken(stack, "Max", { policies, outputName: "token for max" });
      }),
    ).toThrow(
      /\[test\/Ada\/Secret\] output name "nomad_token" is also the name of test\/nomad_token's output.*\[test\/Max\/Secret\] output name "token for max" is not a Terraform identifier/s,
    );
  });

  it("derives a Terraform identifier from any construct id, and passes ${ and %{ in a token name to Nomad unchanged", () => {
    requireTool("terraform");
    const stack = synthApp((app) => {
      const scope = userStack(app, "test");
      new NomadAclToken(scope, "Token ci.${x}", { tokenName: "ci ${x} %{y}", policies: [readers(scope)] });
    }).test;
    expect(Object.keys(stack.output)).toEqual(["nomad_token_Token_ci___x_"]);
    const [token] = Object.values<any>(resourcesOf(stack, "nomad_acl_token"));
    // Terraform accepts the output name and evaluates the escaped name back to what was written.
    expect(evaluateWithTerraform({ nomad_token_Token_ci___x_: token.name })).toEqual({ nomad_token_Token_ci___x_: "ci ${x} %{y}" });
  });

  it("fails on a token name or role description longer than Nomad accepts", () => {
    const stack = userStack(new App(), "test");
    const policies = [readers(stack)];
    expect(() => new NomadAclToken(stack, "Long", { tokenName: "x".repeat(257), policies })).toThrow(/test\/Long: invalid Nomad ACL token:\n  - tokenName is longer than Nomad's limit of 256/);
    expect(() => new NomadAclRole(stack, "Wordy", { description: "x".repeat(257), policies })).toThrow(/test\/Wordy: .*description is longer than Nomad's limit of 256/s);
  });

  it("fails on an expirationTtl that is no Go duration (it would also reach Terraform's interpolation), and takes one that is", () => {
    const stack = userStack(new App(), "test");
    const policies = [readers(stack)];
    for (const [i, ttl] of ["30 days", "${var.ttl}", "-1h", "8"].entries()) {
      expect(() => new NomadAclToken(stack, `Token-${i}`, { expirationTtl: ttl, policies })).toThrow(`expirationTtl "${ttl}" is not a positive Go duration`);
    }
    expect(() => new NomadAclToken(stack, "Shift", { expirationTtl: "7h30m", policies })).not.toThrow();
  });
});
