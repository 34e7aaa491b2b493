import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import {
  consulPolicyProblems,
  ConsulPolicyRules,
  mergeConsulPolicies,
  nomadTasksConsulPolicy,
  renderConsulPolicy,
} from "../../policies";
import { clusterFactsOf, CONSUL_WORKLOAD_AUDIENCE } from "../cluster-facts";
import { escapeTerraformTemplate, NOMAD_NAME, throwIfProblems } from "../core";
import { NomadJob } from "../nomad-job";
import { ConsulAclAuthMethod, ConsulAclBindingRule, ConsulAclPolicy, ConsulAclRole } from "../providers";
import { claimUniqueName, inSameCluster } from "../unique-names";

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
   * Consul rules for the tasks of one namespace beyond the built-in ones, in policy
   * `policy-nomad-<ns>-tasks` on that namespace's role; where a rule names the same node,
   * service or key as a built-in one, this one's level wins.
   * @default none
   */
  readonly namespacePolicies?: Readonly<Record<string, ConsulPolicyRules>>;
  /**
   * How far a workload identity reaches in Consul.
   * - "namespace": a Nomad service gets the Consul service identity of its name only when
   *   the name starts with its namespace and "-" (`dns-coredns` in namespace `dns`), so a job
   *   cannot register, or obtain Connect certificates as, another namespace's service; a
   *   task reads keys under `<ns>/` only, and every node and service (discovery).
   * - "nomad-setup-consul": exactly what `nomad setup consul` creates: any service name, and
   *   `policy-nomad-tasks` (read every key, node and service) on every role.
   * @default "namespace"
   */
  readonly scope?: "namespace" | "nomad-setup-consul";
}

/** What `nomad setup consul` names things; Nomad's docs and agents' defaults expect these. */
export const NOMAD_WORKLOADS_AUTH_METHOD = "nomad-workloads";
export const NOMAD_TASKS_POLICY = "policy-nomad-tasks";

/**
 * The Consul side of Nomad workload identity: the JWT auth method `nomad-workloads` trusting
 * Nomad's JWKS, binding rules that make a service's identity a Consul service identity and
 * give a task the role `nomad-<namespace>-tasks`, and that role for every namespace (the
 * command creates only "default"'s). By default scoped by namespace (see `scope`); with
 * scope "nomad-setup-consul", what `nomad setup consul` creates.
 */
export class ConsulWorkloadIdentity extends Construct {
  readonly authMethod: ConsulAclAuthMethod;
  /** `policy-nomad-tasks`, on every role; only with scope "nomad-setup-consul". */
  readonly tasksPolicy?: ConsulAclPolicy;
  /** Each namespace's tasks role, by Nomad namespace. */
  readonly tasksRoles: ReadonlyMap<string, ConsulAclRole>;

