import { Annotations, Token } from "cdktf";
import { Construct } from "constructs";
import { TerraformData } from "../providers";
import type { TaskDriver } from "../cluster-facts";
import { addDependsOn, escapeTerraformTemplate, Ipv4Cidr, parseCidr, throwIfProblems } from "../core";
import {
  HcloudFirewall,
  HcloudNetwork,
  HcloudNetworkSubnet,
  HcloudPlacementGroup,
  HcloudServer,
  HcloudSshKey,
  RandomBytes,
} from "../providers";
import { DEFAULT_PODMAN_DRIVER_VERSION } from "./agent-versions";
import { apiHostnameProblems, clusterApiAddresses } from "./api-hostname";
import { renderUserData } from "./cloud-init";
import { ClusterPki } from "./cluster-pki";
import { CONSUL_PORTS } from "./consul-config";
import { clusterFirewallRules, ingressFirewallRules } from "./firewall-rules";
import { createGossipKeys } from "./gossip-rotation";
import { deliverHostConfiguration, HostClusterSettings, renderAgentConfigs } from "./host-configuration";
import { shippedFile } from "./host-files";
import { addHostLifecycle, LifecycleHost } from "./host-lifecycle";
import { HostSpec, hostConstructId, planHosts } from "./host-plan";
import { DELIVERED_SCRIPTS, HOST_PATHS } from "./host-paths";
import { CLIENT_HOST_NETWORKS, NOMAD_PORTS } from "./nomad-config";
import { AgentRollout, HostAccess, oneAtATime, rolloutOrder } from "./rollout";
import { SecretsDelivery } from "./secrets-delivery";
import { remoteCommand } from "./shell";
import { SshHost, SshHostKey, sshConnection } from "./ssh-host-key";
import { ClusterShape, validateClusterShape } from "./validate";

/** An operator's SSH public key (the one line of a `.pub` file). */
export interface SshPublicKey {
  readonly name: string;
  readonly publicKey: string;
}

/** How much a cluster matters: production turns on delete/rebuild protection and refuses a single server. */
export type ClusterTier = "dev" | "lab" | "production";

