import type { AppSelection } from "../apps";
import type { AccessProps } from "../constructs/access";
import type { AclTokenGenerations } from "../constructs/acl-bootstrap";
import type { TaskDriver } from "../constructs/cluster-facts";
import type { DnsVipProps } from "../constructs/dns-vip";
import type { AcmeSettings } from "../constructs/ingress";
import type { ClusterTier, HetznerClusterProps } from "../constructs/hetzner-cluster";
import type { PublicDnsZone } from "../constructs/public-hostname";
import type { SshClusterProps } from "../constructs/ssh-cluster";
import type { RaftSnapshotsProps } from "../constructs/raft-snapshots";
import type { BackupRepository } from "../constructs/backups";

export type { TaskDriver };

/**
 * The typed description of one environment: data only, typed by the constructs' own props
 * where a construct takes them. derive.ts turns it into the props each stack builds from.
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
   * the files of its allocations; only Terraform's deploy changes it. DNS and the ingress
   * do not serve it.
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
   * Jobs in this namespace may share the host's network namespace (containers with
   * `network_mode = "host"`, exec/java/raw_exec tasks of a group without a bridge network),
   * and so reach every port the host listens on, the agents' APIs included.
   * @default false
   */
  readonly hostNetworkMode?: boolean;
  /**
   * Podman containers in this namespace may run privileged: root on the host. Only for a
   * namespace of its own whose jobs must mount disks on the host (the CSI node plugin);
   * the clients' docker refuses privileged in every namespace.
   * @default false
   */
  readonly allowPrivileged?: boolean;
}

/**
 * The cluster runs on Hetzner Cloud VMs that the `<env>-hosts` stack creates: HetznerCluster's
 * own props, less what the environment states once for every stack (name, tier, region,
 * datacenter) and what follows from the DNS VIP mode (aliasIpsMovedByApi). The client count,
 * drivers and host networks jobs are checked against follow from these props.
 */
export interface HetznerClusterConfig
  extends Omit<HetznerClusterProps, "name" | "tier" | "region" | "datacenter" | "aliasIpsMovedByApi"> {
  readonly kind: "hetzner";
}

/**
 * The cluster is run by hand on this machine: `nomad agent -dev -acl-enabled` and
 * `consul agent -dev`, reachable on loopback. The dev agent is the one Nomad client.
 */
export interface LocalClusterConfig {
  readonly kind: "local";
  /** e.g. "http://127.0.0.1:4646" */
  readonly nomadAddress: string;
  /** e.g. "http://127.0.0.1:8500" */
  readonly consulAddress: string;
  /** Task drivers the dev agent enables. @default ["docker", "exec", "raw_exec"] (what `nomad agent -dev` enables) */
  readonly drivers?: readonly TaskDriver[];
}

/**
 * The cluster runs on machines the operator already has (a home LAN), which the `<env>-hosts`
 * stack installs and configures over SSH (SshCluster): its props, less what the environment
 * states once for every stack.
 */
export interface SshClusterConfig extends Omit<SshClusterProps, "name" | "tier" | "region" | "datacenter"> {
  readonly kind: "ssh";
}

/**
 * A cluster someone else runs, with TLS and ACLs on: the environment manages only namespaces,
 * policies and jobs there. No hosts stack and no ACL bootstrap: the management tokens come
 * from the sensitive variables `nomad_token` and `consul_token` (TF_VAR_nomad_token,
 * TF_VAR_consul_token) of the platform and workloads stacks.
 */
export interface ExistingClusterConfig {
  readonly kind: "existing";
  /** e.g. "https://nomad.example.net:4646" (HTTPS only). */
  readonly nomadAddress: string;
  /** e.g. "https://consul.example.net:8501" (HTTPS only). */
  readonly consulAddress: string;
  /** The CA certificate (PEM) both APIs' certificates chain to. */
  readonly caCertPem: string;
  /** The Nomad clients jobs may be placed on, for synth-time checks (counts, drivers, host networks). */
  readonly clients: {
    readonly count: number;
    /** @default ["docker", "exec"] */
    readonly drivers?: readonly TaskDriver[];
    /** The clients' `host_network` names. @default none */
    readonly hostNetworks?: readonly string[];
    /** The clients' host volume names (static `host_volume` blocks or dynamic host volumes). @default none */
    readonly hostVolumes?: readonly string[];
    /** The node pools the clients are in. @default ["default"] */
    readonly nodePools?: readonly string[];
  };
  /** The Nomad version the cluster runs, for version-dependent job checks. @default unknown: those checks are skipped */
  readonly nomadVersion?: string;
  /** Who may reach the ingress dashboard (Traefik). */
  readonly operatorCidrs: readonly string[];
}

