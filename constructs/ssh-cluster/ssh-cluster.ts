import { Annotations } from "cdktf";
import { Construct } from "constructs";
import type { TaskDriver } from "../cluster-facts";
import { throwIfProblems } from "../core";
import {
  AgentRollout,
  addHostLifecycle,
  apiHostnameProblems,
  CLIENT_HOST_NETWORKS,
  clusterApiAddresses,
  ClusterClients,
  ClusterPki,
  ClusterTier,
  CONSUL_PORTS,
  ConfiguredHost,
  createGossipKeys,
  DEFAULT_PODMAN_DRIVER_VERSION,
  deliverHostConfiguration,
  HASHICORP_KEYRING,
  hashicorpAptSource,
  hashicorpKeyring,
  HostAccess,
  HostClusterSettings,
  hostFirewallUnit,
  HostPort,
  hostPackages,
  renderHostFirewall,
  ROLLED_OUT_PACKAGES,
  rolloutOrder,
  SecretsDelivery,
  SshHost,
  systemFiles,
} from "../hetzner-cluster";
import { HostInstall, InstalledFile, RELEASE_PLACEHOLDER } from "./host-install";
import { validateSshCluster } from "./validate";

/** What a host runs: a Nomad and Consul server, a Nomad client (workloads), or both. */
export type SshHostRole = "server" | "client" | "both";

/** A machine the operator already runs, reached over SSH as root. */
export interface SshClusterHost {
  /** Node name of both agents and the certificate's name, e.g. "nuc1" (a lowercase DNS label). */
  readonly name: string;
  /** The host's static IPv4 address in subnetCidr: Terraform connects here and the agents bind here. */
  readonly address: string;
  readonly role: SshHostRole;
  /**
   * The host's SSH public host key, pinned: Terraform refuses a host that presents another.
   * Read it on the host's console (`cat /etc/ssh/ssh_host_ecdsa_key.pub`): Terraform asks
   * for the ECDSA key first. A reinstalled host has a new key; pinning it reprovisions the host.
   */
  readonly hostKey: string;
}

/** The host's own nftables input firewall, for hosts no cloud firewall stands in front of. */
export interface SshHostFirewall {
  /** Ports open to anyone beside the ingress, e.g. DNS where the DNS VIP lands. @default none */
  readonly publicPorts?: readonly HostPort[];
}

export interface SshClusterProps {
  /** The cluster's name, e.g. the environment name "home" (the CA's name). */
  readonly name: string;
  /** Production refuses a single server. @default "lab" */
  readonly tier?: ClusterTier;
  /** Nomad region. @default "global" */
  readonly region?: string;
  /** Nomad and Consul datacenter. @default "dc1" */
  readonly datacenter?: string;
  /** The LAN the hosts share (RFC 1918), e.g. "192.168.1.0/24": host networks "private" and "public". */
  readonly subnetCidr: string;
  /** The machines, servers first in deploy order; 1, 3, 5 or 7 servers. */
  readonly hosts: readonly SshClusterHost[];
  /**
   * A DNS name with one A record per server's address, e.g. "nomad.example.net", through
   * which the later stacks' providers, the ACL bootstrap and the CLIs reach the Nomad and Consul
   * APIs, so that deploys survive the loss of any one server (Go's dialer tries each address of
   * a name in turn). Every server's certificate carries it. Your LAN's DNS (the router) serves
   * the records; the hosts stack's `api_hostname` output lists them.
   * @default none: the first server's address, so every deploy fails while it is down
   */
  readonly apiHostname?: string;
  /** IPv4 CIDRs SSH and the Nomad/Consul HTTPS APIs are for (the host firewall admits only them, and the cluster's hosts to the APIs). */
  readonly operatorCidrs: readonly string[];
  /** Pinned Nomad version, e.g. "2.0.5" (HashiCorp's apt repository). */
  readonly nomadVersion: string;
  /** Pinned Consul version, e.g. "1.21.5". */
  readonly consulVersion: string;
  /** nomad-driver-podman version, installed where podman is a driver. @default "0.6.4" */
  readonly podmanDriverVersion?: string;
  /**
   * How long the rollout lets a Nomad client drain before its upgrade (`nomad node drain
   * -deadline`); after it, allocations still on the node are stopped.
   * @default 15
   */
  readonly drainDeadlineMinutes?: number;
  /** Task drivers every client enables. @default ["docker", "exec"] */
  readonly drivers?: readonly TaskDriver[];
  /** Paths linked into exec tasks' chroot. @default Nomad's built-in list */
  readonly chrootEnv?: Readonly<Record<string, string>>;
  /** The hosts' own input firewall (nftables). @default none: the LAN's edge is the firewall */
  readonly hostFirewall?: SshHostFirewall;
  /**
   * The cluster CA's generation: raise it by one to rotate the CA in one deploy, host by host,
   * with a phase in which every host trusts both CAs (docs/operations.md "Rotating the CA").
   * @default 1
   */
  readonly caGeneration?: number;
  /**
   * The gossip keys' generation: raise it by one to rotate Consul's and Nomad's gossip keys in
   * one deploy (docs/operations.md "Rotating gossip keys").
   * @default 1
   */
  readonly gossipKeyGeneration?: number;
}