export interface HetznerClusterProps {
  /** Prefix of every Hetzner resource name, e.g. the environment name "lab". */
  readonly name: string;
  /** Production turns on delete/rebuild protection and refuses a single server. @default "lab" */
  readonly tier?: ClusterTier;
  /** Nomad region. @default "global" */
  readonly region?: string;
  /** Nomad and Consul datacenter. @default "dc1" */
  readonly datacenter?: string;
  /** @default "nbg1" */
  readonly location?: string;
  /** The network zone of `location`. @default "eu-central" */
  readonly networkZone?: string;
  /** @default "debian-12" */
  readonly image?: string;
  /** The private network's range (RFC 1918). @default "10.0.0.0/16" */
  readonly networkCidr?: string;
  /** The hosts' subnet inside networkCidr; servers get .11, .12, ..., clients .101, .102, ... @default "10.0.10.0/24" */
  readonly subnetCidr?: string;
  /** Nomad and Consul servers: 3 or 5 (1 only for lab/dev). @default 3 */
  readonly serverCount?: number;
  /** @default "cx23" */
  readonly serverType?: string;
  /** Servers also run workloads, so a small cluster needs no hosts for Raft alone. @default true */
  readonly serversAreClients?: boolean;
  /** Client-only hosts beside the servers. @default 0 */
  readonly clientCount?: number;
  /** @default serverType */
  readonly clientType?: string;
  /** Only to state the intent explicitly: it must equal serverCount. @default serverCount */
  readonly bootstrapExpect?: number;
  /**
   * A DNS name with one A record per server's public address, e.g. "nomad.example.com",
   * through which the later stacks' providers, the ACL bootstrap and the CLIs reach the Nomad
   * and Consul APIs, so that deploys survive the loss of any one server (Go's dialer tries each
   * address of a name in turn). Every server's certificate carries it. Your DNS serves the
   * records (the hosts stack writes them when the name lies in the environment's Cloudflare zone).
   * @default none: the first server's public address, so every deploy fails while it is down
   */
  readonly apiHostname?: string;
  /** IPv4 CIDRs that may reach SSH and the Nomad/Consul HTTPS APIs. */
  readonly operatorCidrs: readonly string[];
  /** Keys for root logins; Terraform delivers the secrets with the matching key from ssh-agent. */
  readonly sshKeys: readonly SshPublicKey[];
  /** Pinned Nomad version, e.g. "1.10.5" (HashiCorp's apt repository). */
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
  /** Task drivers every client enables; raw_exec only when listed. @default ["docker", "exec"] */
  readonly drivers?: readonly TaskDriver[];
  /**
   * Paths linked into exec tasks' chroot (the clients' chroot_env); none may hold or lie inside the
   * agents' secrets directory, /var/lib/hashilab/secrets.
   * @default Nomad's built-in list (NOMAD_DEFAULT_CHROOT_ENV)
   */
  readonly chrootEnv?: Readonly<Record<string, string>>;
  /**
   * Something other than Terraform moves alias IPs between the servers' private network
   * attachments through the Hetzner API (keepalived's notify script, for a DNS VIP on
   * Hetzner's layer-3 network). Terraform then sets no alias IPs and leaves the attachment
   * alone after creation instead of undoing each move.
   * @default false
   */
  readonly aliasIpsMovedByApi?: boolean;
  /** Extra labels on every Hetzner resource. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Server types Hetzner offers that hashilab's dated table (HETZNER_SERVER_TYPES) does not
   * list yet: serverType and clientType may name these too. Listing each new type keeps the
   * check for typos in every other name.
   * @default none: only the table's types
   */
  readonly newServerTypes?: readonly string[];
  /**
   * Locations Hetzner offers that the dated table (HETZNER_LOCATIONS) does not list yet, each
   * with its network zone, e.g. { "abc1": "eu-central" }.
   * @default none: only the table's locations
   */
  readonly newLocations?: Readonly<Record<string, string>>;
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

/** One host: what was planned and the resources that realize it. */
export interface ClusterHost {
  readonly spec: HostSpec;
  readonly server: HcloudServer;
  /** The cloud-config (public, holds no secret). */
  readonly userData: string;
  /** Where Terraform reaches the host over SSH and the host key it pins there. */
  readonly sshHost: SshHost;
  readonly delivery: SecretsDelivery;
  /**
   * Waits for the health gate on this host after Terraform changed its server type (Hetzner powers
   * the server off for that); the next host's server waits for it, so resizes go one at a time.
   */
  readonly resizeGate: TerraformData;
}

/** Hetzner images name the public interface eth0. */
const PUBLIC_INTERFACE = "eth0";

/**
 * Where a job on one of the cluster's hosts reaches the local agents: they serve HTTPS only,
 * and their certificates carry 127.0.0.1.
 */
export const AGENTS_ON_HOST = {
  nomadAddress: `https://127.0.0.1:${NOMAD_PORTS.http}`,
  consulAddress: `https://127.0.0.1:${CONSUL_PORTS.https}`,
  caCertFile: HOST_PATHS.caCert,
} as const;

/** What the cluster's Nomad clients offer jobs: the facts synth-time job checks count on. */
export interface ClusterClients {
  /** Hosts that run the Nomad client. */
  readonly count: number;
  /** Task drivers every client enables. */
  readonly drivers: readonly TaskDriver[];
  /** Host networks every client defines (`client.host_network`). */
  readonly hostNetworks: readonly string[];
  /** Host volumes every client defines (`client.host_volume`). */
  readonly hostVolumes: readonly string[];
  /** Node pools the clients are in. */
  readonly nodePools: readonly string[];
}

/** The props that size the cluster, defaulted; the construct and clientsOf read the same defaults. */
function sizingDefaults(props: Pick<HetznerClusterProps, "serverCount" | "serverType" | "serversAreClients" | "clientCount" | "clientType" | "bootstrapExpect" | "drivers">) {
  const serverCount = props.serverCount ?? 3;
  const serverType = props.serverType ?? "cx23";
  return {
    serverCount,
    serverType,
    serversAreClients: props.serversAreClients ?? true,
    clientCount: props.clientCount ?? 0,
    clientType: props.clientType ?? serverType,
    bootstrapExpect: props.bootstrapExpect ?? serverCount,
    drivers: props.drivers ?? (["docker", "exec"] as readonly TaskDriver[]),
  };
}

/** The props with every default applied. */
type ClusterSettings = ClusterShape &
  Required<Pick<HetznerClusterProps, "region" | "datacenter" | "location" | "networkZone" | "image" | "podmanDriverVersion" | "drivers">> &
  Pick<HetznerClusterProps, "name" | "chrootEnv" | "aliasIpsMovedByApi">;

function withDefaults(props: HetznerClusterProps): ClusterSettings {
  return {
    ...props,
    ...sizingDefaults(props),
    tier: props.tier ?? "lab",
    region: props.region ?? "global",
    datacenter: props.datacenter ?? "dc1",
    location: props.location ?? "nbg1",
    networkZone: props.networkZone ?? "eu-central",
    image: props.image ?? "debian-12",
    networkCidr: props.networkCidr ?? "10.0.0.0/16",
    subnetCidr: props.subnetCidr ?? "10.0.10.0/24",
    podmanDriverVersion: props.podmanDriverVersion ?? DEFAULT_PODMAN_DRIVER_VERSION,
  };
}

/** What every host shares: the cluster-wide resources it is attached to or built from. */
interface SharedResources {
  readonly sshKeys: readonly HcloudSshKey[];
  readonly clusterFirewall: HcloudFirewall;
  readonly ingressFirewall: HcloudFirewall;
  readonly serverPlacement: HcloudPlacementGroup;
  readonly clientPlacement?: HcloudPlacementGroup;
  readonly pki: ClusterPki;
  readonly consulGossipKey: RandomBytes;
  readonly nomadGossipKey: RandomBytes;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Where a resize gate waits (hashilab-wait-healthy.sh, uploaded with it): only on a host whose
 * agents have been configured (its first delivery installed the TLS key); a new host has
 * nothing to wait for yet.
 */
const RESIZE_GATE_COMMANDS = [
  remoteCommand("trap", `rm -rf ${HOST_PATHS.rolloutUploadDir}`, "EXIT"),
  `if [ -f ${HOST_PATHS.agentKey} ]; then ${remoteCommand("bash", `${HOST_PATHS.rolloutUploadDir}/${DELIVERED_SCRIPTS.waitHealthy}`, "consul", "nomad")}; else echo 'hashilab: no agents configured yet; nothing to wait for'; fi`,
];

/**
 * A Nomad + Consul cluster on Hetzner Cloud: private network, spread placement, firewall,
 * and servers (optionally also clients) plus client-only hosts, with TLS, gossip encryption
 * and ACLs on. User-data holds no secret; keys and certificates are delivered over SSH.
 */
export class HetznerCluster extends Construct {
  /**
   * What the Nomad clients of a cluster with these props offer, before (or without) building
   * it: a pure function of the props, so other stacks can check jobs against it.
   */
  static clientsOf(props: Pick<HetznerClusterProps, "serverCount" | "serversAreClients" | "clientCount" | "drivers">): ClusterClients {
    const sizing = sizingDefaults(props);
    return {
      count: (sizing.serversAreClients ? sizing.serverCount : 0) + sizing.clientCount,
      drivers: sizing.drivers,
      hostNetworks: Object.values(CLIENT_HOST_NETWORKS),
      // The agent configuration defines no host_volume and sets no node_pool (Nomad's "default").
      hostVolumes: [],
      nodePools: ["default"],
    };
  }

