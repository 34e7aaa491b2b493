import { ClusterFacts, TaskDriver } from "../constructs/cluster-facts";
import { DEFAULT_NAMESPACE_ADMISSION, NamespaceAdmission } from "../constructs/nomad-job";

export type { TaskDriver };

/**
 * The typed description of one environment. Stacks are thin: everything that differs
 * between environments lives here, and constructs read the facts they validate against
 * (namespaces, client capabilities, host networks) from it.
 */

/** A Nomad namespace the environment declares; jobs and policies may only name these. */
export interface NamespaceConfig {
  readonly name: string;
  readonly description: string;
  /**
   * Only management tokens (and the jobs running there) may use it: the operator, developer
   * and anonymous policies deny it, variables included, and DNS and the ingress do not serve
   * it. For jobs that hold management tokens, such as the Raft snapshot job.
   * @default false
   */
  readonly managementOnly?: boolean;
  /**
   * Runs the cluster's own infrastructure (DNS, ingress), whose secrets (e.g. the Hetzner
   * token that moves the DNS VIP) only those jobs may read: operator and developer tokens
   * may read its jobs and logs but not its variables, and may not submit, exec into or read
   * the files of its allocations; only Terraform's deploy changes it.
   * @default false
   */
  readonly infrastructure?: boolean;
  /**
   * Task drivers jobs in this namespace may use. Nomad enforces it at submission (namespace
   * `capabilities.enabled_task_drivers`), and synth fails on a job that uses another. List
   * podman only where needed: nomad-driver-podman 0.6 has no setting that forbids privileged
   * containers per job; and raw_exec runs tasks as root without isolation.
   * @default ["docker", "exec"]
   */
  readonly taskDrivers?: readonly TaskDriver[];
  /**
   * Linux capabilities containers in this namespace may add (`cap_add`) beyond the driver's
   * default set, e.g. keepalived's NET_ADMIN. Checked at synth (the admission policy).
   * @default none
   */
  readonly addCapabilities?: readonly string[];
  /**
   * Containers in this namespace may share the host's network namespace (`network_mode =
   * "host"`), and so reach every port the host listens on, the agents' APIs included.
   * @default false
   */
  readonly hostNetworkMode?: boolean;
}


/** Who gets a Nomad ACL token from the platform stack (names: lowercase letters, digits, dashes). */
export interface AccessConfig {
  /** Each gets a token with the `operators` role. @default ["operator"] */
  readonly operators?: readonly string[];
  /** Each gets a token with the `developers` role. @default ["developer"] */
  readonly developers?: readonly string[];
  /**
   * The namespace developers work in: declared, neither management-only nor infrastructure,
   * and a literal name (a glob would reach every namespace it matches).
   * @default "dev"
   */
  readonly developerNamespace?: string;
  /**
   * Developers may submit jobs directly (`submit-job` in the developer namespace, the role
   * described in docs/access.md). This makes every developer root on every client that runs
   * docker: Nomad's docker driver cannot forbid `devices` (raw disks), so any job can read
   * the hosts' Raft data and secrets. Without it developers read, dispatch and read logs,
   * and their jobs reach the cluster through this repository's deploy, where synth checks
   * them (docs/access.md "Admission").
   * @default false
   */
  readonly developersMaySubmitJobs?: boolean;
  /**
   * Operators may submit jobs and exec on the nodes of unisolated tasks in the application
   * namespaces (not infrastructure or management-only ones). Root-equivalent for the same
   * reason as developersMaySubmitJobs.
   * @default false
   */
  readonly operatorsMaySubmitJobs?: boolean;
}

/** What the Nomad clients of an environment can do: synth-time checks use these facts. */
export interface ClientCapabilities {
  /** Number of Nomad clients (hosts that run workloads). */
  readonly count: number;
  /** Drivers enabled on every client. */
  readonly drivers: readonly TaskDriver[];
  /**
   * Named host networks every client defines (Nomad `client.host_network`), e.g. "private"
   * bound to the private network's interface and "public" to the public one.
   */
  readonly hostNetworks: readonly string[];
  /**
   * Paths linked into exec tasks' chroot (Nomad `client.chroot_env`). Replaces Nomad's built-in
   * list rather than adding to it; synth fails if one would expose the hosts' secrets directory.
   * @default Nomad's built-in list
   */
  readonly chrootEnv?: Readonly<Record<string, string>>;
}

