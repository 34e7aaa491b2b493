/**
 * The one place that imports provider bindings. Deep paths only: the packages' index
 * modules load every resource of a provider (cloudflare: 0.8 s / 180 MB vs 0.23 s / 66 MB).
 * A move off the frozen @cdktf/provider-* packages changes this file, not its users.
 */
export { NomadProvider } from "@cdktf/provider-nomad/lib/provider";
export { Job as NomadJobResource } from "@cdktf/provider-nomad/lib/job";
export { Namespace as NomadNamespace } from "@cdktf/provider-nomad/lib/namespace";
export { AclPolicy as NomadAclPolicyResource } from "@cdktf/provider-nomad/lib/acl-policy";
export { AclRole as NomadAclRoleResource } from "@cdktf/provider-nomad/lib/acl-role";
export { AclToken as NomadAclTokenResource } from "@cdktf/provider-nomad/lib/acl-token";
export { Variable as NomadVariableResource } from "@cdktf/provider-nomad/lib/variable";
export { ConsulProvider } from "@cdktf/provider-consul/lib/provider";
export { AclAuthMethod as ConsulAclAuthMethod } from "@cdktf/provider-consul/lib/acl-auth-method";
export { AclBindingRule as ConsulAclBindingRule } from "@cdktf/provider-consul/lib/acl-binding-rule";
export { AclPolicy as ConsulAclPolicy } from "@cdktf/provider-consul/lib/acl-policy";
export { AclRole as ConsulAclRole } from "@cdktf/provider-consul/lib/acl-role";
export { RandomProvider } from "@cdktf/provider-random/lib/provider";
export { Uuid as RandomUuid } from "@cdktf/provider-random/lib/uuid";
export { HcloudProvider } from "../.gen/providers/hcloud/provider";
export { Network as HcloudNetwork } from "../.gen/providers/hcloud/network";