  readonly network: HcloudNetwork;
  readonly subnet: HcloudNetworkSubnet;
  /** The private network's id, for resources that attach to it (alias IPs, load balancers). */
  readonly privateNetworkId: string;
  readonly subnetCidr: string;
  readonly hosts: readonly ClusterHost[];
  /** The agent upgrades (Consul on every host, then Nomad), after the deliveries. */
  readonly rollout: AgentRollout;
  /** Every host's name, role and SSH access, in rollout order: the acl stack delivers tokens by name. */
  readonly hostAccess: readonly HostAccess[];
  /** Private addresses of the servers (fixed at synth time). */
  readonly serverPrivateIps: readonly string[];
  /** Private addresses of every host, servers first (fixed at synth time). */
  readonly privateAddresses: readonly string[];
  /** Every host's Consul HTTPS API (references), e.g. to give each agent its own token. */
  readonly consulAgentAddresses: readonly string[];
  /** Where Terraform reaches each host over SSH and the host key it pins, servers first. */
  readonly sshHosts: readonly SshHost[];
  /** Public IPv4 addresses of the servers (references). */
  readonly serverPublicIps: readonly string[];
  /** Public IPv4 addresses of the hosts that run the Nomad client (references): where ingress ports listen. */
  readonly clientPublicIps: readonly string[];
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