/** One LAN host: its place in the cluster and the resources that install and configure it. */
export interface SshClusterMember {
  readonly spec: ConfiguredHost;
  readonly sshHost: SshHost;
  readonly install: HostInstall;
  readonly delivery: SecretsDelivery;
}

/** Where the host firewall's rules live. */
const HOST_FIREWALL_RULES = "/etc/hashilab/host-firewall.nft";
const HOST_FIREWALL_UNIT = "hashilab-host-firewall.service";

const DEFAULT_DRIVERS: readonly TaskDriver[] = ["docker", "exec"];

/**
 * A Nomad + Consul cluster on machines the operator already runs (Debian 12 or Ubuntu 24.04,
 * amd64 or arm64), installed and configured over SSH with the same agent configuration, TLS,
 * gossip keys and units as HetznerCluster (one renderer: host-configuration.ts). One host at a
 * time, servers first: each host's install waits for the previous host's delivery, which
 * waits until the agents answer again, so a bad change stops at the first host.
 */
export class SshCluster extends Construct {
  /** What the Nomad clients of a cluster with these props offer (see HetznerCluster.clientsOf). */
  static clientsOf(props: Pick<SshClusterProps, "hosts" | "drivers">): ClusterClients {
    return {
      count: props.hosts.filter((h) => h.role !== "server").length,
      drivers: props.drivers ?? DEFAULT_DRIVERS,
      hostNetworks: Object.values(CLIENT_HOST_NETWORKS),
      hostVolumes: [],
      nodePools: ["default"],
    };
  }

