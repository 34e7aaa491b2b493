import { hostAddress, Ipv4Cidr } from "../core";
import { CLIENT_IP_OFFSET, SERVER_IP_OFFSET } from "./validate";

/** One VM of the cluster, decided at synth time. */
export interface HostSpec {
  /** Name suffix: "server-1", "client-1". */
  readonly id: string;
  /** Construct id prefix ("Server", "Client") and number: see hostConstructId. */
  readonly role: "Server" | "Client";
  readonly ordinal: number;
  /** The Hetzner server name, e.g. "lab-server-1". */
  readonly name: string;
  readonly isServer: boolean;
  /** Runs the Nomad client (workloads). */
  readonly isClient: boolean;
  readonly serverType: string;
  /** Fixed private address: a Nomad server's Raft member id includes its IP. */
  readonly privateIp: string;
}

export interface HostPlanInput {
  readonly name: string;
  readonly subnet: Ipv4Cidr;
  readonly serverCount: number;
  readonly serverType: string;
  readonly serversAreClients: boolean;
  readonly clientCount: number;
  readonly clientType: string;
}

/** What names a host's constructs: "Server" and 1 on Hetzner, "Host" and its name on a LAN. */
export interface HostIdentity {
  readonly role: string;
  readonly ordinal: number | string;
}

/**
 * The construct id of a host's `part` ("" for the server itself, "Secrets", "Key", ...):
 * "Server-1", "ServerSecrets-1", "ClientKey-2", "HostSecrets-nas1". Part of the public contract.
 */
export function hostConstructId(host: HostIdentity, part = ""): string {
  return `${host.role}${part}-${host.ordinal}`;
}

/** Servers first, then client-only hosts, each at a fixed offset in the subnet. */
export function planHosts(input: HostPlanInput): HostSpec[] {
  const servers = Array.from({ length: input.serverCount }, (_, i) => ({
    id: `server-${i + 1}`,
    role: "Server" as const,
    ordinal: i + 1,
    name: `${input.name}-server-${i + 1}`,
    isServer: true,
    isClient: input.serversAreClients,
    serverType: input.serverType,
    privateIp: hostAddress(input.subnet, SERVER_IP_OFFSET + i),
  }));
  const clients = Array.from({ length: input.clientCount }, (_, i) => ({
    id: `client-${i + 1}`,
    role: "Client" as const,
    ordinal: i + 1,
    name: `${input.name}-client-${i + 1}`,
    isServer: false,
    isClient: true,
    serverType: input.clientType,
    privateIp: hostAddress(input.subnet, CLIENT_IP_OFFSET + i),
  }));
  return [...servers, ...clients];
}
