import {
  blockSize,
  cidrContains,
  cidrsOverlap,
  coveredAddressCount,
  Ipv4Cidr,
  NON_ROUTABLE_RANGES,
  parseCidr,
  PRIVATE_RANGES,
  SHARED_ADDRESS_RANGE,
} from "../core";
import { HETZNER_LOCATIONS, networkZoneOf, serverTypeProblem, TABLE_DATE } from "./server-types";
import { chrootEnvProblems } from "./nomad-config";
import { sshPublicKeyProblem } from "./ssh-public-key";
import { nomadVersionFloorProblems } from "./agent-versions";
import type { HetznerClusterProps } from "./hetzner-cluster";

/** Raft commits a write once a majority holds it: more than 7 servers only slow every write down. */
export const MAX_SERVERS = 7;
/** Hetzner's limit of servers in one spread placement group. */
export const MAX_HOSTS_PER_PLACEMENT_GROUP = 10;

/** Where hosts sit in the subnet: fixed offsets, so adding clients never moves a server (Raft ids include the IP). */
export const SERVER_IP_OFFSET = 11;
export const CLIENT_IP_OFFSET = 101;

/** Container networks on every client: the private network must not overlap them. */
const CONTAINER_RANGES: ReadonlyArray<readonly [string, string]> = [
  ["172.17.0.0/16", "Docker's default bridge"],
  ["172.26.64.0/20", "Nomad's bridge network"],
  ["10.88.0.0/16", "Podman's default network"],
];

/** The props the rules look at, with HetznerCluster's defaults applied. */
export type ClusterShape = Required<
  Pick<
    HetznerClusterProps,
    | "location"
    | "networkZone"
    | "region"
    | "datacenter"
    | "tier"
    | "serverCount"
    | "bootstrapExpect"
    | "serversAreClients"
    | "clientCount"
    | "serverType"
    | "clientType"
    | "networkCidr"
    | "subnetCidr"
  >
> &
  Pick<HetznerClusterProps, "name" | "operatorCidrs" | "sshKeys" | "nomadVersion" | "consulVersion" | "chrootEnv" | "newServerTypes" | "newLocations">;

export interface ValidationResult {
  readonly errors: string[];
  readonly warnings: string[];
}

function serverCountRules(shape: ClusterShape, result: ValidationResult): void {
  const n = shape.serverCount;
  if (!Number.isInteger(n) || n < 1) {
    result.errors.push(`serverCount is ${n}; use 3 (or 5) servers`);
  } else if (n > MAX_SERVERS) {
    result.errors.push(`serverCount is ${n}; Raft clusters above ${MAX_SERVERS} servers only slow writes down: use 3 or 5 and add clients instead`);
  } else if (n % 2 === 0) {
    result.errors.push(
      `serverCount is ${n}, an even number: ${n} servers tolerate no more failures than ${n - 1} (a quorum of ${n / 2 + 1}), and 2 tolerate none; use ${n - 1} or ${n + 1}`,
    );
  } else if (n === 1) {
    const message = "serverCount is 1: a single server has no fault tolerance; losing it loses the cluster state";
    if (shape.tier === "production") result.errors.push(`${message}. Production needs 3 or 5 servers`);
    else result.warnings.push(`${message}. Fine for a ${shape.tier} environment; use 3 for anything you rely on`);
  }
  if (shape.bootstrapExpect !== n) {
    result.errors.push(
      `bootstrapExpect is ${shape.bootstrapExpect} but serverCount is ${n}: the servers would wait for peers that never come (or elect a leader too early); leave bootstrapExpect unset or set it to ${n}`,
    );
  }
}

