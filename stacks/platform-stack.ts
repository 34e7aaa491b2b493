import { TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { AccessConfig, EnvironmentConfig, environmentFacts, managementOnlyNamespaces } from "../environments";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { ConsulWorkloadIdentity } from "../constructs/acl/consul-workload-identity";
import { NomadAclPolicy } from "../constructs/acl/nomad-acl-policy";
import { NomadAclRole } from "../constructs/acl/nomad-acl-role";
import { NomadAclToken } from "../constructs/acl/nomad-acl-token";
import { NOMAD_PORTS } from "../constructs/hetzner-cluster/nomad-config";
import { NomadVariable } from "../constructs/nomad-variable";
import { NomadNamespace } from "../constructs/providers";
import { anonymousPolicy, developerPolicy, operatorPolicy } from "../policies/builtin";
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

    // Nomad always has "default": the provider upserts it on create and resets its
    // description on destroy instead of deleting it, so managing it here is safe.
    this.namespaces = new Map(
      env.namespaces.map((ns) => [ns.name, new NomadNamespace(this, `Namespace-${ns.name}`, { name: ns.name, description: ns.description })]),
    );
    const managementOnly = managementOnlyNamespaces(env);
    this.addAccess(env.access ?? {}, managementOnly);
    new NomadAclPolicy(this, "Anonymous", {
      policyName: "anonymous",
      description: `Requests without a token: ${env.anonymousAccess === "read" ? "read jobs and nodes" : "nothing"}`,
      rules: anonymousPolicy(env.anonymousAccess, { managementOnly }),
    });
    this.workloadIdentity = new ConsulWorkloadIdentity(this, "ConsulWorkloadIdentity", {
      nomadAddress: jwksNomadAddress(env, props.endpoints),
      nomadCaPem: props.endpoints.caCertPem,
    });
    this.addTraefikBasicAuth();
  }

  /** Operator and developer policies, roles, and one token per person; none reaches the management-only namespaces. */
  private addAccess(access: AccessConfig, managementOnly: readonly string[]): void {
    const operators = new NomadAclRole(this, "OperatorsRole", {
      roleName: "operators",
      description: "Day-to-day cluster operation (everything but ACLs)",
      policies: [
        new NomadAclPolicy(this, "OperatorPolicy", {
          policyName: "operator",
          description: "Everything but ACL management and the management-only namespaces",
          rules: operatorPolicy({ managementOnly }),
        }),
      ],
    });
    const developerNamespace = access.developerNamespace ?? "dev";
    if (managementOnly.includes(developerNamespace)) {
      throw new Error(
        `${this.node.path}: access.developerNamespace "${developerNamespace}" is management-only: its jobs hold management ` +
          `tokens that developers could read by submitting jobs there; choose another namespace for developers`,
      );
    }
    const developers = new NomadAclRole(this, "DevelopersRole", {
      roleName: "developers",
      description: `Submit and dispatch jobs in namespace ${developerNamespace}`,
      policies: [
        new NomadAclPolicy(this, "DeveloperPolicy", {
          policyName: "developer",
          description: `Read namespace ${developerNamespace}, submit and dispatch jobs there, read their logs`,
          rules: developerPolicy(developerNamespace),
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
