import { BUILT_IN_TASK_DRIVERS } from "../constructs/cluster-facts";
import { dnsNameProblem } from "../constructs/core";
import { clusterClients, workloadNamespaces } from "./derive";
import { EnvironmentConfig, ExistingClusterConfig } from "./types";

/**
 * Rules across an environment's sections, in the environment's words: what a construct would
 * otherwise report in the words of props the environment derives (DnsVip's defaultNamespace,
 * its hetzner prop), which an environment's author does not have. Run after the schema, on
 * data of the right shape.
 */
export function environmentRuleProblems(env: EnvironmentConfig): string[] {
  const problems: string[] = [];
  if (env.cluster.kind === "existing") problems.push(...existingClusterProblems(env.cluster));
  // Only an acl stack creates (and so rotates) tokens; a cluster someone else runs has none.
  if (env.cluster.kind === "existing" && env.tokenGenerations !== undefined) {
    problems.push(
      `tokenGenerations is set, but cluster.kind "existing" has no acl stack that creates tokens: rotate the tokens you give in TF_VAR_nomad_token and TF_VAR_consul_token yourself, and remove tokenGenerations`,
    );
  }
  // DnsVip answers bare names (<service>.<domain>) from namespace "default" (its defaultNamespace).
  if (!workloadNamespaces(env).includes("default")) {
    problems.push(
      `namespaces has no workload namespace "default", which the lab domain's DNS answers bare names (<service>.${env.domain}) from: ` +
        `declare { name: "default", description: "..." } without infrastructure or managementOnly`,
    );
  }
  // Only the hosts stack's network has an alias IP the Hetzner API can move.
  if (env.dns.mode === "hetzner" && env.cluster.kind !== "hetzner") {
    problems.push(
      `dns.mode is "hetzner", which moves the VIP through the Hetzner API, but cluster.kind is "${env.cluster.kind}": ` +
        `use dns.mode "lan" (VRRP on a layer-2 network) or "none" (one host, no VIP)`,
    );
  }
  // A plugin's name is any lowercase word, so a typo passes the schema: a driver must be built
  // into Nomad or one the clients enable.
  const known = new Set<string>([...BUILT_IN_TASK_DRIVERS, ...clusterClients(env).drivers]);
  env.namespaces.forEach((ns, i) =>
    (ns.taskDrivers ?? []).forEach((driver, j) => {
      if (!known.has(driver)) {
        problems.push(
          `namespaces[${i}].taskDrivers[${j}] is ${JSON.stringify(driver)}; allowed: ${BUILT_IN_TASK_DRIVERS.map((d) => JSON.stringify(d)).join(", ")}, ` +
            `or a plugin driver the clients enable (the environment's cluster drivers)`,
        );
      }
    }),
  );
  // Operators forward the lab domain to the DNS VIP (docs/dns-and-ingress.md), whose CoreDNS
  // answers it from Nomad's services: an API name there would never resolve to the servers.
  const apiHostname = env.cluster.kind === "hetzner" || env.cluster.kind === "ssh" ? env.cluster.apiHostname : undefined;
  if (typeof apiHostname === "string" && env.dns.mode !== "none" && (apiHostname === env.domain || apiHostname.endsWith(`.${env.domain}`))) {
    const outside = env.domain.includes(".") ? env.domain.slice(env.domain.indexOf(".") + 1) : "example.com";
    problems.push(
      `cluster.apiHostname ${JSON.stringify(apiHostname)} lies in the lab domain "${env.domain}", which the cluster's own CoreDNS answers from Nomad's services ` +
        `wherever the domain is forwarded to the DNS VIP, so it would not resolve to the servers: pick a name outside it, e.g. "nomad.${outside}"`,
    );
  }
  const zoneProblem = env.cloudflare ? dnsNameProblem(env.cloudflare.zoneName) : undefined;
  if (zoneProblem) problems.push(`cloudflare.zoneName ${JSON.stringify(env.cloudflare!.zoneName)} ${zoneProblem}`);
  return problems;
}

/** What is wrong with an existing cluster's endpoints: plain HTTP would send the management tokens in the clear. */
function existingClusterProblems(cluster: ExistingClusterConfig): string[] {
  const problems: string[] = [];
  for (const key of ["nomadAddress", "consulAddress"] as const) {
    if (!/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(cluster[key])) {
      problems.push(`cluster.${key} ${JSON.stringify(cluster[key])} is not an https:// address (scheme, host, optional port): the management token travels with every request`);
    }
  }
  if (!/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n?$/.test(cluster.caCertPem)) {
    problems.push("cluster.caCertPem is not a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----); paste the CA both APIs' certificates chain to");
  }
  if (!Number.isInteger(cluster.clients.count) || cluster.clients.count < 1) {
    problems.push(`cluster.clients.count ${cluster.clients.count} is not a positive whole number of Nomad clients`);
  }
  return problems;
}
