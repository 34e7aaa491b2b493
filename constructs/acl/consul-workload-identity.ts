import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { ConsulPolicyRules, consulPolicyProblems, renderConsulPolicy } from "../../policies/consul-policy";
import { nomadTasksConsulPolicy } from "../../policies/builtin";
import { clusterFactsOf } from "../cluster-facts";
import { escapeTerraformTemplate } from "../nomad-job/escape";
import { ConsulAclAuthMethod, ConsulAclBindingRule, ConsulAclPolicy, ConsulAclRole } from "../providers";
import { claimUniqueName } from "../unique-names";

export interface ConsulWorkloadIdentityProps {
  /**
   * The Nomad servers' HTTP(S) API, e.g. "https://203.0.113.10:4646". Consul fetches
   * Nomad's signing keys from `<nomadAddress>/.well-known/jwks.json`, also when the
   * auth method is created, so Nomad must be up and reachable from the Consul servers.
   */
  readonly nomadAddress: string;
  /** PEM of the CA that signed Nomad's TLS certificate, for an https address. @default none (plain HTTP or a public CA) */
  readonly nomadCaPem?: string;
  /**
   * Nomad namespaces whose tasks get a `nomad-<ns>-tasks` role ("default" always does).
   * @default the namespaces declared for the stack, else only "default"
   */
  readonly namespaces?: readonly string[];
  /**
   * Consul rules for the tasks of one namespace beyond policy-nomad-tasks, created as
   * policy `policy-nomad-<ns>-tasks` on that namespace's role.
   * @default none
   */
  readonly namespacePolicies?: Readonly<Record<string, ConsulPolicyRules>>;
}

/** What `nomad setup consul` names things; Nomad's docs and agents' defaults expect these. */
export const NOMAD_WORKLOADS_AUTH_METHOD = "nomad-workloads";
export const NOMAD_TASKS_POLICY = "policy-nomad-tasks";
const AUDIENCE = "consul.io";
const NAMESPACE_NAME = /^[a-zA-Z0-9-]{1,128}$/;

/**
 * The Consul side of Nomad workload identity, as `nomad setup consul` creates it: the JWT
 * auth method `nomad-workloads` trusting Nomad's JWKS, a binding rule that makes a
 * service's identity a Consul service identity, a binding rule that gives a task the role
 * `nomad-<namespace>-tasks`, and policy `policy-nomad-tasks` (read nodes, services, keys).
 * Unlike the command it creates the role for every namespace, not only "default".
 */
export class ConsulWorkloadIdentity extends Construct {
  readonly authMethod: ConsulAclAuthMethod;
  readonly tasksPolicy: ConsulAclPolicy;
  /** Each namespace's tasks role, by Nomad namespace. */
  readonly tasksRoles: ReadonlyMap<string, ConsulAclRole>;

  constructor(scope: Construct, id: string, props: ConsulWorkloadIdentityProps) {
    super(scope, id);
    const namespaces = [...new Set(["default", ...(props.namespaces ?? clusterFactsOf(this)?.namespaces ?? [])])];
    const problems = namespaces.filter((ns) => !NAMESPACE_NAME.test(ns)).map((ns) => `namespace "${ns}" is not a valid Nomad namespace name`);
    for (const [ns, rules] of Object.entries(props.namespacePolicies ?? {})) {
      if (!namespaces.includes(ns)) problems.push(`namespacePolicies names namespace "${ns}", which is not one of ${namespaces.join(", ")}`);
      problems.push(...consulPolicyProblems(rules).map((problem) => `namespacePolicies["${ns}"]: ${problem}`));
    }
    if (problems.length > 0) throw new Error(`${this.node.path}: invalid Consul workload identity setup:\n  ${problems.join("\n  ")}`);

    this.authMethod = new ConsulAclAuthMethod(this, "AuthMethod", {
      name: NOMAD_WORKLOADS_AUTH_METHOD,
      displayName: NOMAD_WORKLOADS_AUTH_METHOD,
      description: "Login method for Nomad workloads using workload identities",
      type: "jwt",
      tokenLocality: "local",
      configJson: Fn.jsonencode({
        JWKSURL: `${withoutTrailingSlash(props.nomadAddress)}/.well-known/jwks.json`,
        ...(props.nomadCaPem !== undefined ? { JWKSCACert: props.nomadCaPem } : {}),
        JWTSupportedAlgs: ["RS256"],
        BoundAudiences: [AUDIENCE],
        ClaimMappings: Object.fromEntries(
          ["consul_namespace", "nomad_namespace", "nomad_job_id", "nomad_task", "nomad_service"].map((claim) => [claim, claim]),
        ),
      }),
    });
    new ConsulAclBindingRule(this, "ServicesBindingRule", {
      authMethod: this.authMethod.name,
      description: "Binding rule for Nomad services authenticated using a workload identity",
      bindType: "service",
      // Consul interpolates these itself: they must reach it unevaluated.
      bindName: escapeTerraformTemplate("${value.nomad_service}"),
      selector: '"nomad_service" in value',
    });
    new ConsulAclBindingRule(this, "TasksBindingRule", {
      authMethod: this.authMethod.name,
      description: "Binding rule for Nomad tasks authenticated using a workload identity",
      bindType: "role",
      bindName: escapeTerraformTemplate("nomad-${value.nomad_namespace}-tasks"),
      selector: '"nomad_service" not in value',
    });
    this.tasksPolicy = new ConsulAclPolicy(this, "TasksPolicy", {
      name: NOMAD_TASKS_POLICY,
      rules: renderConsulPolicy(nomadTasksConsulPolicy()),
    });
    // Every name here is fixed (`nomad setup consul`'s), and this one is always created: a
    // second instance in the stack collides on it first.
    claimUniqueName(this.tasksPolicy, "consul_acl_policy", NOMAD_TASKS_POLICY, "create one ConsulWorkloadIdentity per cluster");

    const roles = new Map<string, ConsulAclRole>();
    for (const ns of namespaces) {
      const policies = [this.tasksPolicy.name];
      const extra = props.namespacePolicies?.[ns];
      if (extra) {
        const policy = new ConsulAclPolicy(this, `TasksPolicy-${ns}`, {
          name: `policy-nomad-${ns}-tasks`,
          description: `Consul access of Nomad tasks in namespace ${ns}`,
          rules: renderConsulPolicy(extra),
        });
        policies.push(policy.name);
      }
      roles.set(
        ns,
        new ConsulAclRole(this, `TasksRole-${ns}`, {
          name: `nomad-${ns}-tasks`,
          description: `Role for Nomad tasks using workload identities in namespace ${ns}`,
          policies,
        }),
      );
    }
    this.tasksRoles = roles;
  }
}

function withoutTrailingSlash(address: string): string {
  return Token.isUnresolved(address) ? address : address.replace(/\/+$/, "");
}
