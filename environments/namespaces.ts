import { NamespaceConfig } from "./types";

/** The namespaces every shipped environment declares (seed 000's layout plus seed 002's dev). */
export const STANDARD_NAMESPACES: readonly NamespaceConfig[] = [
  { name: "default", description: "Everyday services" },
  { name: "dns", description: "CoreDNS and keepalived for the lab domain" },
  { name: "ingress", description: "Traefik, the ingress for HTTP services" },
  { name: "lab", description: "Experiments" },
  { name: "public", description: "Services reachable from the internet" },
  { name: "dev", description: "Developers submit and dispatch jobs here" },
  { name: "ops", description: "Raft snapshots: jobs holding management tokens; only management tokens reach it", managementOnly: true },
];
