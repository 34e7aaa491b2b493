import { TerraformOutput, Token } from "cdktf";
import { Construct } from "constructs";
import { NomadAclTokenResource } from "../providers";
import { NomadAclPolicy } from "./nomad-acl-policy";
import { NomadAclRole } from "./nomad-acl-role";
import { jobBoundPolicyProblems } from "./nomad-acl-rules";
import { escapeTerraformTemplate, GO_DURATION, nameFromId, terraformTextProblem, throwIfProblems } from "../core";
import { claimOutputName } from "../unique-names";

export interface NomadAclTokenProps {
  /** A human-readable name, e.g. the person's. @default the construct id in kebab-case */
  readonly tokenName?: string;
  /** Roles the token carries. @default none */
  readonly roles?: readonly NomadAclRole[];
  /** Policies the token carries besides its roles'. @default none */
  readonly policies?: readonly NomadAclPolicy[];
  /**
   * Lifetime as a Go duration, e.g. "8h"; Terraform recreates the token after it expires.
   * Nomad refuses a TTL outside its servers' `acl.token_min_expiration_ttl` and
   * `token_max_expiration_ttl` (1m and 24h unless configured; nomad/config.go).
   * @default no expiry
   */
  readonly expirationTtl?: string;
  /**
   * Name of the sensitive output that exposes the secret, unique in the stack.
   * @default `nomad_token_<id>` with each character other than a letter, digit or "_" as "_"
   */
  readonly outputName?: string;
}

/** Nomad's ACLToken.Validate refuses longer names ("token name too long"). */
const MAX_TOKEN_NAME_LENGTH = 256;

/**
 * A Nomad client token (`nomad_acl_token`). Its secret is only exposed as a sensitive
 * output of the stack: `terraform output -raw <outputName>` in the stack's directory.
 */
export class NomadAclToken extends Construct {
  readonly resource: NomadAclTokenResource;
  /** The output that carries the secret. */
  readonly secretOutput: TerraformOutput;

  constructor(scope: Construct, id: string, props: NomadAclTokenProps) {
    super(scope, id);
    const tokenName = props.tokenName ?? nameFromId(this, id, "tokenName");
    const roles = props.roles ?? [];
    const policies = props.policies ?? [];
    const problems: string[] = [];
    if (roles.length + policies.length === 0) problems.push("the Nomad ACL token grants nothing; give it roles or policies");
    problems.push(...jobBoundPolicyProblems(policies, "given to tokens"));
    const ttl = props.expirationTtl;
    if (ttl !== undefined && !Token.isUnresolved(ttl) && (!GO_DURATION.test(ttl) || /^-|^0$/.test(ttl))) {
      problems.push(`expirationTtl "${ttl}" is not a positive Go duration; write e.g. "8h" or "30m"`);
    }
    if (tokenName.length > MAX_TOKEN_NAME_LENGTH) problems.push(`tokenName is longer than Nomad's limit of ${MAX_TOKEN_NAME_LENGTH} characters; shorten it`);
    const nameText = Token.isUnresolved(tokenName) ? undefined : terraformTextProblem("tokenName", tokenName);
    if (nameText) problems.push(nameText);
    throwIfProblems(this, "invalid Nomad ACL token", problems);
    this.resource = new NomadAclTokenResource(this, "Resource", {
      // A name is free text to Nomad: "${" in it must reach Nomad, not Terraform's interpolation.
      name: escapeTerraformTemplate(tokenName),
      type: "client",
      role: roles.length > 0 ? roles.map((role) => ({ id: role.resource.id })) : undefined,
      policies: policies.length > 0 ? policies.map((policy) => policy.resource.name) : undefined,
      expirationTtl: props.expirationTtl,
    });
    this.secretOutput = new TerraformOutput(this, "Secret", {
      value: this.resource.secretId,
      sensitive: true,
      description: escapeTerraformTemplate(`Secret of the Nomad ACL token "${tokenName}"`),
    });
    this.secretOutput.overrideLogicalId(props.outputName ?? `nomad_token_${id.replace(/[^A-Za-z0-9_]/g, "_")}`);
    claimOutputName(this.secretOutput, "set a distinct outputName");
  }
}