/** One pool of Hetzner servers. */
export interface HostPoolConfig {
  readonly count: number;
  /** Hetzner server type, e.g. "cx23" (x86) or "cax11" (Arm). */
  readonly serverType: string;
}

/** A public SSH key the operator logs in with. */
export interface SshKeyConfig {
  readonly name: string;
  /** The OpenSSH public key line, e.g. "ssh-ed25519 AAAA... me@laptop". */
  readonly publicKey: string;
}

/** The cluster runs on Hetzner Cloud VMs that the `<env>-hosts` stack creates. */
export interface HetznerClusterConfig {
  readonly kind: "hetzner";
  /** @default "nbg1" */
  readonly location: string;
  /** Hetzner network zone of the location. @default "eu-central" */
  readonly networkZone: string;
  /** @default "debian-12" */
  readonly image: string;
  /** The private network's range. */
  readonly networkCidr: string;
  /** The subnet the hosts get their private addresses from (inside networkCidr). */
  readonly subnetCidr: string;
  /** Nomad servers. With `serversAreClients` they also run workloads. */
  readonly servers: HostPoolConfig;
  /** Servers also run the Nomad client (combined hosts: one server and one client agent each). */
  readonly serversAreClients: boolean;
  /** Client-only hosts beside the servers. @default none */
  readonly clients?: HostPoolConfig;
  /** CIDRs allowed to reach SSH and the Nomad/Consul HTTP APIs. */
  readonly operatorCidrs: readonly string[];
  readonly sshKeys: readonly SshKeyConfig[];
  /** Pinned agent versions, installed from HashiCorp's apt repository. */
  readonly nomadVersion: string;
  readonly consulVersion: string;
  /** Pinned nomad-driver-podman version, installed on clients where podman is a driver. @default "0.6.4" */
  readonly podmanDriverVersion?: string;
}

/**
 * The cluster is run by hand on this machine: `nomad agent -dev -acl-enabled` and
 * `consul agent -dev`, reachable on loopback.
 */
export interface LocalClusterConfig {
  readonly kind: "local";
  /** @default "http://127.0.0.1:4646" */
  readonly nomadAddress: string;
  /** @default "http://127.0.0.1:8500" */
  readonly consulAddress: string;
}

export type ClusterConfig = HetznerClusterConfig | LocalClusterConfig;

/** Public DNS for the environment's public hostnames. Absent: no public records. */
export interface CloudflareConfig {
  /** The zone's id (not a secret). */
  readonly zoneId: string;
  /** The zone's name, e.g. "example.com". */
  readonly zoneName: string;
}

/** An S3-compatible state backend, e.g. Hetzner Object Storage. */
export interface S3StateConfig {
  readonly kind: "s3";
  readonly bucket: string;
  /** e.g. "https://fsn1.your-objectstorage.com" */
  readonly endpoint: string;
  /** @default "us-east-1" (S3-compatible stores ignore it, Terraform requires one) */
  readonly region?: string;
  /** Prefix of each stack's state key; the key is `<prefix>/<stack>.tfstate`. @default "hashilab" */
  readonly keyPrefix?: string;
}

/** Local state files in a folder relative to the project (kept out of cdktf.out/ and git). */
export interface LocalStateConfig {
  readonly kind: "local";
  /** Folder relative to the project root. @default "state" */
  readonly directory?: string;
}

export type StateConfig = LocalStateConfig | S3StateConfig;

/**
 * Periodic Raft snapshots of Nomad and Consul, uploaded to an S3-compatible bucket (e.g.
 * Hetzner Object Storage). The bucket's keys come from the sensitive Terraform variables
 * `snapshots_s3_access_key_id` and `snapshots_s3_secret_access_key` at deploy time.
 */
export interface SnapshotsConfig {
  /** The bucket; create it (private) before the first deploy. */
  readonly bucket: string;
  /** The S3 endpoint, e.g. "https://nbg1.your-objectstorage.com" (path-style requests). */
  readonly endpoint: string;
  /** The signing region. @default "us-east-1" */
  readonly region?: string;
  /** Snapshots kept per system; older ones are deleted after each upload. @default 14 */
  readonly retention?: number;
  /**
   * The age public key (`age1...`, from `age-keygen`) each snapshot is encrypted to before it
   * leaves the host. Keep the private half offline: restores need it (docs/operations.md).
   */
  readonly ageRecipient: string;
  /** When to take them: a 5-field cron in UTC. @default "0 3 * * *" (daily at 03:00) */
  readonly schedule?: string;
  /**
   * The job's namespace. Whoever may submit jobs, exec into allocations or read variables
   * there can read the job's management tokens, so it must be declared `managementOnly` and
   * no other job may run in it (synth fails otherwise).
   * @default "ops"
   */
  readonly namespace?: string;
}

