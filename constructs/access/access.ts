import { Construct } from "constructs";
import { AllNamespacesPolicyOptions, developerPolicy, operatorPolicy } from "../../policies";
import { NomadAclPolicy, NomadAclRole, NomadAclToken } from "../acl";
import { NOMAD_NAME, throwIfProblems } from "../core";

/** Who gets a Nomad ACL token, and what developers and operators may do. */
export interface AccessProps extends AllNamespacesPolicyOptions {
  /** The namespaces that exist (the developer namespace must be one of them). */
  readonly namespaces: readonly string[];
  /** Each gets a token with the `operators` role (names: lowercase letters, digits, dashes). @default ["operator"] */
  readonly operators?: readonly string[];
  /** Each gets a token with the `developers` role (names: lowercase letters, digits, dashes). @default ["developer"] */
  readonly developers?: readonly string[];
  /**
   * The namespace developers work in: declared, neither management-only nor infrastructure,
   * and a literal name (a glob would reach every namespace it matches).
   * @default "dev"
   */
  readonly developerNamespace?: string;
  /**
   * Developers may submit jobs directly (`submit-job` in the developer namespace, the role
   * described in docs/access.md). This makes every developer root on every client that runs
   * docker: Nomad's docker driver cannot forbid `devices` (raw disks), so any job can read
   * the hosts' Raft data and secrets. Without it developers read, dispatch and read logs,
   * and their jobs reach the cluster through this repository's deploy, where synth checks
   * them (docs/access.md "Admission").
   * @default false
   */
  readonly developersMaySubmitJobs?: boolean;
  /**
   * Operators may submit jobs and exec on the nodes of unisolated tasks in the application
   * namespaces (not infrastructure or management-only ones). Root-equivalent for the same
   * reason as developersMaySubmitJobs.
   * @default false
   */
  readonly operatorsMaySubmitJobs?: boolean;
}

const TOKEN_HOLDER = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Where developers work unless AccessProps.developerNamespace says otherwise. */
export const DEFAULT_DEVELOPER_NAMESPACE = "dev";

/**
 * The people's side of the cluster's ACLs: the `operator` and `developer` policies, the
 * `operators` and `developers` roles that carry them, and one token per person (output
 * `nomad_token_<name>`, sensitive). No policy reaches the management-only namespaces; the
 * infrastructure ones are read-only to both.
 *
 * Children: "OperatorPolicy", "OperatorsRole", "DeveloperPolicy", "DevelopersRole" and
 * "Token-<name>" for each person.
 */
export class Access extends Construct {
  readonly operatorsRole: NomadAclRole;
  readonly developersRole: NomadAclRole;
  readonly tokens: ReadonlyMap<string, NomadAclToken>;

  constructor(scope: Construct, id: string, props: AccessProps) {
    super(scope, id);
    const operators = props.operators ?? ["operator"];
    const developers = props.developers ?? ["developer"];
    const developerNamespace = props.developerNamespace ?? DEFAULT_DEVELOPER_NAMESPACE;
    const submits = props.developersMaySubmitJobs === true;
    const carveOuts = { managementOnly: props.managementOnly ?? [], infrastructure: props.infrastructure ?? [] };
    throwIfProblems(this, "invalid access", [
      ...developerNamespaceProblems(developerNamespace, props.namespaces, carveOuts),
      ...holderProblems([...operators, ...developers]),
    ]);

    this.operatorsRole = new NomadAclRole(this, "OperatorsRole", {
      roleName: "operators",
      description: "Day-to-day cluster operation (everything but ACLs)",
      policies: [
        new NomadAclPolicy(this, "OperatorPolicy", {
          policyName: "operator",
          description: props.operatorsMaySubmitJobs
            ? "Operate and submit jobs in the application namespaces; read infrastructure; not ACLs"
            : "Operate allocations and variables in the application namespaces; read infrastructure; not jobs or ACLs",
          rules: operatorPolicy({ ...carveOuts, submitJobs: props.operatorsMaySubmitJobs }),
        }),
      ],
    });
    this.developersRole = new NomadAclRole(this, "DevelopersRole", {
      roleName: "developers",
      description: `${submits ? "Submit and dispatch" : "Dispatch"} jobs in namespace ${developerNamespace}`,
      policies: [
        new NomadAclPolicy(this, "DeveloperPolicy", {
          policyName: "developer",
          description: `Read namespace ${developerNamespace}, ${submits ? "submit and " : ""}dispatch jobs there, read their logs`,
          rules: developerPolicy(developerNamespace, { submitJobs: submits }),
        }),
      ],
    });
    const holders = [
      ...operators.map((name) => ({ name, role: this.operatorsRole })),
      ...developers.map((name) => ({ name, role: this.developersRole })),
    ];
    this.tokens = new Map(
      holders.map(({ name, role }) => [
        name,
        new NomadAclToken(this, `Token-${name}`, { tokenName: name, roles: [role], outputName: `nomad_token_${name.replace(/-/g, "_")}` }),
      ]),
    );
  }
}

/** Why `name` cannot be the developers' namespace, if it cannot. */
function developerNamespaceProblems(name: string, declared: readonly string[], carveOuts: Required<AllNamespacesPolicyOptions>): string[] {
  const problem = (why: string) => [`developerNamespace "${name}" ${why}`];
  if (!NOMAD_NAME.test(name)) {
    return problem(
      `is not a namespace name: a glob or pattern would reach every namespace it matches, management-only ones included; name one declared namespace, e.g. "dev"`,
    );
  }
  if (!declared.includes(name)) {
    return problem(`is not declared (declared: ${declared.join(", ")}); add it to namespaces or pick one of those`);
  }
  if (carveOuts.managementOnly.includes(name)) {
    return problem(`is management-only: its jobs hold management tokens that developers could read there; choose another namespace for developers`);
  }
  if (carveOuts.infrastructure.includes(name)) {
    return problem(
      `is an infrastructure namespace: its jobs hold secrets (e.g. the cloud token) only they may read; choose another namespace for developers`,
    );
  }
  return [];
}

/** Token holders must be valid, distinct names: each names a token and its output. */
function holderProblems(names: readonly string[]): string[] {
  const fix = "use unique lowercase names of letters, digits and dashes";
  const invalid = names.filter((name) => !TOKEN_HOLDER.test(name)).map((name) => `token holder "${name}" is not a valid name; ${fix}`);
  const twice = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))].map((name) => `token holder "${name}" is listed twice; ${fix}`);
  return [...invalid, ...twice];
}
