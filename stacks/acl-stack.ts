import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig } from "../environments";
import { AclBootstrap } from "../constructs/acl-bootstrap";
import type { SshHost } from "../constructs/hetzner-cluster";
import { RandomProvider } from "../constructs/providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface AclStackProps {
  readonly env: EnvironmentConfig;
  readonly endpoints: ClusterEndpoints;
  /**
   * Every Consul agent's HTTP API, to give each its agent token.
   * @default [endpoints.consulAddress] (one agent, as in dev)
   */
  readonly consulAgentAddresses?: readonly string[];
  /**
   * SSH addresses and pinned host keys of every host that runs a Nomad agent (HetznerCluster:
   * each host's `sshHost`); each gets the Nomad agents' Consul token in its configuration.
   * @default none: deliver the `nomad_agent_consul_token` output yourself (dev agents need none)
   */
  readonly nomadAgentHosts?: readonly SshHost[];
}

/**
 * `<env>-acl`: bootstraps Nomad's and Consul's ACL systems with secrets Terraform
 * generates. A separate stack because providers cannot be configured from values
 * created in the same apply.
 */
export class AclStack extends TerraformStack {
  readonly endpoints: ClusterEndpoints;
  readonly credentials: ClusterCredentials;
  readonly bootstrap: AclBootstrap;

  constructor(scope: Construct, id: string, props: AclStackProps) {
    super(scope, id);
    useStateBackend(this, props.env);
    new RandomProvider(this, "random", {});
    const { endpoints } = props;
    this.bootstrap = new AclBootstrap(this, "AclBootstrap", {
      nomadAddress: endpoints.nomadAddress,
      consulAddress: endpoints.consulAddress,
      caCertPem: endpoints.caCertPem,
      consulAgentAddresses: props.consulAgentAddresses,
    });
    if (props.nomadAgentHosts) this.bootstrap.deliverNomadAgentConsulToken(props.nomadAgentHosts);
    this.endpoints = endpoints;
    this.credentials = {
      nomadToken: this.bootstrap.nomadManagementToken,
      consulToken: this.bootstrap.consulManagementToken,
    };

    new TerraformOutput(this, "nomad_address", { value: endpoints.nomadAddress });
    new TerraformOutput(this, "consul_address", { value: endpoints.consulAddress });
    new TerraformOutput(this, "nomad_token", {
      description: "Nomad management token: export NOMAD_TOKEN=$(terraform output -raw nomad_token)",
      value: this.bootstrap.nomadManagementToken,
      sensitive: true,
    });
    new TerraformOutput(this, "consul_token", {
      description: "Consul management token: export CONSUL_HTTP_TOKEN=$(terraform output -raw consul_token)",
      value: this.bootstrap.consulManagementToken,
      sensitive: true,
    });
    new TerraformOutput(this, "nomad_agent_consul_token", {
      description: "The Consul token for the Nomad agents' consul { token } configuration",
      value: this.bootstrap.nomadAgentConsulToken,
      sensitive: true,
    });
  }
}