export type ClusterConfig = HetznerClusterConfig | SshClusterConfig | ExistingClusterConfig | LocalClusterConfig;

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
 * Periodic Raft snapshots of Nomad and Consul (RaftSnapshots), uploaded to an S3-compatible
 * bucket (e.g. Hetzner Object Storage). The bucket's keys come from the sensitive Terraform
 * variables `snapshots_s3_access_key_id` and `snapshots_s3_secret_access_key` at deploy time;
 * the agents' addresses and the key prefix (`<env>/`) follow from the environment. The
 * namespace must be declared `managementOnly` (synth fails otherwise).
 */
export type SnapshotsConfig = Pick<
  RaftSnapshotsProps,
  "bucket" | "endpoint" | "region" | "retention" | "ageRecipient" | "schedule" | "namespace"
>;

/**
 * The lab domain's DNS (DnsVip: CoreDNS behind a keepalived VIP): its props, less what the
 * environment derives (domain, served namespaces, driver, host network, the hosts' addresses).
 */
export interface DnsConfig extends Pick<DnsVipProps, "mode" | "vip" | "virtualRouterId" | "upstreams"> {
  /** The subnet the VIP lies in. @default the Hetzner cluster's subnetCidr */
  readonly subnetCidr?: string;
  /** CoreDNS instances, one per host. @default the client count, at most 3 (1 in mode "none") */
  readonly instances?: number;
}

/**
 * Certificates for public hostnames (the ingress's ACME renewer): its settings, less the
 * Cloudflare token, which the workloads stack asks for (TF_VAR_acme_cloudflare_token) when the
 * environment also has a Cloudflare zone, so names in it are validated by DNS-01.
 */
export type AcmeConfig = Omit<AcmeSettings, "cloudflareApiToken">;

/** Who gets a Nomad ACL token (Access), less the namespace facts the environment declares. */
export type AccessConfig = Omit<AccessProps, "namespaces" | "managementOnly" | "infrastructure">;

export interface EnvironmentConfig {
  /** Short name; stacks are `<name>-hosts`, `<name>-acl`, ... */
  readonly name: string;
  /**
   * How much the environment matters: production turns on delete/rebuild protection and
   * refuses single-server clusters; dev and lab allow them with a warning.
   */
  readonly tier: ClusterTier;
  /** Nomad region, e.g. "global" (Nomad's own default). */
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
  /** How the lab domain's DNS VIP is held, where it lives and what CoreDNS forwards. */
  readonly dns: DnsConfig;
  /** The Cloudflare zone public hostnames are created in. @default none: no public records */
  readonly cloudflare?: PublicDnsZone;
  /** HTTPS certificates for public hostnames (Let's Encrypt). @default none: public hostnames need tls: "none" */
  readonly acme?: AcmeConfig;
  readonly state: StateConfig;
  /** Raft snapshot backups. @default none: no snapshot job */
  readonly snapshots?: SnapshotsConfig;
  /** Where apps' volume backups go (VolumeBackups). @default none: apps' volumes are not backed up */
  readonly backups?: BackupsConfig;
  /**
   * The apps the environment runs, each with its settings: key `fooBar` is `apps/foo-bar.ts`
   * and is typed by that app's settings (docs/apps.md). @default none
   */
  readonly apps?: AppSelection;
  /**
   * Which generation of the management and agent tokens the acl stack holds: raise one by one
   * to rotate those tokens (docs/operations.md "Rotating tokens"). @default every generation 1
   */
  readonly tokenGenerations?: AclTokenGenerations;
}

/**
 * The bucket apps' volumes are backed up to with restic (VolumeBackups): a repository per volume
 * under `<env>/`. The bucket's keys and the repositories' password come from the sensitive
 * Terraform variables `backups_s3_access_key_id`, `backups_s3_secret_access_key` and
 * `backups_restic_password` at deploy time.
 */
export type BackupsConfig = Pick<BackupRepository, "endpoint" | "bucket">;
