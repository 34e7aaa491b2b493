import { CSI_NAMESPACE } from "../constructs/volumes";
import { DNS_NAMESPACE, INGRESS_NAMESPACE } from "./derive";
import { NamespaceConfig } from "./types";

/**
 * The namespaces every shipped environment declares: applications by audience, the
 * developers' own, the cluster's infrastructure (DNS, ingress) and `ops` for the jobs that
 * hold management tokens. docs/access.md says who may do what in each.
 */
export const STANDARD_NAMESPACES: readonly NamespaceConfig[] = [
  { name: "default", description: "Everyday services" },
  {
    name: DNS_NAMESPACE,
    description: "CoreDNS and keepalived for the lab domain",
    infrastructure: true,
    // keepalived must add the VIP and send VRRP adverts on the host's interface; podman
    // because the clients' docker grants no NET_ADMIN (docs/dns-and-ingress.md).
    taskDrivers: ["docker", "podman"],
    addCapabilities: ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"],
    hostNetworkMode: true,
  },
  { name: INGRESS_NAMESPACE, description: "Traefik, the ingress for HTTP services", infrastructure: true, taskDrivers: ["docker"] },
  { name: "lab", description: "Experiments" },
  { name: "public", description: "Services reachable from the internet" },
  { name: "dev", description: "Developers' jobs, deployed from this repository" },
  {
    name: "ops",
    description: "Raft snapshots: jobs holding management tokens; only management tokens reach it",
    managementOnly: true,
    taskDrivers: ["exec"],
    // The snapshot job reaches the agents' APIs on 127.0.0.1, as a host process.
    hostNetworkMode: true,
  },
];

/**
 * The Hetzner CSI driver's namespace, for environments that provide Hetzner Cloud Volumes:
 * its node plugin formats and mounts disks on every client, which takes a privileged
 * container (podman: the clients' docker refuses privileged) on the host's network (the
 * metadata service tells it which server it is on). No other namespace allows either, and
 * no other job may run here (docs/storage.md, docs/access.md).
 */
export const CSI_NAMESPACE_CONFIG: NamespaceConfig = {
  name: CSI_NAMESPACE,
  description: "The Hetzner CSI plugins that attach and mount apps' volumes",
  infrastructure: true,
  taskDrivers: ["docker", "podman"],
  hostNetworkMode: true,
  allowPrivileged: true,
};
