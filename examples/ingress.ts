import { TerraformStack } from "cdktf";
import { Ingress, NomadService } from "hashilab";

/**
 * Traefik routing whoami.example.com to a service over HTTPS, with the public DNS record in
 * Cloudflare and a Let's Encrypt certificate its ACME renewer obtains (HTTP-01).
 */
export function whoamiBehindTraefik(stack: TerraformStack): Ingress {
  const ingress = new Ingress(stack, "Ingress", {
    namespaces: ["default"],
    domain: "lab.example.com",
    publicZone: { zoneId: "023e105f4ecef8ad9ca31a8372d0c353", zoneName: "example.com" },
    publicAddresses: ["203.0.113.10"],
    acme: { email: "ops@example.com" },
  });
  const whoami = new NomadService(stack, "Whoami", { image: "docker.io/traefik/whoami:v1.10.3" });
  whoami.exposeVia(ingress, "whoami.example.com");
  return ingress;
}
