import { Construct } from "constructs";
import { NomadAclRoleResource } from "../providers";
import { NomadAclPolicy } from "./nomad-acl-policy";
import { aclNameProblems, descriptionProblems, jobBoundPolicyProblems } from "./nomad-acl-rules";
import { claimUniqueName } from "../unique-names";
import { escapeTerraformTemplate, nameFromId, throwIfProblems } from "../core";

export interface NomadAclRoleProps {
  /** The role's name in Nomad, unique in the cluster (see declareCluster). @default the construct id in kebab-case */
  readonly roleName?: string;
  /** @default none */
  readonly description?: string;
  /** Policies the role grants; none may be bound to a job. */
  readonly policies: readonly NomadAclPolicy[];
}

/** A Nomad ACL role (`nomad_acl_role`): a named set of policies tokens can carry. */
export class NomadAclRole extends Construct {
  readonly roleName: string;
  readonly resource: NomadAclRoleResource;

  constructor(scope: Construct, id: string, props: NomadAclRoleProps) {
    super(scope, id);
    this.roleName = props.roleName ?? nameFromId(this, id, "roleName");
    const problems = [
      ...aclNameProblems("role", this.roleName, ""),
      ...(props.policies.length === 0 ? ["it has no policies; give it at least one"] : []),
      ...descriptionProblems(props.description),
      ...jobBoundPolicyProblems(props.policies, "granted through roles"),
    ];
    throwIfProblems(this, "invalid Nomad ACL role", problems);
    claimUniqueName(this, "nomad_acl_role", this.roleName, "give one a distinct roleName");
    this.resource = new NomadAclRoleResource(this, "Resource", {
      name: this.roleName,
      // Free text to Nomad: "${" in it must not be Terraform interpolation.
      description: props.description === undefined ? undefined : escapeTerraformTemplate(props.description),
      // The policy's name attribute (not a literal) makes Terraform create policies first.
      policy: props.policies.map((policy) => ({ name: policy.resource.name })),
    });
  }
}
