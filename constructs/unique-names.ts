import { TerraformStack } from "cdktf";
import { IConstruct } from "constructs";

/**
 * Objects Nomad and Consul keep unique by name, and what a second one of a name does at
 * apply: Nomad upserts policies by name (terraform-provider-nomad's create is an upsert), so
 * the second silently replaces the first's rules and both resources then fight over it; Nomad
 * roles and Consul policies are refused with "already exists"; a job is registered by id in
 * its namespace, so the second submission replaces the first job.
 */
const KINDS = {
  nomad_acl_policy: { what: "Nomad ACL policy", atApply: "silently overwrite the other's rules at apply" },
  nomad_acl_role: { what: "Nomad ACL role", atApply: "be refused at apply (role names are unique)" },
  consul_acl_policy: { what: "Consul ACL policy", atApply: "be refused at apply (policy names are unique)" },
  nomad_job: { what: "Nomad job", atApply: "replace the other job at every apply (a job id is unique in its namespace)" },
} as const;

export type UniqueNameType = keyof typeof KINDS;

/** Per stack: "<type> <name>" → the path of the construct that created it. */
const claimed = new WeakMap<TerraformStack, Map<string, string>>();

/**
 * Records that `owner` creates the `type` object `name` in its stack; throws, naming both
 * constructs and `fix`, when another construct of the stack already creates one of that name.
 */
export function claimUniqueName(owner: IConstruct, type: UniqueNameType, name: string, fix: string): void {
  const stack = TerraformStack.of(owner);
  const names = claimed.get(stack) ?? new Map<string, string>();
  claimed.set(stack, names);
  const key = `${type} ${name}`;
  const first = names.get(key);
  if (first !== undefined) {
    const { what, atApply } = KINDS[type];
    throw new Error(
      `${owner.node.path}: ${what} name "${name}" is already used by ${first} in stack ${stack.node.id}; ` +
        `one of the two would ${atApply}; ${fix}`,
    );
  }
  names.set(key, owner.node.path);
}
