import { TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import {
  AccessConfig,
  EnvironmentConfig,
  environmentFacts,
  infrastructureNamespaces,
  managementOnlyNamespaces,
  namespaceAdmission,
} from "../environments";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { ConsulWorkloadIdentity, NomadAclPolicy, NomadAclRole, NomadAclToken } from "../constructs/acl";
import { NOMAD_PORTS } from "../constructs/hetzner-cluster";
import { namespaceAdmissionProblems } from "../constructs/nomad-job";
import { NomadVariable } from "../constructs/nomad-variable";
import { NomadNamespace } from "../constructs/providers";
import { AllNamespacesPolicyOptions, anonymousPolicy, developerPolicy, operatorPolicy } from "../policies";
import { consulProvider, nomadProvider } from "./cluster-providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface PlatformStackProps {
  readonly env: EnvironmentConfig;
  readonly endpoints: ClusterEndpoints;
  readonly credentials: ClusterCredentials;
}

/** Where Traefik's dashboard credentials live: its job (`traefik` in `ingress`) reads them without a policy. */
export const TRAEFIK_BASIC_AUTH = { namespace: "ingress", path: "nomad/jobs/traefik", item: "BASIC_AUTH" } as const;

const TOKEN_HOLDER = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Nomad's namespace names (nomad/structs validNamespaceName): no globs. */
const NAMESPACE_NAME = /^[a-zA-Z0-9-]{1,128}$/;

/** `<env>-platform`: namespaces, ACL policies, roles and tokens, Consul workload identity, Nomad variables. */
export class PlatformStack extends TerraformStack {
  readonly namespaces: ReadonlyMap<string, NomadNamespace>;
  readonly workloadIdentity: ConsulWorkloadIdentity;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const env = props.env;
    useStateBackend(this, env);
    declareClusterFacts(this, environmentFacts(env));
    nomadProvider(this, props.endpoints, props.credentials);
    consulProvider(this, props.endpoints, props.credentials);

