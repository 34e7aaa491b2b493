import { Token } from "cdktf";
import { dnsNameProblem, parseIpv4 } from "../core";
import { CONSUL_PORTS } from "./consul-config";
import { NOMAD_PORTS } from "./nomad-config";

/**
 * Why a cluster's `apiHostname` is a DNS name with one A record per server rather than one
 * server's address: Terraform's Nomad and Consul providers, the CLIs and the ACL bootstrap then
 * survive the loss of any one server without a change.
 *
 * - Both providers (terraform-provider-nomad 2.5.2 nomad/provider.go `conf.Address`,
 *   terraform-provider-consul 2.22.1 consul/config.go `config.Address`) take one address and
 *   dial it with Go's net/http. Go resolves the name to all its addresses and, for one address
 *   family, tries them in turn until one connects (net/dial.go `dialSerial`), giving each the
 *   remaining time divided by the addresses left (`partialDeadline`, at least 2 s): a server
 *   that refuses or does not answer costs a share of the dial timeout, then the next is tried.
 * - TLS verification stays on (no skip_verify): neither provider sets a server name of its
 *   own (`ca_pem` only adds the CA; Nomad's api.Config TLSServerName is empty unless
 *   NOMAD_TLS_SERVER_NAME is exported), so Go verifies the certificate against the host of
 *   the address, which every server's certificate carries as a DNS SAN (host-configuration.ts).
 * - The ACL bootstrap (scripts/acl-bootstrap.mjs) runs on Node 20, whose `net.connect` tries
 *   every address of a name in turn (`autoSelectFamily`, on by default since Node 20).
 *
 * Picking "the first healthy server at plan time" instead would need a data source that
 * probes addresses without failing the plan on a dead one; none of the providers the project
 * uses has one (tls_certificate fails the plan on an unreachable URL).
 */
export function apiHostnameProblems(apiHostname: string | undefined): string[] {
  if (apiHostname === undefined || Token.isUnresolved(apiHostname)) return [];
  const shown = JSON.stringify(apiHostname);
  if (parseIpv4(apiHostname) !== undefined) {
    return [
      `apiHostname ${shown} is an IP address, which is one server's and does not survive its loss: give a DNS name with one A record per server (e.g. "nomad.example.com"), or leave apiHostname out`,
    ];
  }
  const problem = dnsNameProblem(apiHostname);
  return problem ? [`apiHostname ${shown} ${problem}`] : [];
}

/** The Nomad and Consul HTTPS APIs at `host` (an address or a name the servers' certificates carry). */
export function clusterApiAddresses(host: string): { readonly nomadAddress: string; readonly consulAddress: string } {
  return { nomadAddress: `https://${host}:${NOMAD_PORTS.http}`, consulAddress: `https://${host}:${CONSUL_PORTS.https}` };
}
