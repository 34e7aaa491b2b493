import { Token } from "cdktf";
import type { IConstruct } from "constructs";
import { NOMAD_NAME, terraformTextProblem } from "../core";

/**
 * What Nomad accepts for its ACL policies, roles and tokens (nomad/structs/acl.go), checked
 * the same way for each. Internal to the acl folder: its index does not re-export it.
 */

/** maxPolicyDescriptionLength and maxACLRoleDescriptionLength. */
const MAX_DESCRIPTION_LENGTH = 256;

/** `name` as the name of a Nomad ACL `what` ("policy", "role"); `fix` says which prop sets it. */
export function aclNameProblems(what: string, name: string, fix: string): string[] {
  return NOMAD_NAME.test(name) ? [] : [`${what} name "${name}" is invalid: use 1-128 letters, digits and dashes${fix}`];
}

export function descriptionProblems(description: string | undefined): string[] {
  const text = description === undefined || Token.isUnresolved(description) ? undefined : terraformTextProblem("the description", description);
  return [
    ...((description?.length ?? 0) > MAX_DESCRIPTION_LENGTH ? [`the description is longer than Nomad's limit of ${MAX_DESCRIPTION_LENGTH} characters; shorten it`] : []),
    ...(text ? [text] : []),
  ];
}

/** A policy bound to a job grants its rules to that job's workload identity only; `cannot` says what it cannot be. */
export function jobBoundPolicyProblems(policies: readonly { readonly boundJob?: unknown; readonly node: IConstruct["node"] }[], cannot: string): string[] {
  return policies
    .filter((policy) => policy.boundJob !== undefined)
    .map((policy) => `policy ${policy.node.path} is bound to a job; workload policies cannot be ${cannot}`);
}
