import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { NomadAclTokenResource } from "../providers";
import { NomadAclPolicy } from "./nomad-acl-policy";
import { NomadAclRole } from "./nomad-acl-role";
import { kebabCase } from "../kebab-case";
import { escapeTerraformTemplate } from "../nomad-job/escape";
import { claimOutputName } from "../unique-names";

export interface NomadAclTokenProps {
  /** A human-readable name, e.g. the person's. @default the construct id in kebab-case */
  readonly tokenName?: string;
  /** Roles the token carries. @default none */
  readonly roles?: readonly NomadAclRole[];
  /** Policies the token carries besides its roles'. @default none */
  readonly policies?: readonly NomadAclPolicy[];
  /** Lifetime, e.g. "720h"; Terraform recreates the token after it expires. @default no expiry */
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
    const tokenName = props.tokenName ?? kebabCase(id);
    const roles = props.roles ?? [];
    const policies = props.policies ?? [];
    const problems: string[] = [];
    if (roles.length + policies.length === 0) problems.push("the Nomad ACL token grants nothing; give it roles or policies");
    const bound = policies.find((policy) => policy.boundJob !== undefined);
    if (bound) problems.push(`policy ${bound.node.path} is bound to a job; workload policies cannot be given to tokens`);
    if (tokenName.length > MAX_TOKEN_NAME_LENGTH) problems.push(`tokenName is longer than Nomad's limit of ${MAX_TOKEN_NAME_LENGTH} characters; shorten it`);
    if (problems.length > 0) throw new Error(`${this.node.path}: ${problems.join("; ")}`);
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