  private readonly settings: ClusterSettings;
  /** What every host's configuration is rendered from (host-configuration.ts, shared with SshCluster). */
  private readonly hostSettings: HostClusterSettings;
  /** The hosts as the day-two steps see them (host-lifecycle.ts), filled by addHost. */
  private readonly lifecycleHosts: LifecycleHost[] = [];

  constructor(scope: Construct, id: string, props: HetznerClusterProps) {
    super(scope, id);
    const settings = withDefaults(props);
    this.settings = settings;
    const { errors, warnings } = validateClusterShape(settings);
    throwIfProblems(this, "invalid HetznerCluster", [...errors, ...apiHostnameProblems(props.apiHostname)]);
    warnings.forEach((w) => Annotations.of(this).addWarning(w));

    const production = settings.tier === "production";
    const labels = { environment: settings.name, "managed-by": "hashilab", ...props.labels };
    this.subnetCidr = settings.subnetCidr;
    this.network = new HcloudNetwork(this, "Network", {
      name: settings.name,
      ipRange: settings.networkCidr,
      labels,
      deleteProtection: production,
    });
    this.privateNetworkId = this.network.id;
    this.subnet = new HcloudNetworkSubnet(this, "Subnet", {
      networkId: Token.asNumber(this.network.id),
      type: "cloud",
      networkZone: settings.networkZone,
      ipRange: settings.subnetCidr,
    });

    const placement = (id: string, name: string) =>
      new HcloudPlacementGroup(this, id, { name: `${settings.name}-${name}`, type: "spread", labels });
    const pki = new ClusterPki(this, "Pki", { name: settings.name, caGeneration: props.caGeneration });
    const gossipKeys = createGossipKeys(this, props.gossipKeyGeneration);
    const shared: SharedResources = {
      sshKeys: settings.sshKeys.map(
        (key) =>
          new HcloudSshKey(this, `SshKey-${key.name}`, { name: `${settings.name}-${key.name}`, publicKey: escapeTerraformTemplate(key.publicKey.trim()), labels }),
      ),
      clusterFirewall: new HcloudFirewall(this, "Firewall", {
        name: `${settings.name}-cluster`,
        labels,
        rule: clusterFirewallRules(settings.operatorCidrs),
      }),
      ingressFirewall: new HcloudFirewall(this, "IngressFirewall", { name: `${settings.name}-ingress`, labels, rule: ingressFirewallRules() }),
      serverPlacement: placement("ServersPlacement", "servers"),
      clientPlacement: settings.clientCount > 0 ? placement("ClientsPlacement", "clients") : undefined,
      pki,
      ...gossipKeys,
      labels,
    };
    this.caCertPem = pki.trustedCaPem;
    this.certificateExpiries = pki.certificateExpiries;

    const specs = planHosts({ ...settings, subnet: parseCidr(settings.subnetCidr) as Ipv4Cidr });
    this.serverPrivateIps = specs.filter((s) => s.isServer).map((s) => s.privateIp);
    this.hostSettings = {
      region: settings.region,
      datacenter: settings.datacenter,
      serverIps: this.serverPrivateIps,
      bootstrapExpect: settings.bootstrapExpect,
      drivers: settings.drivers,
      subnetCidr: settings.subnetCidr,
      publicNetwork: { interface: PUBLIC_INTERFACE },
      chrootEnv: settings.chrootEnv,
      apiHostname: props.apiHostname,
    };
    this.privateAddresses = specs.map((s) => s.privateIp);
    this.hosts = specs.map((spec) => this.addHost(spec, shared));
    // Servers first, one host at a time: a delivery restarts the agents whose configuration
    // changed and fails unless the cluster is healthy again, so a bad change stops at the first host.
    const ordered = rolloutOrder(this.hosts);
    oneAtATime(ordered.map((h) => h.delivery.resource));
    // A resize powers the server off: the next host's server waits for this one's gate.
    ordered.slice(1).forEach((host, i) => addDependsOn(host.server, ordered[i].resizeGate));
    ({ rollout: this.rollout, hostAccess: this.hostAccess } = addHostLifecycle(this, {
      hosts: rolloutOrder(this.lifecycleHosts),
      pki,
      gossipKeys,
      versions: {
        consul: settings.consulVersion,
        nomad: settings.nomadVersion,
        nomadDriverPodman: settings.drivers.includes("podman") ? settings.podmanDriverVersion : undefined,
      },
      drainDeadlineMinutes: props.drainDeadlineMinutes,
      serversField: "cluster.serverCount",
    }));
    this.consulAgentAddresses = this.hosts.map((h) => `https://${h.server.ipv4Address}:${CONSUL_PORTS.https}`);
    this.sshHosts = this.hosts.map((h) => h.sshHost);

    const servers = this.hosts.filter((h) => h.spec.isServer).map((h) => h.server);
    this.serverPublicIps = servers.map((s) => s.ipv4Address);
    this.clientPublicIps = this.hosts.filter((h) => h.spec.isClient).map((h) => h.server.ipv4Address);
    this.apiHostname = props.apiHostname;
    ({ nomadAddress: this.nomadAddress, consulAddress: this.consulAddress } = clusterApiAddresses(props.apiHostname ?? servers[0].ipv4Address));
  }

