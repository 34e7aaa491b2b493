import { readdirSync } from "node:fs";
import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { ClusterFacts } from "../constructs/cluster-facts";
import { DnsVip, DnsVipProps } from "../constructs/dns-vip";
import { LAB_LIKE_FACTS } from "./nomad-job.support";

/** Facts like the lab's, with the namespaces seed 000's dns-read-jobs policy names. */
export const SEED_FACTS: ClusterFacts = { ...LAB_LIKE_FACTS, namespaces: ["default", "dns", "ingress", "lab", "public"] };

/** Seed 000's second CoreDNS job in DnsVip's words (plus what a VIP mode needs). */
export const SEED_PROPS: DnsVipProps = {
  domain: "lab.example.com",
  mode: "lan",
  vip: "10.0.10.2",
  subnetCidr: "10.0.10.0/24",
  namespaces: ["default", "lab", "public"],
  datacenters: ["lab01"],
};

/** The seed's job on Hetzner: the token variable has a test default so Terraform can evaluate the stack. */
export function hetznerDnsVip(scope: Construct, props: Partial<DnsVipProps> = {}): DnsVip {
  const apiToken = new TerraformVariable(scope, "hcloud_dns_token", { type: "string", sensitive: true, default: "test-token" });
  return new DnsVip(scope, "Dns", {
    ...SEED_PROPS,
    mode: "hetzner",
    hostNetwork: "private",
    hostAddresses: ["10.0.10.11", "10.0.10.12", "10.0.10.13"],
    hetzner: { networkId: "4711", apiToken },
    ...props,
  });
}

/** The values consul-template would use on a sample DNS host. */
export interface SampleHost {
  readonly interface: string;
  readonly address: string;
  /** Addresses of every `coredns` registration on the dns port, this host's included. */
  readonly dnsInstances: readonly string[];
  readonly variables: Readonly<Record<string, string>>;
}

/**
 * Renders DnsVip's keepalived.conf template as consul-template would on `host`: the env,
 * sockaddr and nomadVar lookups, and the nomadService range with its `{{-` whitespace trimming
 * (one "\n        <address>" per peer, this host skipped). Any other action is left in place,
 * so a test can assert that nothing is left unrendered.
 */
export function renderKeepalivedTemplate(template: string, host: SampleHost): string {
  const peers = host.dnsInstances
    .filter((address) => address !== host.address)
    .map((address) => `\n        ${address}`)
    .join("");
  return template
    .replace(/\n\{\{- range nomadService "coredns" \}\}[\s\S]*?\{\{- end \}\}\{\{ end \}\}/, peers)
    .replace(/\{\{ sockaddr "(?:[^"\\]|\\.)*" \}\}/g, host.interface)
    .replace(/\{\{ env "NOMAD_IP_dns" \}\}/g, host.address)
    .replace(/\{\{ with nomadVar "[^"]+" \}\}\{\{ \.([A-Za-z_]+) \}\}\{\{ end \}\}/g, (_m, item: string) => host.variables[item]);
}

/** A network interface of this machine keepalived accepts (it refuses loopback and unknown ones). */
export function localInterface(): string {
  const name = readdirSync("/sys/class/net").sort().find((n) => n !== "lo");
  if (!name) throw new Error("no network interface besides lo: keepalived -t needs one");
  return name;
}
