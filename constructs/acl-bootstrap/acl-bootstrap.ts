import { createHash } from "node:crypto";
import { join } from "node:path";
import { AssetType, DataResource, Fn, ITerraformDependable, TerraformAsset, Token } from "cdktf";
import { Construct } from "constructs";
import { throwIfProblems } from "../core";
import type { HostAccess } from "../hetzner-cluster";
import { RandomUuid } from "../providers";
import { CONSUL_AGENT_RULES, CONSUL_HEALTH_GATE_RULES, CONSUL_ROLLOUT_RULES, NOMAD_AGENT_RULES, NOMAD_HEALTH_GATE_RULES } from "./agent-policies";
import { HealthGateTokenDelivery } from "./health-gate-token-delivery";
import { NomadConsulTokenDelivery } from "./nomad-token-delivery";
import { RolloutTokenDelivery } from "./rollout-token-delivery";

export interface AclBootstrapProps {
  /** Nomad's HTTP API, e.g. "https://203.0.113.10:4646" or "http://127.0.0.1:4646". */
  readonly nomadAddress: string;
  /** Consul's HTTP API, e.g. "https://203.0.113.10:8501" or "http://127.0.0.1:8500". */
  readonly consulAddress: string;
  /**
   * PEM of the CA that signed the agents' HTTPS certificates; the bootstrap verifies them with it.
   * @default none: plain http, or certificates the operator's system already trusts
   */
  readonly caCertPem?: string;
  /**
   * The name Nomad's certificate is verified against, e.g. "server.global.nomad".
   * @default the host of nomadAddress
   */
  readonly nomadTlsServerName?: string;
  /**
   * The name consulAddress's certificate is verified against, e.g. "server.dc1.consul". The
   * agents in consulAgentAddresses are always verified against their own address's host
   * (client agents' certificates carry no server name), so give those as IP addresses or
   * names their certificates hold.
   * @default the host of consulAddress
   */
  readonly consulTlsServerName?: string;
  /**
   * The HTTP APIs of every Consul agent; each gets the Consul agent token through
   * `PUT /v1/agent/token/agent` (it must run with `acl.enable_token_persistence = true`).
   * @default [consulAddress] (a single agent, as in dev)
   */
  readonly consulAgentAddresses?: readonly string[];
  /**
   * Attempts while an API is unreachable or has no leader yet (the first delay is 1 s,
   * doubling up to 10 s), so 30 attempts wait about 4.5 minutes for a cluster to come up.
   * @default 30
   */
  readonly maxAttempts?: number;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The script, relative to this file; synth copies it beside the stack (see `script`). */
const SCRIPT_SOURCE = join(__dirname, "..", "..", "scripts", "acl-bootstrap.mjs");

/**
 * Bootstraps Nomad's and Consul's ACL systems with management secrets that Terraform
 * generates (random UUIDs, in state only), then creates the Consul tokens of the Consul
 * agents and of the Nomad agents, and the health gate's operator:read tokens in both systems
 * (policy `health-gate`), each with a Terraform-generated secret too.
 *
 * Neither provider has a bootstrap resource, so a `terraform_data` runs
 * scripts/acl-bootstrap.mjs with `local-exec` for each system. Secrets reach the script only
 * through the provisioner's environment: never its command line (`ps`), never the plan.
 * The script is idempotent; the resources re-run it when an address or a secret changes.
 *
 * The Consul agents get their token through Consul's agent API (persisted by the agent). Nomad
 * has no such API: `deliverNomadAgentConsulToken` writes `nomadAgentConsulToken` into the Nomad
 * agents' configuration over SSH (never user-data); without SSH access, deliver it yourself.
 */
export class AclBootstrap extends Construct {
  /** Nomad's management token (SecretID). Sensitive: pass it on as a reference, output it only as sensitive. */
  readonly nomadManagementToken: string;
  /** Consul's management token (SecretID). Sensitive. */
  readonly consulManagementToken: string;
  /** The Consul token every Consul agent uses as its agent token (policy `consul-agents`). Sensitive. */
  readonly consulAgentToken: string;
  /** The Consul token for the Nomad agents' `consul { token }` (policy `nomad-agents`). Sensitive. */
  readonly nomadAgentConsulToken: string;
  /** The resources that run the bootstrap; depend on these before using the tokens. */
  readonly nomadBootstrap: DataResource;
  readonly consulBootstrap: DataResource;
  /** The random secret itself: known at plan time while unchanged, unlike the read-back token. */
  private readonly nomadAgentConsulSecret: string;
  /** The health gate's operator:read tokens (random secrets, as above). */
  private readonly healthGateSecrets: { readonly consul: string; readonly nomad: string };
  /** The rollout's write tokens: Consul's operator:write token and Nomad's management secret (random secrets). */
  private readonly rolloutSecrets: { readonly consul: string; readonly nomad: string };

