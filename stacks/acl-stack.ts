import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { aclBootstrapProps, AgentHosts, EnvironmentConfig } from "../environments";
import { AclBootstrap } from "../constructs/acl-bootstrap";
import { RandomProvider } from "../constructs/providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface AclStackProps {
  readonly env: EnvironmentConfig;
  readonly endpoints: ClusterEndpoints;
  /**
   * The hosts (HetznerCluster and SshCluster satisfy it): every Consul agent's HTTP API gets its
   * agent token, and every host over SSH (by its name) the Nomad agents' Consul token in its
   * configuration and the health gate's operator:read tokens; server hosts also the rollout's.
   * @default none: one Consul agent at endpoints.consulAddress; deliver the `nomad_agent_consul_token` output yourself (dev agents need none)
   */
  readonly hosts?: AgentHosts;
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
    this.bootstrap = new AclBootstrap(this, "AclBootstrap", aclBootstrapProps(endpoints, props.hosts, props.env.tokenGenerations));
    if (props.hosts) {
      // The gate's and the rollout's tokens first, so the Nomad agents' restarts below are gated
      // on autopilot too and a leading server hands leadership over before it restarts.
      const gate = this.bootstrap.deliverHealthGateTokens(props.hosts.hostAccess);
      const rollout = this.bootstrap.deliverRolloutTokens(props.hosts.hostAccess);
      const nomadAgents = this.bootstrap.deliverNomadAgentConsulToken(props.hosts.hostAccess, { after: [...gate.deliveries, ...rollout.deliveries] });
      // Old agent tokens go once every host holds the new ones (an agents rotation).
      this.bootstrap.retireSupersededTokens(nomadAgents.deliveries);
    } else {
      this.bootstrap.retireSupersededTokens([]);
    }
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
    // npm run review warns when one is due within 30 days (scripts/review/expiry.ts).
    new TerraformOutput(this, "token_expiry", {
      description: "When each token of the ACL bootstrap expires: never (no TTL); rotate them by raising tokenGenerations",
      value: this.bootstrap.tokenExpiries,
    });
    new TerraformOutput(this, "nomad_agent_consul_token", {
      description: "The Consul token for the Nomad agents' consul { token } configuration",
      value: this.bootstrap.nomadAgentConsulToken,
      sensitive: true,
    });
  }
}
