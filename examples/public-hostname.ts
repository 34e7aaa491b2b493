import { TerraformStack } from "cdktf";
import { PublicHostname } from "hashilab";

/** A public name for two hosts, without an ingress: one A record per address. */
export function homeHostname(stack: TerraformStack): PublicHostname {
  return new PublicHostname(stack, "Home", {
    zone: { zoneId: "023e105f4ecef8ad9ca31a8372d0c353", zoneName: "example.com" },
    hostname: "home.example.com",
    addresses: ["203.0.113.10", "203.0.113.11"],
  });
}