  constructor(scope: Construct, id: string, props: AclBootstrapProps) {
    super(scope, id);
    const agentAddresses = props.consulAgentAddresses ?? [props.consulAddress];
    this.validate(props, agentAddresses);

    const nomadManagement = new RandomUuid(this, "NomadManagementSecret", {}).result;
    const consulManagement = new RandomUuid(this, "ConsulManagementSecret", {}).result;
    const consulAgent = new RandomUuid(this, "ConsulAgentTokenSecret", {}).result;
    const nomadAgentConsul = new RandomUuid(this, "NomadAgentConsulTokenSecret", {}).result;
    this.nomadAgentConsulSecret = nomadAgentConsul;
    const gateConsul = new RandomUuid(this, "HealthGateConsulTokenSecret", {}).result;
    const gateNomad = new RandomUuid(this, "HealthGateNomadTokenSecret", {}).result;
    // Nomad creates an uploaded token only with both IDs chosen (nomad/acl_endpoint.go
    // upsertTokens) and never changes an existing token's SecretID (state_store.go
    // UpsertACLTokens), so a new secret comes with a new accessor: a new token.
    const gateNomadAccessor = new RandomUuid(this, "HealthGateNomadTokenAccessor", { keepers: { secret_sha256: Fn.sha256(gateNomad) } }).result;
    this.healthGateSecrets = { consul: gateConsul, nomad: gateNomad };
    const rolloutConsul = new RandomUuid(this, "RolloutConsulTokenSecret", {}).result;
    // Nomad v2.0.5 transfers Raft leadership only for a management token (agent-policies.ts).
    this.rolloutSecrets = { consul: rolloutConsul, nomad: nomadManagement };
    const gateDescription = "The health gate between hosts (hashilab-wait-healthy.sh): reads autopilot health";
    const nomadTokens = [
      { name: "health-gate", description: gateDescription, rules: NOMAD_HEALTH_GATE_RULES, accessorId: gateNomadAccessor, secretId: gateNomad },
    ];

    const script = new TerraformAsset(this, "Script", { path: SCRIPT_SOURCE, type: AssetType.FILE });
    // Terraform runs local-exec in the stack's directory, where synth put the asset.
    const command = (system: string) => `node "\${path.module}/${script.path}" ${system}`;
    const common = {
      ACL_MAX_ATTEMPTS: String(props.maxAttempts ?? 30),
      ...(props.caCertPem ? { ACL_CA_PEM: props.caCertPem } : {}),
    };

    this.nomadBootstrap = new DataResource(this, "Nomad", {
      triggersReplace: {
        address: props.nomadAddress,
        secret_sha256: Fn.sha256(nomadManagement),
        policies_sha256: sha256(JSON.stringify(nomadTokens.map(({ name, description, rules }) => ({ name, description, rules })))),
        tokens_sha256: Fn.sha256(Fn.join(",", [gateNomadAccessor, gateNomad])),
      },
      // The tokens are read back from here, so whatever uses one waits for its bootstrap.
      input: Fn.sensitive({ management: nomadManagement }),
      provisioners: [
        {
          type: "local-exec",
          command: command("nomad"),
          environment: {
            ...common,
            ACL_ADDRESS: props.nomadAddress,
            ACL_BOOTSTRAP_SECRET: nomadManagement,
            ACL_NOMAD_TOKENS: JSON.stringify(nomadTokens),
            ...(props.nomadTlsServerName ? { ACL_TLS_SERVER_NAME: props.nomadTlsServerName } : {}),
          },
        },
      ],
    });

    const tokens = [
      {
        name: "consul-agents",
        description: "Consul agents: register their node, discover services",
        rules: CONSUL_AGENT_RULES,
        secretId: consulAgent,
        agentTokenOn: agentAddresses,
      },
      {
        name: "nomad-agents",
        description: "Nomad servers and clients: register themselves and their workloads' services",
        rules: NOMAD_AGENT_RULES,
        secretId: nomadAgentConsul,
        agentTokenOn: [],
      },
      { name: "health-gate", description: gateDescription, rules: CONSUL_HEALTH_GATE_RULES, secretId: gateConsul, agentTokenOn: [] },
      {
        name: "rollout",
        description: "The rollout on server hosts (hashilab-rollout.sh): hands Raft leadership over before a server restarts",
        rules: CONSUL_ROLLOUT_RULES,
        secretId: rolloutConsul,
        agentTokenOn: [],
      },
    ];
    this.consulBootstrap = new DataResource(this, "Consul", {
      triggersReplace: {
        address: props.consulAddress,
        agent_addresses: agentAddresses,
        policies_sha256: sha256(JSON.stringify(tokens.map(({ name, description, rules }) => ({ name, description, rules })))),
        secrets_sha256: Fn.sha256(Fn.join(",", [consulManagement, consulAgent, nomadAgentConsul, gateConsul, rolloutConsul])),
      },
      input: Fn.sensitive({ management: consulManagement, consul_agent: consulAgent, nomad_agent: nomadAgentConsul }),
      provisioners: [
        {
          type: "local-exec",
          command: command("consul"),
          environment: {
            ...common,
            ACL_ADDRESS: props.consulAddress,
            ACL_BOOTSTRAP_SECRET: consulManagement,
            // JSON text with Terraform interpolations for the secrets: cdktf does not escape
            // quotes in literals inside a Terraform function call such as jsonencode().
            ACL_CONSUL_TOKENS: JSON.stringify(tokens),
            ...(props.consulTlsServerName ? { ACL_TLS_SERVER_NAME: props.consulTlsServerName } : {}),
          },
        },
      ],
    });

    this.nomadManagementToken = AclBootstrap.tokenOf(this.nomadBootstrap, "management");
    this.consulManagementToken = AclBootstrap.tokenOf(this.consulBootstrap, "management");
    this.consulAgentToken = AclBootstrap.tokenOf(this.consulBootstrap, "consul_agent");
    this.nomadAgentConsulToken = AclBootstrap.tokenOf(this.consulBootstrap, "nomad_agent");
  }