function poolRules(shape: ClusterShape, result: ValidationResult): void {
  const c = shape.clientCount;
  if (!Number.isInteger(c) || c < 0) result.errors.push(`clientCount is ${c}; it must be 0 or more`);
  if (!shape.serversAreClients && c === 0) {
    result.errors.push("no host runs workloads: set serversAreClients to true or clientCount above 0");
  }
  if (c > MAX_HOSTS_PER_PLACEMENT_GROUP) {
    result.errors.push(`clientCount is ${c}; a Hetzner spread placement group holds at most ${MAX_HOSTS_PER_PLACEMENT_GROUP} servers`);
  }
  // clientType (serverType unless set) matters only with client-only hosts; one report per value.
  const types: [string, string][] = [["serverType", shape.serverType]];
  if (c > 0 && shape.clientType !== shape.serverType) types.push(["clientType", shape.clientType]);
  for (const [prop, type] of types) {
    const problem = serverTypeProblem(prop, type, shape.newServerTypes ?? []);
    if (problem) result.errors.push(problem);
  }
  for (const [prop, version] of [["nomadVersion", shape.nomadVersion], ["consulVersion", shape.consulVersion]] as const) {
    if (!/^[0-9]+\.[0-9]+\.[0-9]+$/.test(version)) {
      result.errors.push(`${prop} "${version}" is not a release version like "2.0.5"`);
    }
  }
  result.errors.push(...nomadVersionFloorProblems(shape.nomadVersion));
}

function locationRules(shape: ClusterShape, result: ValidationResult): void {
  const zone = networkZoneOf(shape.location, shape.newLocations ?? {});
  if (zone === undefined) {
    result.errors.push(
      `location "${shape.location}" is not a Hetzner location; known as of ${TABLE_DATE}: ${Object.keys(HETZNER_LOCATIONS).join(", ")}. ` +
        `If Hetzner added it since, list it with its network zone in newLocations, e.g. { "${shape.location}": "eu-central" }`,
    );
  } else if (zone !== shape.networkZone) {
    result.errors.push(
      `location "${shape.location}" is in network zone "${zone}", not "${shape.networkZone}": servers there cannot join the subnet; set networkZone to "${zone}"`,
    );
  }
}

function parsed(label: string, text: string, result: ValidationResult): Ipv4Cidr | undefined {
  const cidr = parseCidr(text);
  if (typeof cidr === "string") {
    result.errors.push(`${label} ${cidr}`);
    return undefined;
  }
  return cidr;
}

function networkRules(shape: ClusterShape, result: ValidationResult): void {
  const network = parsed("networkCidr", shape.networkCidr, result);
  const subnet = parsed("subnetCidr", shape.subnetCidr, result);
  if (network && !PRIVATE_RANGES.some((range) => cidrContains(range, network))) {
    result.errors.push(`networkCidr "${network.text}" is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16), which Hetzner networks require`);
  }
  if (network) {
    for (const [text, what] of CONTAINER_RANGES) {
      const range = parseCidr(text) as Ipv4Cidr;
      if (cidrsOverlap(network, range)) {
        result.errors.push(`networkCidr "${network.text}" overlaps ${what} (${text}); pick a range that avoids it, e.g. "10.0.0.0/16"`);
      }
    }
  }
  if (network && subnet && !cidrContains(network, subnet)) {
    result.errors.push(`subnetCidr "${subnet.text}" is not inside networkCidr "${network.text}"; pick a subnet of the network, e.g. its first /24`);
  }
  if (subnet) {
    const highest = Math.max(SERVER_IP_OFFSET + shape.serverCount - 1, shape.clientCount > 0 ? CLIENT_IP_OFFSET + shape.clientCount - 1 : 0);
    if (highest >= blockSize(subnet.prefix) - 1) {
      result.errors.push(`subnetCidr "${subnet.text}" is too small: hosts use offsets ${SERVER_IP_OFFSET}+ (servers) and ${CLIENT_IP_OFFSET}+ (clients); use a /24`);
    }
  }
  if (shape.operatorCidrs.length === 0) {
    result.errors.push("operatorCidrs is empty: nobody could reach SSH or the APIs; add your address, e.g. \"203.0.113.7/32\"");
  }
  operatorCidrRules(shape, result);
}

/** More than a /8 of operators is no longer "the operator's addresses". */
export const MAX_OPERATOR_ADDRESSES = blockSize(8);

