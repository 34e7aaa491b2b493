import { TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import {
  accessProps,
  dashboardAuthVariable,
  EnvironmentConfig,
  environmentFacts,
  namespaceAdmission,
  namespaceProblems,
  policyCarveOuts,
  workloadIdentityProps,
} from "../environments";
import { Access } from "../constructs/access";
import { ConsulWorkloadIdentity, NomadAclPolicy } from "../constructs/acl";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { escapeTerraformTemplate, throwIfProblems } from "../constructs/core";
import { NomadVariable } from "../constructs/nomad-variable";
import { NomadNamespace } from "../constructs/providers";
import { anonymousPolicy } from "../policies";
import { consulProvider, nomadProvider } from "./cluster-providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface PlatformStackProps {
  readonly env: EnvironmentConfig;
  readonly endpoints: ClusterEndpoints;
  /** The acl stack's management tokens. @default sensitive variables nomad_token and consul_token (a cluster someone else runs) */
  readonly credentials?: ClusterCredentials;
}

/** `<env>-platform`: namespaces, ACL policies, roles and tokens, Consul workload identity, Nomad variables. */
export class PlatformStack extends TerraformStack {
  readonly namespaces: ReadonlyMap<string, NomadNamespace>;
  readonly access: Access;
  readonly workloadIdentity: ConsulWorkloadIdentity;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const env = props.env;
    useStateBackend(this, env);
    declareClusterFacts(this, environmentFacts(env));
    nomadProvider(this, props.endpoints, props.credentials);
    consulProvider(this, props.endpoints, props.credentials);

    throwIfProblems(this, "invalid environment namespaces", namespaceProblems(env));
    // Nomad always has "default": the provider upserts it on create and resets its
    // description on destroy instead of deleting it, so managing it here is safe.
    this.namespaces = new Map(
      env.namespaces.map((ns) => [
        ns.name,
        new NomadNamespace(this, `Namespace-${ns.name}`, {
          name: ns.name,
          description: escapeTerraformTemplate(ns.description),
          // Nomad refuses at submission a job whose driver is not listed (job_endpoint_validators.go);
          // an empty list would allow every driver, and no namespace lists none.
          capabilities: { enabledTaskDrivers: [...namespaceAdmission(ns).taskDrivers] },
        }),
      ]),
    );
    // Id "Default" leaves Access out of its children's Terraform addresses: the policies, roles
    // and tokens keep the addresses they had when the stack created them itself.
    this.access = new Access(this, "Default", accessProps(env));
    new NomadAclPolicy(this, "Anonymous", {
      anonymous: true,
      description: `Requests without a token: ${env.anonymousAccess === "read" ? "read jobs and nodes" : "nothing"}`,
      rules: anonymousPolicy(env.anonymousAccess, policyCarveOuts(env)),
    });
    this.workloadIdentity = new ConsulWorkloadIdentity(this, "ConsulWorkloadIdentity", workloadIdentityProps(env, props.endpoints));
    this.addTraefikBasicAuth(env);
  }

  /** Traefik's dashboard basic-auth line as a Nomad variable, from TF_VAR_traefik_basic_auth. */
  private addTraefikBasicAuth(env: EnvironmentConfig): void {
    const auth = dashboardAuthVariable(env);
    const namespace = auth && this.namespaces.get(auth.namespace);
    if (!auth || !namespace) return;
    const secret = new TerraformVariable(this, "traefik_basic_auth", {
      type: "string",
      sensitive: true,
      description: "Traefik dashboard credentials as an htpasswd line, e.g. from: htpasswd -nB admin",
    });
    new NomadVariable(this, "TraefikBasicAuth", {
      path: auth.path,
      // The namespace resource's name (not a literal) makes Terraform create the namespace first.
      namespace: namespace.name,
      items: { [auth.item]: secret },
    });
  }
}