  /**
   * Writes `nomadAgentConsulToken` into the Nomad configuration of each host (SSH as root with
   * the operator's ssh-agent) and restarts Nomad there, one host at a time.
   * @param hosts the hosts by name with the host keys to pin (HetznerCluster, SshCluster: `hostAccess`)
   */
  public deliverNomadAgentConsulToken(
    hosts: readonly HostAccess[],
    options: { configFile?: string; after?: readonly ITerraformDependable[] } = {},
  ): NomadConsulTokenDelivery {
    return new NomadConsulTokenDelivery(this, "NomadAgentConsulToken", {
      hosts,
      // Not the read-back token: a re-run of the Consul bootstrap (a new agent address) would
      // make it unknown at plan time and replace, so restart, every delivery.
      token: this.nomadAgentConsulSecret,
      after: [this.consulBootstrap, ...(options.after ?? [])],
      configFile: options.configFile,
    });
  }

  /**
   * Writes the health gate's operator:read tokens to each host (SSH as root with the
   * operator's ssh-agent, host keys pinned), so that hashilab-wait-healthy.sh also checks that
   * autopilot reports every server healthy and voting. No agent restarts.
   * @param hosts the hosts by name with the host keys to pin (HetznerCluster, SshCluster: `hostAccess`)
   */
  public deliverHealthGateTokens(hosts: readonly HostAccess[]): HealthGateTokenDelivery {
    return new HealthGateTokenDelivery(this, "HealthGateTokens", {
      hosts,
      // The random secrets, known at plan time while unchanged (see deliverNomadAgentConsulToken).
      consulToken: this.healthGateSecrets.consul,
      nomadToken: this.healthGateSecrets.nomad,
      after: [this.nomadBootstrap, this.consulBootstrap],
    });
  }

  /**
   * Writes the rollout's write tokens to the server hosts among `hosts` (never to a client host),
   * where hashilab-rollout.sh hands Raft leadership over before a server restarts and drains Nomad
   * clients before their upgrade. No agent restarts.
   * @param hosts the hosts by name with the host keys to pin (HetznerCluster, SshCluster: `hostAccess`)
   */
  public deliverRolloutTokens(hosts: readonly HostAccess[]): RolloutTokenDelivery {
    return new RolloutTokenDelivery(this, "RolloutTokens", {
      hosts,
      // The random secrets, known at plan time while unchanged (see deliverNomadAgentConsulToken).
      consulToken: this.rolloutSecrets.consul,
      nomadToken: this.rolloutSecrets.nomad,
      after: [this.nomadBootstrap, this.consulBootstrap],
    });
  }

  /** `${terraform_data.<bootstrap>.output.<key>}`: a token, known once its bootstrap ran. */
  private static tokenOf(bootstrap: DataResource, key: string): string {
    return bootstrap.getStringAttribute(`output.${key}`);
  }

  private validate(props: AclBootstrapProps, agentAddresses: readonly string[]): void {
    const addresses: [string, string][] = [
      ["nomadAddress", props.nomadAddress],
      ["consulAddress", props.consulAddress],
      ...agentAddresses.map((a, i): [string, string] => [`consulAgentAddresses[${i}]`, a]),
    ];
    const problems = addresses
      // References to another stack (the hosts' IPs) are checked by the script at apply time.
      .filter(([, value]) => !Token.isUnresolved(value) && !/^https?:\/\/[^/\s]+$/.test(value))
      .map(([name, value]) => `${name} "${value}" is not an API address: give scheme, host and port without a path, e.g. "https://203.0.113.10:4646"`);
    if (agentAddresses.length === 0) {
      problems.push("consulAgentAddresses is empty: list every Consul agent's HTTP API, or leave it out for a single agent");
    }
    const attempts = props.maxAttempts;
    if (attempts !== undefined && !(Number.isInteger(attempts) && attempts >= 1 && attempts <= 1000)) {
      problems.push(`maxAttempts ${attempts} must be a whole number from 1 to 1000`);
    }
    throwIfProblems(this, "invalid AclBootstrap", problems);
  }
}
