import { Token } from "cdktf";
import { cidrContains, Ipv4Cidr, parseCidr, parseIpv4, PRIVATE_RANGES } from "../core";
import { chrootEnvProblems, nomadVersionFloorProblems, sshHostProblems } from "../hetzner-cluster";
import type { SshClusterProps } from "./ssh-cluster";

/** A DNS label: host names reach root's shell, file names and certificates; names and regions certificates. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** An upstream version as HashiCorp's apt repository names it ("2.0.5", "1.21.5", "0.6.4"). */
const VERSION = /^\d+\.\d+\.\d+$/;
/** Server counts Raft tolerates failures with (DESIGN.md: never 2); 1 only outside production. */
const SERVER_COUNTS = [1, 3, 5, 7];

/**
 * Terraform pins the key Go's SSH client negotiates, and Go asks for ECDSA host keys before
 * RSA and Ed25519 (golang.org/x/crypto/ssh supportedHostKeyAlgos; Terraform 1.11 sets no
 * HostKeyAlgorithms), so a host that also has an ECDSA key presents that one.
 */
const PREFERRED_HOST_KEY = "ecdsa-sha2-nistp256";

export interface SshClusterProblems {
  readonly errors: string[];
  readonly warnings: string[];
}

/** Every problem with the props, each naming the field to change. */
export function validateSshCluster(props: SshClusterProps): SshClusterProblems {
  const errors: string[] = [];
  const warnings: string[] = [];
  // They become parts of certificate names (server.<region>.nomad, server.<datacenter>.consul) and the CA's name.
  for (const key of ["name", "region", "datacenter"] as const) {
    const value = props[key];
    if (value !== undefined && !DNS_LABEL.test(value)) {
      errors.push(`${key} ${JSON.stringify(value)} is not a lowercase DNS label (letters, digits, inner dashes): it is part of the certificates' names`);
    }
  }
  const subnet = parseCidr(props.subnetCidr);
  if (typeof subnet === "string") {
    errors.push(`subnetCidr: ${subnet}; give the LAN the hosts share, e.g. "192.168.1.0/24"`);
  } else if (!PRIVATE_RANGES.some((range) => cidrContains(range, subnet))) {
    errors.push(`subnetCidr "${props.subnetCidr}" is not a private (RFC 1918) range: the agents bind to it and its ports are open to it`);
  }
  if (props.hosts.length === 0) errors.push('hosts is empty; list each machine, e.g. { name: "nuc1", address: "192.168.1.21", role: "both", hostKey: "ecdsa-sha2-nistp256 AAAA..." }');
  props.hosts.forEach((host, i) => {
    const field = `hosts[${i}]`;
    if (!DNS_LABEL.test(host.name)) {
      errors.push(`${field}.name ${JSON.stringify(host.name)} is not a lowercase DNS label (letters, digits, inner dashes, at most 63): it names the agents, the certificate and files on the host`);
    }
    if (parseIpv4(host.address) === undefined) {
      errors.push(`${field}.address ${JSON.stringify(host.address)} is not an IPv4 address; give the host's static LAN address`);
    } else if (typeof subnet !== "string" && !cidrContains(subnet, parseCidr(`${host.address}/32`) as Ipv4Cidr)) {
      errors.push(`${field}.address "${host.address}" is outside subnetCidr "${props.subnetCidr}": the agents bind to the address in that subnet`);
    }
    if (!["server", "client", "both"].includes(host.role)) {
      errors.push(`${field}.role ${JSON.stringify(host.role)} is none of "server", "client", "both"`);
    }
    if (!Token.isUnresolved(host.hostKey) && !host.hostKey.trim().startsWith(`${PREFERRED_HOST_KEY} `)) {
      warnings.push(
        `${field}.hostKey is no ${PREFERRED_HOST_KEY} key: Terraform asks for the ECDSA host key first, so if the host has one (Debian and Ubuntu generate it) ` +
          "the apply fails with a key mismatch; pin the content of /etc/ssh/ssh_host_ecdsa_key.pub read on the host's console",
      );
    }
  });
  errors.push(...sshHostProblems(props.hosts, "hosts"));
  for (const [what, values] of [
    ["name", props.hosts.map((h) => h.name)],
    ["address", props.hosts.map((h) => h.address)],
  ] as const) {
    const repeated = [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
    for (const value of repeated) errors.push(`hosts: two hosts have ${what} "${value}"; each ${what} names one machine`);
  }
  const servers = props.hosts.filter((h) => h.role !== "client").length;
  const clients = props.hosts.filter((h) => h.role !== "server").length;
  const production = props.tier === "production";
  if (props.hosts.length > 0 && (!SERVER_COUNTS.includes(servers) || (production && servers === 1))) {
    errors.push(
      `hosts: ${servers} servers (role "server" or "both"); Raft needs 3, 5 or 7 to survive a failure${production ? "" : " (1 outside production)"}, never an even count`,
    );
  } else if (servers === 1) {
    warnings.push("hosts: a single server has no fault tolerance; losing it loses the cluster's state");
  }
  if (props.hosts.length > 0 && clients === 0) errors.push('hosts: no host runs workloads; give at least one the role "client" or "both"');
  for (const key of ["nomadVersion", "consulVersion", "podmanDriverVersion"] as const) {
    const value = props[key];
    if (value !== undefined && !VERSION.test(value)) errors.push(`${key} ${JSON.stringify(value)} is not a version such as "2.0.5"`);
  }
  errors.push(...nomadVersionFloorProblems(props.nomadVersion));
  errors.push(...chrootEnvProblems(props.chrootEnv));
  props.operatorCidrs.forEach((cidr, i) => {
    const parsed = parseCidr(cidr);
    if (typeof parsed === "string") errors.push(`operatorCidrs[${i}]: ${parsed}; e.g. "192.168.1.0/24" or "192.168.1.10/32"`);
  });
  if (props.operatorCidrs.length === 0) errors.push("operatorCidrs is empty; give the addresses SSH and the APIs may be reached from");
  return { errors, warnings };
}
