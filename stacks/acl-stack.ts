import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig } from "../environments";
import { RandomProvider, RandomUuid } from "../constructs/providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface AclStackProps {
  readonly env: EnvironmentConfig;
  readonly endpoints: ClusterEndpoints;
}

/**
 * `<env>-acl`: bootstraps Nomad's and Consul's ACL systems with secrets Terraform
 * generates. A separate stack because providers cannot be configured from values
 * created in the same apply.
 */
export class AclStack extends TerraformStack {
  readonly endpoints: ClusterEndpoints;
  readonly credentials: ClusterCredentials;

  constructor(scope: Construct, id: string, props: AclStackProps) {
    super(scope, id);
    useStateBackend(this, props.env);
    new RandomProvider(this, "random", {});
    const nomadSecret = new RandomUuid(this, "nomad-bootstrap-secret", {});
    const consulSecret = new RandomUuid(this, "consul-bootstrap-secret", {});
    this.endpoints = props.endpoints;
    this.credentials = { nomadToken: nomadSecret.result, consulToken: consulSecret.result };
    new TerraformOutput(this, "nomad_address", { value: props.endpoints.nomadAddress });
    new TerraformOutput(this, "nomad_token", { value: nomadSecret.result, sensitive: true });
    new TerraformOutput(this, "consul_token", { value: consulSecret.result, sensitive: true });
  }
}