/**
 * Judges what the operator CIDRs admit together, not how they are written: 0.0.0.0/1 plus
 * 128.0.0.0/1 is the whole internet too. Hetzner's firewall matches the connection's public
 * source address, so private or non-routable entries never match anyone.
 */
function operatorCidrRules(shape: ClusterShape, result: ValidationResult): void {
  const cidrs: Ipv4Cidr[] = [];
  for (const text of shape.operatorCidrs) {
    const cidr = parsed("operatorCidrs entry", text, result);
    if (!cidr) continue;
    const nonRoutable = NON_ROUTABLE_RANGES.find(([range]) => cidrContains(range, cidr));
    if (nonRoutable) {
      result.errors.push(
        `operatorCidrs entry "${text}" is ${nonRoutable[1]} (${nonRoutable[0].text}), never the source of a connection from the internet; use the public address you connect from (e.g. from "curl -4 ifconfig.co"), as "a.b.c.d/32"`,
      );
    } else if ([...PRIVATE_RANGES, SHARED_ADDRESS_RANGE].some((range) => cidrContains(range, cidr))) {
      result.warnings.push(
        `operatorCidrs entry "${text}" is a private address: the hosts' firewall sees the public address your router or VPN exit translates it to, so this entry admits nobody; use that public address as "a.b.c.d/32"`,
      );
    } else {
      cidrs.push(cidr);
    }
  }
  // Only what can match: the entries above admit nobody.
  const covered = coveredAddressCount(cidrs);
  if (covered > MAX_OPERATOR_ADDRESSES) {
    const share = ((covered / 2 ** 32) * 100).toFixed(covered === 2 ** 32 ? 0 : 2);
    const message =
      `operatorCidrs together cover ${covered.toLocaleString("en-US")} IPv4 addresses (${share}% of the internet), more than a /8 ` +
      `(${MAX_OPERATOR_ADDRESSES.toLocaleString("en-US")}): SSH and the Nomad/Consul APIs are open to that much of the internet; ` +
      `list only the addresses you administer from, e.g. "203.0.113.7/32"`;
    if (shape.tier === "production") result.errors.push(`${message}. Production refuses this`);
    else result.warnings.push(message);
  }
}

/** A DNS label: server names become hostnames, region and datacenter parts of certificate names. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/;

function nameRules(shape: ClusterShape, result: ValidationResult): void {
  for (const [prop, value, example] of [
    ["name", shape.name, "lab"],
    ["region", shape.region, "global"],
    ["datacenter", shape.datacenter, "lab01"],
  ] as const) {
    if (!DNS_LABEL.test(value)) {
      result.errors.push(
        `${prop} "${value}" is not a lowercase DNS label (letters, digits, inner hyphens; it ends up in host and certificate names), e.g. "${example}"`,
      );
    }
  }
}

function sshKeyRules(shape: ClusterShape, result: ValidationResult): void {
  if (shape.sshKeys.length === 0) {
    result.errors.push("sshKeys is empty: Terraform delivers the cluster's secrets over SSH and needs at least one key (your ssh-agent's)");
  }
  const seen = new Set<string>();
  for (const key of shape.sshKeys) {
    if (seen.has(key.name)) result.errors.push(`sshKeys has two keys named "${key.name}"; names must be unique`);
    seen.add(key.name);
    const problem = sshPublicKeyProblem(key.publicKey);
    if (problem) result.errors.push(`sshKeys "${key.name}" ${problem}`);
  }
}

function chrootRules(shape: ClusterShape, result: ValidationResult): void {
  result.errors.push(...chrootEnvProblems(shape.chrootEnv));
}

/** Every rule at once, so one synth reports every problem. */
export function validateClusterShape(shape: ClusterShape): ValidationResult {
  const result: ValidationResult = { errors: [], warnings: [] };
  nameRules(shape, result);
  locationRules(shape, result);
  serverCountRules(shape, result);
  poolRules(shape, result);
  networkRules(shape, result);
  sshKeyRules(shape, result);
  chrootRules(shape, result);
  return result;
}
