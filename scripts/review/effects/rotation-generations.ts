import { SynthesizedApp } from "../checkout";
import { Effect, Finding } from "./effect";

/**
 * The generations a rotation moves between, read from construct ids: ClusterPki's CAs
 * (`…_Pki_Ca-3_…`, generation 1 without a suffix), AclBootstrap's management secrets
 * (`…_NomadManagementSecret-2_…`) and the gossip keys (`…_ConsulGossipKey-2_…`). A
 * configuration holds the current generation and at most the one before, so the highest is
 * the current one.
 */
const GENERATIONS = [
  { type: "tls_self_signed_cert", id: /_Pki_Ca(?:-(\d+))?_[0-9A-F]+$/, what: "caGeneration", how: "the hosts trust only the generation before the new one while their certificates change" },
  {
    type: "random_uuid",
    id: /_(?:Nomad|Consul)ManagementSecret(?:-(\d+))?_[0-9A-F]+$/,
    what: "tokenGenerations.management",
    how: "the new management token is created with the previous generation's, which the cluster must know",
  },
  {
    type: "random_bytes",
    id: /_(?:Consul|Nomad)GossipKey(?:-(\d+))?_[0-9A-F]+$/,
    what: "gossipKeyGeneration",
    how: "the keyring step runs only on a new generation above 1, so going back delivers keys the cluster never installs (a rebuilt host would start with one and not join)",
    // Each generation's keys are new and the step removes every other key: skipping some is harmless.
    skipsAllowed: true,
  },
] as const;

function generationOf(stack: Record<string, any> | undefined, rule: (typeof GENERATIONS)[number]): number | undefined {
  const found = Object.keys(stack?.resource?.[rule.type] ?? {})
    .map((name) => name.match(rule.id))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => Number(m[1] ?? 1));
  return found.length > 0 ? Math.max(...found) : undefined;
}

/** Refuses a rotation that reverses a generation, or skips one where the next rotation needs the one before: one deploy moves one generation up. */
export const rotationGenerations: Effect = ({ before, after }: { before: SynthesizedApp; after: SynthesizedApp }) => {
  const findings: Finding[] = [];
  for (const [stack, json] of Object.entries(after)) {
    for (const rule of GENERATIONS) {
      const was = generationOf(before[stack], rule);
      const is = generationOf(json, rule);
      // A new stack starts at any generation; an unchanged or next one is a rotation as designed.
      if (was === undefined || is === undefined || is === was || is === was + 1 || (is > was && "skipsAllowed" in rule)) continue;
      const fix = is > was ? `raise it to ${was + 1}, deploy, then to ${was + 2}` : `raise it to ${was + 1} instead (a rotation only moves forward)`;
      findings.push({ severity: "danger", refuses: true, text: `${stack}: ${rule.what} goes from ${was} to ${is}, but ${rule.how}; ${fix}.` });
    }
  }
  return findings;
};
