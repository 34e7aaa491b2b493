import { createHash } from "node:crypto";
import { join } from "node:path";
import { AssetType, Fn, ITerraformDependable, TerraformAsset, Token } from "cdktf";
import { Construct } from "constructs";
import { throwIfProblems } from "../core";
import type { HostAccess } from "../hetzner-cluster";
import { RandomUuid, TerraformData } from "../providers";
import { CONSUL_AGENT_RULES, CONSUL_HEALTH_GATE_RULES, CONSUL_ROLLOUT_RULES, NOMAD_AGENT_RULES, NOMAD_HEALTH_GATE_RULES } from "./agent-policies";
import { HealthGateTokenDelivery } from "./health-gate-token-delivery";
import { NomadConsulTokenDelivery } from "./nomad-token-delivery";
import { RolloutTokenDelivery } from "./rollout-token-delivery";

/**
 * Which generation of each kind of token the ACL systems hold: raising one rotates those tokens
 * in the next deploy (docs/operations.md "Rotating tokens").
 */
export interface AclTokenGenerations {
  /**
   * The management tokens (Nomad's and Consul's). A new generation's token is created with the
   * previous one, which is then deleted; the later stacks' providers use the new one.
   * @default 1 (the bootstrap tokens)
   */
  readonly management?: number;
  /**
   * The agents' tokens: the Consul agents' token, the Nomad agents' Consul token and the health
   * gate's tokens. New secrets are created beside the old tokens and handed to every agent,
   * Nomad restarting host by host; the old tokens are deleted once every host holds the new
   * ones (retireSupersededTokens).
   * @default 1
   */
  readonly agents?: number;
}

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
  /** Raise a generation to rotate those tokens. @default every generation 1 */
  readonly tokenGenerations?: AclTokenGenerations;
}

/** A token without an ExpirationTTL, which neither Nomad nor Consul ever expires (AclBootstrap.tokenExpiries). */
export const TOKEN_NEVER_EXPIRES = "never";

/** One run of scripts/acl-bootstrap.mjs by a local-exec provisioner. */
interface ScriptRun {
  readonly triggers: Record<string, unknown>;
  readonly command: string;
  readonly environment: Record<string, string>;
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
  /**
   * When each token this construct creates expires, by name: all are created without an
   * ExpirationTTL, so never (TOKEN_NEVER_EXPIRES); they are rotated by `tokenGenerations`.
   */
  readonly tokenExpiries: Readonly<Record<string, string>> = Object.fromEntries(
    ["nomad management", "consul management", "consul-agents", "nomad-agents", "health-gate (nomad)", "health-gate (consul)"].map((name) => [name, TOKEN_NEVER_EXPIRES]),
  );
  /** The resources that run the bootstrap; depend on these before using the tokens. */
  readonly nomadBootstrap: TerraformData;
  readonly consulBootstrap: TerraformData;
  /** How each system's script runs: triggers, command and environment (the retirement runs it again). */
  private readonly scriptRuns: Record<"Nomad" | "Consul", ScriptRun>;
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

    const management = this.managementSecrets(props.tokenGenerations?.management ?? 1);
    const nomadManagement = management.nomad.secret;
    const consulManagement = management.consul.secret;
    // A new agents' generation is a new keeper: Terraform replaces the secrets (generation 1 keeps none, as before rotations existed).
    const agentsGeneration = props.tokenGenerations?.agents ?? 1;
    const agentKeepers = agentsGeneration === 1 ? {} : { keepers: { generation: String(agentsGeneration) } };
    const consulAgent = new RandomUuid(this, "ConsulAgentTokenSecret", agentKeepers).result;
    const nomadAgentConsul = new RandomUuid(this, "NomadAgentConsulTokenSecret", agentKeepers).result;
    this.nomadAgentConsulSecret = nomadAgentConsul;
    const gateConsul = new RandomUuid(this, "HealthGateConsulTokenSecret", agentKeepers).result;
    const gateNomad = new RandomUuid(this, "HealthGateNomadTokenSecret", agentKeepers).result;
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