/** How the lab domain's DNS VIP is held. */
export type VipMode = "lan" | "hetzner" | "none";

/** The lab domain's DNS (DnsVip: CoreDNS behind a keepalived VIP). */
export interface DnsConfig {
  /**
   * The VIP clients resolve the lab domain through: a free address of the hosts' subnet that
   * is no host's address. Required unless vipMode is "none".
   */
  readonly vip?: string;
  /** The subnet the VIP lies in. @default the Hetzner cluster's subnetCidr */
  readonly vipCidr?: string;
  /** VRRP router id (1-255), unique among VRRP instances on the network. @default 53 */
  readonly virtualRouterId?: number;
  /** Resolvers for names outside the lab domain. @default none: CoreDNS answers only the lab domain */
  readonly upstreams?: readonly string[];
  /** CoreDNS instances, one per host. @default the client count, at most 3 (1 with vipMode "none") */
  readonly instances?: number;
}

export interface EnvironmentConfig {
  /** Short name; stacks are `<name>-hosts`, `<name>-acl`, ... */
  readonly name: string;
  /**
   * How much the environment matters: production turns on delete/rebuild protection and
   * refuses single-server clusters; dev and lab allow them with a warning.
   */
  readonly tier: "dev" | "lab" | "production";
  /** Nomad region. @default "global" */
  readonly region: string;
  /** Nomad and Consul datacenter. */
  readonly datacenter: string;
  /** The lab domain CoreDNS answers for, e.g. "lab.example.com". */
  readonly domain: string;
  readonly namespaces: readonly NamespaceConfig[];
  /** What anonymous requests may do: nothing, or read jobs and nodes. */
  readonly anonymousAccess: "deny" | "read";
  /** Operator and developer tokens. @default one "operator" and one "developer" token, developers in "dev" */
  readonly access?: AccessConfig;
  readonly cluster: ClusterConfig;
  readonly clients: ClientCapabilities;
  /** How the DNS VIP is held. */
  readonly vipMode: VipMode;
  /** Where the DNS VIP lives and what CoreDNS forwards. @default no VIP settings (enough for vipMode "none") */
  readonly dns?: DnsConfig;
  readonly cloudflare?: CloudflareConfig;
  readonly state: StateConfig;
  /** Raft snapshot backups. @default none: no snapshot job */
  readonly snapshots?: SnapshotsConfig;
}

/** The facts constructs validate against, from an environment. */
export function environmentFacts(env: EnvironmentConfig): ClusterFacts {
  return {
    namespaces: env.namespaces.map((ns) => ns.name),
    clientCount: env.clients.count,
    drivers: env.clients.drivers,
    hostNetworks: env.clients.hostNetworks,
    datacenter: env.datacenter,
    region: env.region,
    // Local agents are whatever binary the user has.
    nomadVersion: env.cluster.kind === "hetzner" ? env.cluster.nomadVersion : undefined,
    namespaceAdmission: Object.fromEntries(env.namespaces.map((ns) => [ns.name, namespaceAdmission(ns)])),
    managementOnlyNamespaces: managementOnlyNamespaces(env),
  };
}

/** What jobs in `ns` may use, its defaults applied. */
export function namespaceAdmission(ns: NamespaceConfig): NamespaceAdmission {
  return {
    taskDrivers: ns.taskDrivers ?? DEFAULT_NAMESPACE_ADMISSION.taskDrivers,
    addCapabilities: ns.addCapabilities ?? DEFAULT_NAMESPACE_ADMISSION.addCapabilities,
    hostNetworkMode: ns.hostNetworkMode ?? DEFAULT_NAMESPACE_ADMISSION.hostNetworkMode,
  };
}

/** The namespaces whose jobs hold infrastructure secrets (declared `infrastructure`). */
export function infrastructureNamespaces(env: EnvironmentConfig): string[] {
  return env.namespaces.filter((ns) => ns.infrastructure).map((ns) => ns.name);
}

/** The namespaces only management tokens may use (declared `managementOnly`). */
export function managementOnlyNamespaces(env: EnvironmentConfig): string[] {
  return env.namespaces.filter((ns) => ns.managementOnly).map((ns) => ns.name);
}