  readonly subnetCidr: string;
  readonly members: readonly SshClusterMember[];
  /** The agent upgrades (Consul on every host, then Nomad), after the deliveries. */
  readonly rollout: AgentRollout;
  /** Every host's name, role and SSH access, in rollout order: the acl stack delivers tokens by name. */
  readonly hostAccess: readonly HostAccess[];
  /** The servers' addresses. */
  readonly serverPrivateIps: readonly string[];
  /** Every host's address, servers first. */
  readonly privateAddresses: readonly string[];
  /** The addresses of the hosts that run the Nomad client: where ingress ports listen. */
  readonly clientPublicIps: readonly string[];
  /** Every host's Consul HTTPS API, to give each agent its own token. */
  readonly consulAgentAddresses: readonly string[];
  /** Where Terraform reaches each host and the host key it pins, servers first. */
  readonly sshHosts: readonly SshHost[];
  /** The name the servers' certificates carry for the APIs (props.apiHostname). */
  readonly apiHostname?: string;
  /** https://<apiHostname>:4646, or without one https://<first server>:4646 */
  readonly nomadAddress: string;
  /** https://<apiHostname>:8501, or without one https://<first server>:8501 */
  readonly consulAddress: string;
  /** What API clients trust: the CA that signs the agents' certificates, after a CA rotation also the previous one. */
  readonly caCertPem: string;
  /** When the CA ("ca") and each host's certificate (by host name) expire, RFC 3339. */
  readonly certificateExpiries: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: SshClusterProps) {
    super(scope, id);
    const { errors, warnings } = validateSshCluster(props);
    throwIfProblems(this, "invalid SshCluster", [...errors, ...apiHostnameProblems(props.apiHostname)]);
    warnings.forEach((w) => Annotations.of(this).addWarning(w));

    const drivers = props.drivers ?? DEFAULT_DRIVERS;
    const podmanDriverVersion = props.podmanDriverVersion ?? DEFAULT_PODMAN_DRIVER_VERSION;
    const ordered = rolloutOrder(
      props.hosts.map((h) => ({
        host: h,
        spec: { role: "Host", ordinal: h.name, name: h.name, isServer: h.role !== "client", isClient: h.role !== "server", privateIp: h.address } as ConfiguredHost,
      })),
    );
    const specs = ordered.map((o) => o.spec);
    this.subnetCidr = props.subnetCidr;
    this.serverPrivateIps = specs.filter((s) => s.isServer).map((s) => s.privateIp);
    this.privateAddresses = specs.map((s) => s.privateIp);
    this.clientPublicIps = specs.filter((s) => s.isClient).map((s) => s.privateIp);
    this.consulAgentAddresses = specs.map((s) => `https://${s.privateIp}:${CONSUL_PORTS.https}`);
    this.apiHostname = props.apiHostname;
    ({ nomadAddress: this.nomadAddress, consulAddress: this.consulAddress } = clusterApiAddresses(props.apiHostname ?? this.serverPrivateIps[0]));

    const pki = new ClusterPki(this, "Pki", { name: props.name, caGeneration: props.caGeneration });
    this.caCertPem = pki.trustedCaPem;
    this.certificateExpiries = pki.certificateExpiries;
    const gossipKeys = createGossipKeys(this, props.gossipKeyGeneration);
    const secrets = { pki, ...gossipKeys };
    const cluster: HostClusterSettings = {
      region: props.region ?? "global",
      datacenter: props.datacenter ?? "dc1",
      serverIps: this.serverPrivateIps,
      bootstrapExpect: this.serverPrivateIps.length,
      drivers,
      subnetCidr: props.subnetCidr,
      // One LAN: the ingress listens on the hosts' LAN addresses.
      publicNetwork: { cidr: props.subnetCidr },
      chrootEnv: props.chrootEnv,
      apiHostname: props.apiHostname,
    };

    const members: SshClusterMember[] = [];
    specs.forEach((spec, i) => {
      // Type and key only: the comment is free text that Terraform would read as a template.
      const sshHost: SshHost = { address: spec.privateIp, hostKey: ordered[i].host.hostKey.trim().split(/\s+/).slice(0, 2).join(" ") };
      const previous = members[i - 1];
      const install = new HostInstall(this, `HostInstall-${spec.name}`, {
        host: sshHost,
        files: this.installedFiles(props, spec),
        packages: hostPackages({
          isClient: spec.isClient,
          nomadVersion: props.nomadVersion,
          consulVersion: props.consulVersion,
          podmanDriverVersion,
          drivers,
        }),
        aptSource: hashicorpAptSource(RELEASE_PLACEHOLDER),
        rolledOut: Object.values(ROLLED_OUT_PACKAGES),
        after: previous ? [previous.delivery.resource] : undefined,
      });
      const delivery = deliverHostConfiguration(this, {
        cluster,
        host: spec,
        secrets,
        sshHost,
        certificateAddresses: [],
        // A new install (new packages, files or host key: a reinstalled machine) is a new
        // delivery, whose install script restarts the agents an upgrade left on old binaries.
        instanceId: install.resource.id,
        after: [install.resource],
      });
      members.push({ spec, sshHost, install, delivery });
    });
    this.members = members;
    this.sshHosts = members.map((m) => m.sshHost);
    ({ rollout: this.rollout, hostAccess: this.hostAccess } = addHostLifecycle(this, {
      // The CA rotation's steps come not after the installs (each waits for the previous host's
      // delivery, which waits for the rotation): the machines exist already, and one whose
      // agents do not run skips the steps.
      hosts: members.map((m) => ({ ...m, instanceId: m.sshHost.hostKey, connectAfter: [] })),
      pki,
      gossipKeys,
      versions: {
        consul: props.consulVersion,
        nomad: props.nomadVersion,
        nomadDriverPodman: drivers.includes("podman") ? podmanDriverVersion : undefined,
      },
      drainDeadlineMinutes: props.drainDeadlineMinutes,
      serversField: "cluster.hosts (a host's role)",
    }));
  }

  /** What cloud-init writes on a Hetzner host, plus the key and, when asked for, the host firewall. */
  private installedFiles(props: SshClusterProps, spec: ConfiguredHost): InstalledFile[] {
    const files: InstalledFile[] = [{ path: HASHICORP_KEYRING, content: hashicorpKeyring(), permissions: "0644" }, ...systemFiles(spec)];
    if (props.hostFirewall) {
      const rules = renderHostFirewall({
        operatorCidrs: props.operatorCidrs,
        clusterSources: props.hosts.map((h) => h.address),
        isClient: spec.isClient,
        publicPorts: props.hostFirewall.publicPorts,
      });
      files.push(
        { path: HOST_FIREWALL_RULES, content: rules, permissions: "0644", restartUnit: HOST_FIREWALL_UNIT },
        { path: `/etc/systemd/system/${HOST_FIREWALL_UNIT}`, content: hostFirewallUnit(HOST_FIREWALL_RULES), permissions: "0644", restartUnit: HOST_FIREWALL_UNIT },
      );
    }
    return files;
  }
}
