/**
 * The one place that imports provider bindings. Deep paths only: the packages' index
 * modules load every resource of a provider (cloudflare: 0.8 s / 180 MB vs 0.23 s / 66 MB).
 * A move off the frozen @cdktf/provider-* packages changes this file, not its users.
 * TerraformData is the built-in `terraform_data` resource, written for hashilab
 * (./terraform-data): cdktf's DataResource runs Terraform at synth.
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
export { AclToken as ConsulAclToken } from "@cdktf/provider-consul/lib/acl-token";
export { DataConsulAclTokenSecretId as ConsulAclTokenSecretId } from "@cdktf/provider-consul/lib/data-consul-acl-token-secret-id";
export { RandomProvider } from "@cdktf/provider-random/lib/provider";
export { Uuid as RandomUuid } from "@cdktf/provider-random/lib/uuid";
export { HcloudProvider } from "../.gen/providers/hcloud/provider";
export { Network as HcloudNetwork } from "../.gen/providers/hcloud/network";
export { NetworkSubnet as HcloudNetworkSubnet } from "../.gen/providers/hcloud/network-subnet";
export { PlacementGroup as HcloudPlacementGroup } from "../.gen/providers/hcloud/placement-group";
export { SshKey as HcloudSshKey } from "../.gen/providers/hcloud/ssh-key";
export { Firewall as HcloudFirewall } from "../.gen/providers/hcloud/firewall";
export type { FirewallRule as HcloudFirewallRule } from "../.gen/providers/hcloud/firewall";
export { Server as HcloudServer } from "../.gen/providers/hcloud/server";
export { TlsProvider } from "@cdktf/provider-tls/lib/provider";
export { PrivateKey as TlsPrivateKey } from "@cdktf/provider-tls/lib/private-key";
export { SelfSignedCert as TlsSelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
export { CertRequest as TlsCertRequest } from "@cdktf/provider-tls/lib/cert-request";
export { LocallySignedCert as TlsLocallySignedCert } from "@cdktf/provider-tls/lib/locally-signed-cert";
export { Bytes as RandomBytes } from "@cdktf/provider-random/lib/bytes";
export { CloudflareProvider } from "@cdktf/provider-cloudflare/lib/provider";
export { DnsRecord as CloudflareDnsRecord } from "@cdktf/provider-cloudflare/lib/dns-record";
export { CsiVolume as NomadCsiVolume } from "@cdktf/provider-nomad/lib/csi-volume";
export { DynamicHostVolume as NomadDynamicHostVolume } from "@cdktf/provider-nomad/lib/dynamic-host-volume";
export { TerraformData } from "./terraform-data";