    this.validateNamespaces(env);
    // Nomad always has "default": the provider upserts it on create and resets its
    // description on destroy instead of deleting it, so managing it here is safe.
    this.namespaces = new Map(
      env.namespaces.map((ns) => [
        ns.name,
        new NomadNamespace(this, `Namespace-${ns.name}`, {
          name: ns.name,
          description: ns.description,
          // Nomad refuses at submission a job whose driver is not listed (job_endpoint_validators.go);
          // an empty list would allow every driver, and no namespace lists none.
          capabilities: { enabledTaskDrivers: [...namespaceAdmission(ns).taskDrivers] },
        }),
      ]),
    );
    const carveOuts = { managementOnly: managementOnlyNamespaces(env), infrastructure: infrastructureNamespaces(env) };
    this.addAccess(env.access ?? {}, carveOuts);
    new NomadAclPolicy(this, "Anonymous", {
      anonymous: true,
      description: `Requests without a token: ${env.anonymousAccess === "read" ? "read jobs and nodes" : "nothing"}`,
      rules: anonymousPolicy(env.anonymousAccess, carveOuts),
    });
    this.workloadIdentity = new ConsulWorkloadIdentity(this, "ConsulWorkloadIdentity", {
      nomadAddress: jwksNomadAddress(env, props.endpoints),
      nomadCaPem: props.endpoints.caCertPem,
    });
    this.addTraefikBasicAuth();
  }

  /** Operator and developer policies, roles, and one token per person; none reaches the management-only namespaces. */
  private addAccess(access: AccessConfig, carveOuts: Required<AllNamespacesPolicyOptions>): void {
    const operators = new NomadAclRole(this, "OperatorsRole", {
      roleName: "operators",
      description: "Day-to-day cluster operation (everything but ACLs)",
      policies: [
        new NomadAclPolicy(this, "OperatorPolicy", {
          policyName: "operator",
          description: access.operatorsMaySubmitJobs
            ? "Operate and submit jobs in the application namespaces; read infrastructure; not ACLs"
            : "Operate allocations and variables in the application namespaces; read infrastructure; not jobs or ACLs",
          rules: operatorPolicy({ ...carveOuts, submitJobs: access.operatorsMaySubmitJobs }),
        }),
      ],
    });
    const developerNamespace = access.developerNamespace ?? "dev";
    const problem = this.developerNamespaceProblem(developerNamespace, carveOuts);
    if (problem) {
      throw new Error(`${this.node.path}: access.developerNamespace "${developerNamespace}" ${problem}`);
    }
    const submits = access.developersMaySubmitJobs === true;
    const developers = new NomadAclRole(this, "DevelopersRole", {
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
      ...(access.operators ?? ["operator"]).map((name) => ({ name, role: operators })),
      ...(access.developers ?? ["developer"]).map((name) => ({ name, role: developers })),
    ];
    const seen = new Set<string>();
    for (const { name, role } of holders) {
      if (!TOKEN_HOLDER.test(name) || seen.has(name)) {
        throw new Error(
          `${this.node.path}: access token holder "${name}" is ${seen.has(name) ? "listed twice" : "not a valid name"}; ` +
            `use unique lowercase names of letters, digits and dashes in env.access`,
        );
      }
      seen.add(name);
      new NomadAclToken(this, `Token-${name}`, { tokenName: name, roles: [role], outputName: `nomad_token_${name.replace(/-/g, "_")}` });
    }
  }

  /** Names Nomad accepts, and allowances that mean what they say; every problem at once. */
  private validateNamespaces(env: EnvironmentConfig): void {
    const problems = env.namespaces.flatMap((ns) => {
      const own = NAMESPACE_NAME.test(ns.name) ? [] : [`is not a Nomad namespace name: use 1-128 letters, digits and dashes`];
      return [...own, ...namespaceAdmissionProblems(namespaceAdmission(ns))].map((problem) => `namespaces "${ns.name}": ${problem}`);
    });
    if (problems.length > 0) throw new Error(`${this.node.path}: invalid environment namespaces:\n  - ${problems.join("\n  - ")}`);
  }

  /** Why `name` cannot be the developers' namespace, if it cannot. */
  private developerNamespaceProblem(name: string, carveOuts: Required<AllNamespacesPolicyOptions>): string | undefined {
    if (!NAMESPACE_NAME.test(name)) {
      return `is not a namespace name: a glob or pattern would reach every namespace it matches, management-only ones included; name one declared namespace, e.g. "dev"`;
    }
    if (!this.namespaces.has(name)) {
      return `is not declared (declared: ${[...this.namespaces.keys()].join(", ")}); add it to the environment's namespaces or pick one of those`;
    }
    if (carveOuts.managementOnly.includes(name)) {
      return `is management-only: its jobs hold management tokens that developers could read there; choose another namespace for developers`;
    }
    if (carveOuts.infrastructure.includes(name)) {
      return `is an infrastructure namespace: its jobs hold secrets (e.g. the cloud token) only they may read; choose another namespace for developers`;
    }
    return undefined;
  }

  /** Traefik's dashboard basic-auth line as a Nomad variable, from TF_VAR_traefik_basic_auth. */
  private addTraefikBasicAuth(): void {
    const ingress = this.namespaces.get(TRAEFIK_BASIC_AUTH.namespace);
    if (!ingress) return;
    const secret = new TerraformVariable(this, "traefik_basic_auth", {
      type: "string",
      sensitive: true,
      description: "Traefik dashboard credentials as an htpasswd line, e.g. from: htpasswd -nB admin",
    });
    new NomadVariable(this, "TraefikBasicAuth", {
      path: TRAEFIK_BASIC_AUTH.path,
      // The namespace resource's name (not a literal) makes Terraform create the namespace first.
      namespace: ingress.name,
      items: { [TRAEFIK_BASIC_AUTH.item]: secret },
    });
  }
}

/**
 * Where Consul fetches Nomad's signing keys from. The Consul leader fetches them itself; on
 * Hetzner every Consul server is also a Nomad server, so it asks its own Nomad over loopback
 * (the agents' certificates carry 127.0.0.1). The operator-facing address would be dropped by
 * the firewall (its API ports admit only the operator's CIDRs) whenever another server leads.
 */
function jwksNomadAddress(env: EnvironmentConfig, endpoints: ClusterEndpoints): string {
  return env.cluster.kind === "hetzner" ? `https://127.0.0.1:${NOMAD_PORTS.http}` : endpoints.nomadAddress;
}
