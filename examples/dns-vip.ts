import { TerraformStack } from "cdktf";
import { DnsVip } from "hashilab";

/** CoreDNS for lab.example.com on 10.0.10.2, which keepalived moves between hosts by VRRP. */
export function labDns(stack: TerraformStack): DnsVip {
  return new DnsVip(stack, "Dns", {
    domain: "lab.example.com",
    mode: "lan",
    vip: "10.0.10.2",
    subnetCidr: "10.0.10.0/24",
    namespaces: ["default", "lab", "public"],
  });
}