  constructor(scope: Construct, id: string, props: ConsulWorkloadIdentityProps) {
    super(scope, id);
    const namespaces = [...new Set(["default", ...(props.namespaces ?? clusterFactsOf(this)?.namespaces ?? [])])];
    const scoped = (props.scope ?? "namespace") === "namespace";
    const problems = namespaces.filter((ns) => !NOMAD_NAME.test(ns)).map((ns) => `namespace "${ns}" is not a valid Nomad namespace name`);
    // Consul lowercases claim values in bind names (lib/template InterpolateHIL): "Dev" and
    // "dev" would share role nomad-dev-tasks and service identity names.
    const lowered = new Map<string, string>();
    for (const ns of namespaces) {
      const other = lowered.get(ns.toLowerCase());
      if (other !== undefined) problems.push(`namespaces "${other}" and "${ns}" differ only in case; Consul lowercases them in role and service identity names, so their tasks would share one; rename one`);
      lowered.set(ns.toLowerCase(), ns);
    }
    if (props.scope !== undefined && !["namespace", "nomad-setup-consul"].includes(props.scope)) {
      problems.push(`scope "${props.scope}" is unknown; use "namespace" or "nomad-setup-consul"`);
    }
    for (const [ns, rules] of Object.entries(props.namespacePolicies ?? {})) {
      if (!namespaces.includes(ns)) problems.push(`namespacePolicies names namespace "${ns}", which is not one of ${namespaces.join(", ")}`);
      problems.push(...consulPolicyProblems(rules).map((problem) => `namespacePolicies["${ns}"]: ${problem}`));
    }
    throwIfProblems(this, "invalid Consul workload identity setup", problems);

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
        BoundAudiences: [CONSUL_WORKLOAD_AUDIENCE],
        ClaimMappings: Object.fromEntries(
          ["consul_namespace", "nomad_namespace", "nomad_job_id", "nomad_task", "nomad_service"].map((claim) => [claim, claim]),
        ),
      }),
    });
    // Every name here is fixed (`nomad setup consul`'s): a second instance in the cluster collides on this one first.
    claimUniqueName(this.authMethod, "consul_acl_auth_method", NOMAD_WORKLOADS_AUTH_METHOD, "create one ConsulWorkloadIdentity per cluster");
    // Consul interpolates ${value.…} itself: bind names must reach it unevaluated.
    const serviceName = escapeTerraformTemplate("${value.nomad_service}");
    if (scoped) {
      for (const ns of namespaces) {
        new ConsulAclBindingRule(this, `ServicesBindingRule-${ns}`, {
          authMethod: this.authMethod.name,
          description: `Nomad services of namespace ${ns} named ${ns}-*, authenticated using a workload identity`,
          bindType: "service",
          bindName: serviceName,
          selector: serviceSelector(ns, namespaces),
        });
      }
      this.node.addValidation({ validate: () => this.unprefixedConsulServices(namespaces) });
    } else {
      new ConsulAclBindingRule(this, "ServicesBindingRule", {
        authMethod: this.authMethod.name,
        description: "Binding rule for Nomad services authenticated using a workload identity",
        bindType: "service",
        bindName: serviceName,
        selector: '"nomad_service" in value',
      });
    }
    new ConsulAclBindingRule(this, "TasksBindingRule", {
      authMethod: this.authMethod.name,
      description: "Binding rule for Nomad tasks authenticated using a workload identity",
      bindType: "role",
      bindName: escapeTerraformTemplate("nomad-${value.nomad_namespace}-tasks"),
      selector: '"nomad_service" not in value',
    });
    if (!scoped) {
      this.tasksPolicy = new ConsulAclPolicy(this, "TasksPolicy", { name: NOMAD_TASKS_POLICY, rules: escapeTerraformTemplate(renderConsulPolicy(nomadTasksConsulPolicy())) });
      claimUniqueName(this.tasksPolicy, "consul_acl_policy", NOMAD_TASKS_POLICY, "create one ConsulWorkloadIdentity per cluster");
    }

    const roles = new Map<string, ConsulAclRole>();
    for (const ns of namespaces) {
      const policies = this.tasksPolicy ? [this.tasksPolicy.name] : [];
      const extra = props.namespacePolicies?.[ns];
      const rules = scoped ? mergeConsulPolicies(nomadTasksConsulPolicy(ns), extra ?? {}) : extra;
      if (rules) {
        const name = `policy-nomad-${ns.toLowerCase()}-tasks`;
        const policy = new ConsulAclPolicy(this, `TasksPolicy-${ns}`, {
          name,
          description: `Consul access of Nomad tasks in namespace ${ns}`,
          // Key and service names are free text to Consul: Terraform must not read "${" in them.
          rules: escapeTerraformTemplate(renderConsulPolicy(rules)),
        });
        claimUniqueName(policy, "consul_acl_policy", name, "create one ConsulWorkloadIdentity per cluster");
        policies.push(policy.name);
      }
      // Lowercase: the binding rule's bind name is (InterpolateHIL lowercases claim values).
      const roleName = `nomad-${ns.toLowerCase()}-tasks`;
      const role = new ConsulAclRole(this, `TasksRole-${ns}`, {
        name: roleName,
        description: `Role for Nomad tasks using workload identities in namespace ${ns}`,
        policies,
      });
      claimUniqueName(role, "consul_acl_role", roleName, "create one ConsulWorkloadIdentity per cluster");
      roles.set(ns, role);
    }
    this.tasksRoles = roles;
  }

  /**
   * Consul services of this cluster's jobs whose name the namespace binding rules refuse:
   * such a service's identity logs in to nothing and its allocation fails at runtime.
   */
  private unprefixedConsulServices(namespaces: readonly string[]): string[] {
    const jobs = this.node.root.node.findAll().filter((c): c is NomadJob => c instanceof NomadJob && inSameCluster(c, this));
    return jobs.flatMap((job) => {
      const spec = job.spec;
      const ns = spec.namespace ?? "default";
      if (Token.isUnresolved(ns) || !namespaces.includes(ns)) return [];
      return spec.groups.flatMap((group) =>
        [
          ...(group.services ?? []).map((service) => ({ service, fallback: `${spec.name}-${group.name}` })),
          ...group.tasks.flatMap((task) => (task.services ?? []).map((service) => ({ service, fallback: `${spec.name}-${group.name}-${task.name}` }))),
        ]
          .filter(({ service }) => (service.provider ?? "consul") === "consul")
          .map(({ service, fallback }) => service.name ?? fallback)
          // A name Nomad interpolates at runtime cannot be checked here.
          .filter((name) => !name.includes("${") && !Token.isUnresolved(name) && !bindsServiceName(ns, name, namespaces))
          .map((name) => {
            const others = longerNamespaces(ns, namespaces).map((other) => `, not "${other}-"`).join("");
            return (
              `${job.node.path}: Consul service "${name}" of job "${spec.name}" (group "${group.name}") in namespace "${ns}" would get no ` +
              `Consul service identity: ${this.node.path} binds only names starting with "${ns}-"${others} (a job cannot take another ` +
              `namespace's service name); name the service "${ns}-<name>", or use provider "nomad"`
            );
          }),
      );
    });
  }
}

/**
 * go-bexpr (v0.1.2, what Consul's binder calls) cannot compare two fields (a selector on the
 * right is read as a literal string), so each namespace has its own rule; `matches` is a Go
 * regexp, and a namespace name ([a-zA-Z0-9-]) has no regexp metacharacters. Names of a
 * namespace that extends this one ("lab-team" for "lab") belong to that one.
 */
function serviceSelector(ns: string, namespaces: readonly string[]): string {
  const longer = longerNamespaces(ns, namespaces).map((other) => ` and value.nomad_service not matches "^${other}-"`);
  return `"nomad_service" in value and value.nomad_namespace == "${ns}" and value.nomad_service matches "^${ns}-"${longer.join("")}`;
}

/** Declared namespaces whose service names also start with "<ns>-". */
function longerNamespaces(ns: string, namespaces: readonly string[]): string[] {
  return namespaces.filter((other) => other.startsWith(`${ns}-`));
}

/** Whether the namespace binding rules give a service of namespace `ns` named `name` its identity. */
function bindsServiceName(ns: string, name: string, namespaces: readonly string[]): boolean {
  return name.startsWith(`${ns}-`) && !longerNamespaces(ns, namespaces).some((other) => name.startsWith(`${other}-`));
}

function withoutTrailingSlash(address: string): string {
  return Token.isUnresolved(address) ? address : address.replace(/\/+$/, "");
}