  private addHost(spec: HostSpec, shared: SharedResources): ClusterHost {
    const s = this.settings;
    const production = s.tier === "production";
    const configs = renderAgentConfigs(this.hostSettings, spec);
    const userData = renderUserData({
      ...spec,
      nomadConfig: configs.nomad,
      consulConfig: configs.consul,
      nomadVersion: s.nomadVersion,
      consulVersion: s.consulVersion,
      podmanDriverVersion: s.podmanDriverVersion,
      drivers: s.drivers,
    });
    const placementGroup = spec.isServer ? shared.serverPlacement : shared.clientPlacement;
    const server = new HcloudServer(this, hostConstructId(spec), {
      name: spec.name,
      serverType: spec.serverType,
      image: s.image,
      location: s.location,
      sshKeys: shared.sshKeys.map((key) => key.id),
      // User-data is a plain string (no references): escape Terraform's template syntax.
      userData: escapeTerraformTemplate(userData),
      labels: { ...shared.labels, role: spec.isServer ? (spec.isClient ? "server-client" : "server") : "client" },
      publicNet: [{ ipv4Enabled: true, ipv6Enabled: true }],
      network: [
        {
          networkId: Token.asNumber(this.network.id),
          ip: spec.privateIp,
          aliasIps: s.aliasIpsMovedByApi ? undefined : [],
        },
      ],
      firewallIds: [shared.clusterFirewall, ...(spec.isClient ? [shared.ingressFirewall] : [])].map((fw) => Token.asNumber(fw.id)),
      placementGroupId: placementGroup ? Token.asNumber(placementGroup.id) : undefined,
      deleteProtection: production,
      rebuildProtection: production,
      // Hetzner attaches the server to the network only once the subnet exists.
      dependsOn: [this.subnet],
      lifecycle: {
        // Both would force a new server, losing its Raft data: the agent configuration
        // reaches running hosts by the SSH delivery, and so do versions (hashilab-upgrade-agents.sh).
        ignoreChanges: ["user_data", "ssh_keys", ...(s.aliasIpsMovedByApi ? ["network"] : [])],
      },
    });
    const hostKey = new SshHostKey(this, hostConstructId(spec, "SshHostKey"), { address: server.ipv4Address, serverId: server.id });
    const delivery = deliverHostConfiguration(this, {
      cluster: this.hostSettings,
      host: spec,
      secrets: shared,
      sshHost: hostKey.sshHost,
      certificateAddresses: [server.ipv4Address],
      instanceId: server.id,
      after: [hostKey.install],
      // A re-run first contact (a rebuilt disk) re-delivers everything the disk lost.
      triggers: { host_key_install: hostKey.install.id },
    });
    const resizeGate = new TerraformData(this, hostConstructId(spec, "ResizeGate"), {
      // Replaced, and so run, after each change of the server type (which powers the server off).
      triggersReplace: { server_type: server.serverType },
      dependsOn: [hostKey.install],
      connection: sshConnection(hostKey.sshHost),
      provisioners: [
        { type: "remote-exec", inline: [remoteCommand("install", "-d", "-m", "0700", HOST_PATHS.rolloutUploadDir)] },
        {
          type: "file",
          content: escapeTerraformTemplate(shippedFile(DELIVERED_SCRIPTS.waitHealthy)),
          destination: `${HOST_PATHS.rolloutUploadDir}/${DELIVERED_SCRIPTS.waitHealthy}`,
        },
        { type: "remote-exec", inline: RESIZE_GATE_COMMANDS },
      ],
    });
    this.lifecycleHosts.push({ spec, sshHost: hostKey.sshHost, delivery, instanceId: server.id, connectAfter: [hostKey.install] });
    return { spec, server, userData, sshHost: hostKey.sshHost, delivery, resizeGate };
  }
}