    const nomadRun: ScriptRun = {
      triggers: {
        address: props.nomadAddress,
        secret_sha256: Fn.sha256(nomadManagement),
        policies_sha256: sha256(JSON.stringify(nomadTokens.map(({ name, description, rules }) => ({ name, description, rules })))),
        tokens_sha256: Fn.sha256(Fn.join(",", [gateNomadAccessor, gateNomad])),
      },
      command: command("nomad"),
      environment: {
        ...common,
        ACL_ADDRESS: props.nomadAddress,
        ACL_BOOTSTRAP_SECRET: nomadManagement,
        ...management.nomad.rotation,
        ACL_NOMAD_TOKENS: JSON.stringify(nomadTokens),
        ...(props.nomadTlsServerName ? { ACL_TLS_SERVER_NAME: props.nomadTlsServerName } : {}),
      },
    };
    this.nomadBootstrap = new TerraformData(this, "Nomad", {
      triggersReplace: nomadRun.triggers,
      // The tokens are read back from here, so whatever uses one waits for its bootstrap.
      input: Fn.sensitive({ management: nomadManagement }),
      provisioners: [{ type: "local-exec", command: nomadRun.command, environment: nomadRun.environment }],
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
    const consulRun: ScriptRun = {
      triggers: {
        address: props.consulAddress,
        agent_addresses: agentAddresses,
        policies_sha256: sha256(JSON.stringify(tokens.map(({ name, description, rules }) => ({ name, description, rules })))),
        secrets_sha256: Fn.sha256(Fn.join(",", [consulManagement, consulAgent, nomadAgentConsul, gateConsul, rolloutConsul])),
      },
      command: command("consul"),
      environment: {
        ...common,
        ACL_ADDRESS: props.consulAddress,
        ACL_BOOTSTRAP_SECRET: consulManagement,
        ...management.consul.rotation,
        // JSON text with Terraform interpolations for the secrets: cdktf does not escape
        // quotes in literals inside a Terraform function call such as jsonencode().
        ACL_CONSUL_TOKENS: JSON.stringify(tokens),
        ...(props.consulTlsServerName ? { ACL_TLS_SERVER_NAME: props.consulTlsServerName } : {}),
      },
    };
    this.consulBootstrap = new TerraformData(this, "Consul", {
      triggersReplace: consulRun.triggers,
      input: Fn.sensitive({ management: consulManagement, consul_agent: consulAgent, nomad_agent: nomadAgentConsul }),
      provisioners: [{ type: "local-exec", command: consulRun.command, environment: consulRun.environment }],
    });
    this.scriptRuns = { Nomad: nomadRun, Consul: consulRun };

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
   * The management secrets of `generation` (generation 1: the bootstrap secrets, ids as before
   * rotations existed) and, from generation 2, what the script needs to rotate to them: the
   * previous generation's secret (kept in state, so the script can authenticate with it) and,
   * for Nomad, which takes an uploaded token only with both IDs chosen, a new accessor.
   */
  private managementSecrets(generation: number) {
    const suffix = (g: number) => (g === 1 ? "" : `-${g}`);
    const secretOf = (system: string, g: number) => new RandomUuid(this, `${system}ManagementSecret${suffix(g)}`, {}).result;
    const of = (system: "Nomad" | "Consul"): { secret: string; rotation: Record<string, string> } => {
      const secret = secretOf(system, generation);
      if (generation === 1) return { secret, rotation: {} };
      const previous = secretOf(system, generation - 1);
      const accessor: Record<string, string> =
        system === "Nomad" ? { ACL_MANAGEMENT_ACCESSOR: new RandomUuid(this, `NomadManagementAccessor${suffix(generation)}`, {}).result } : {};
      return { secret, rotation: { ACL_PREVIOUS_BOOTSTRAP_SECRET: previous, ...accessor } };
    };
    return { nomad: of("Nomad"), consul: of("Consul") };
  }

  /**
   * Deletes the tokens an agents rotation superseded (`tokenGenerations.agents`): in each system,
   * every token with the name (Nomad) or the description and policy (Consul) of one this
   * construct creates, but another accessor. It runs the bootstrap script again (which changes
   * nothing that is in place) once `after` ran: the deliveries that hand the new tokens to the
   * hosts, so no agent and no health gate still holds an old one. Once per set of secrets.
   * @param after the deliveries of the agents' tokens (deliverHealthGateTokens, deliverNomadAgentConsulToken), or none
   */
  public retireSupersededTokens(after: readonly ITerraformDependable[]): TerraformData[] {
    return (["Nomad", "Consul"] as const).map((system) => {
      const run = this.scriptRuns[system];
      return new TerraformData(this, `${system}RetireSuperseded`, {
        triggersReplace: run.triggers,
        dependsOn: [system === "Nomad" ? this.nomadBootstrap : this.consulBootstrap, ...after],
        provisioners: [{ type: "local-exec", command: run.command, environment: { ...run.environment, ACL_RETIRE_SUPERSEDED: "1" } }],
      });
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
  private static tokenOf(bootstrap: TerraformData, key: string): string {
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
    for (const [kind, generation] of Object.entries(props.tokenGenerations ?? {})) {
      if (!(Number.isInteger(generation) && generation >= 1 && generation <= 1000)) {
        problems.push(`tokenGenerations.${kind} ${generation} must be a whole number from 1 to 1000; raise it by exactly one to rotate those tokens`);
      }
    }
    throwIfProblems(this, "invalid AclBootstrap", problems);
  }
}
