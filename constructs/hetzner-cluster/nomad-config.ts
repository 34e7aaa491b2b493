import { CONSUL_WORKLOAD_AUDIENCE, TaskDriver } from "../cluster-facts";
import { attr, block, formatHcl, HclBodyItem, present } from "../core";
import { AgentHostSettings, hostCertificateFiles } from "./agent-config";
import { CONSUL_PORTS } from "./consul-config";
import { HOST_PATHS, isWithinPath, SECRET_DIRS } from "./host-paths";

/** Ports Nomad uses (DESIGN.md "Ports"). */
export const NOMAD_PORTS = { http: 4646, rpc: 4647 } as const;

/**
 * The host paths Nomad links into every exec (and java) task's chroot when the client sets no
 * `chroot_env` (DefaultChrootEnv in Nomad's client/config/config.go). A `chroot_env` replaces
 * this list rather than adding to it.
 */
export const NOMAD_DEFAULT_CHROOT_ENV: Readonly<Record<string, string>> = {
  "/bin": "/bin",
  "/etc": "/etc",
  "/lib": "/lib",
  "/lib32": "/lib32",
  "/lib64": "/lib64",
  "/run/resolvconf": "/run/resolvconf",
  "/run/systemd/resolve": "/run/systemd/resolve",
  "/sbin": "/sbin",
  "/usr": "/usr",
};

/** What is wrong with a client's chroot_env: no path linked into exec tasks may hold or lie inside a secrets directory. */
export function chrootEnvProblems(chrootEnv: Readonly<Record<string, string>> | undefined): string[] {
  return Object.keys(chrootEnv ?? {}).flatMap((hostPath) => {
    const exposed = SECRET_DIRS.filter((dir) => isWithinPath(dir, hostPath) || isWithinPath(hostPath, dir));
    return exposed.length === 0
      ? []
      : [`chrootEnv links "${hostPath}" into every exec task, which would expose the agents' secrets in ${exposed.join(", ")}; link narrower paths that leave them out`];
  });
}

/**
 * The host networks every client defines (`client.host_network`): "private" on the private
 * subnet, "public" on the public interface. Jobs bind ports to one by these names.
 */
export const CLIENT_HOST_NETWORKS = { private: "private", public: "public" } as const;

export interface NomadClientSettings {
  /** Task drivers the client fingerprints; everything else is switched off. */
  readonly drivers: readonly TaskDriver[];
  /** The private subnet: host network "private" and the interface services advertise on. */
  readonly privateCidr: string;
  /**
   * Where host network "public" (the ingress ports) is: the interface holding the public
   * address (Hetzner images: eth0), or, on a LAN whose hosts have one network, its CIDR.
   */
  readonly publicNetwork: { readonly interface: string } | { readonly cidr: string };
  /** Paths linked into exec tasks' chroot (the client's chroot_env). @default NOMAD_DEFAULT_CHROOT_ENV (Nomad's built-in list) */
  readonly chrootEnv?: Readonly<Record<string, string>>;
}

export interface NomadAgentSettings extends AgentHostSettings {
  readonly region: string;
  /** Present on hosts that run workloads. @default absent: the host runs no workloads */
  readonly client?: NomadClientSettings;
  /** TTL of the workload identities Nomad signs for Consul. @default "1h" */
  readonly consulIdentityTtl?: string;
}

function tlsBlock() {
  return block("tls", [], [
    attr("http", true),
    attr("rpc", true),
    ...hostCertificateFiles(),
    attr("verify_server_hostname", true),
    // Operators and Terraform authenticate to the HTTP API with ACL tokens, not client certificates.
    attr("verify_https_client", false),
  ]);
}

function consulBlock(ttl: string) {
  const identity = (name: string) => block(name, [], [attr("aud", [CONSUL_WORKLOAD_AUDIENCE]), attr("ttl", ttl)]);
  return block("consul", [], [
    attr("address", `127.0.0.1:${CONSUL_PORTS.https}`),
    attr("ssl", true),
    attr("ca_file", HOST_PATHS.caCert),
    attr("grpc_address", `127.0.0.1:${CONSUL_PORTS.grpcTls}`),
    attr("grpc_ca_file", HOST_PATHS.caCert),
    // Workload identity: tasks and services log in to Consul with JWTs Nomad signs.
    identity("service_identity"),
    identity("task_identity"),
  ]);
}

function serverBlock(settings: NomadAgentSettings) {
  if (!settings.server) return undefined;
  return block("server", [], [
    attr("enabled", true),
    attr("bootstrap_expect", settings.server.bootstrapExpect),
    block("server_join", [], [attr("retry_join", settings.serverIps)]),
  ]);
}

function clientBlock(settings: NomadAgentSettings, client: NomadClientSettings) {
  return block("client", [], [
    attr("enabled", true),
    block("server_join", [], [attr("retry_join", settings.serverIps.map((ip) => `${ip}:${NOMAD_PORTS.rpc}`))]),
    // Fingerprint (and advertise services on) the private interface, not the default route's.
    attr("network_interface", `{{ GetAllInterfaces | include "network" "${client.privateCidr}" | attr "name" }}`),
    attr("cni_path", HOST_PATHS.cniPath),
    block("host_network", [CLIENT_HOST_NETWORKS.private], [attr("cidr", client.privateCidr)]),
    block("host_network", [CLIENT_HOST_NETWORKS.public], [
      "interface" in client.publicNetwork ? attr("interface", client.publicNetwork.interface) : attr("cidr", client.publicNetwork.cidr),
    ]),
    client.chrootEnv ? attr("chroot_env", client.chrootEnv) : undefined,
    attr("options", { "driver.allowlist": [...client.drivers].sort().join(",") }),
  ]);
}

function driverPlugins(client: NomadClientSettings | undefined): HclBodyItem[] {
  if (!client) return [];
  const drivers = new Set(client.drivers);
  return [
    drivers.has("docker")
      ? block("plugin", ["docker"], [
          block("config", [], [
            // Volumes stay off (the default): only paths inside the alloc dir, symlinks
            // resolved since Nomad 2.0.4 (CVE-2026-14896); host PID/IPC/UTS/user namespaces
            // need allow_privileged or allowed_modes since 2.0.4 (CVE-2026-14891).
            attr("allow_privileged", false),
            block("volumes", [], [attr("enabled", false)]),
            attr("extra_labels", ["job_name", "namespace", "task_group_name", "task_name"]),
          ]),
        ])
      : undefined,
    // nomad-driver-podman 0.6 mounts any host path unless volumes are off (its config.go
    // defaults `volumes.enabled` to true) and has no allow_privileged; namespaces restrict who
    // may use it at all (taskDrivers), and this keeps even those jobs inside their alloc dir.
    drivers.has("podman")
      ? block("plugin", ["nomad-driver-podman"], [
          block("config", [], [attr("socket_path", "unix:///run/podman/podman.sock"), block("volumes", [], [attr("enabled", false)])]),
        ])
      : undefined,
    // exec tasks run as nobody but keep Nomad's default capabilities (DAC_OVERRIDE, FOWNER,
    // SETUID, KILL, ...: drivers/shared/capabilities/defaults.go); the effective set is the
    // defaults intersected with allow_caps (capabilities.Calculate), so none at all.
    drivers.has("exec") ? block("plugin", ["exec"], [block("config", [], [attr("allow_caps", [])])]) : undefined,
    // raw_exec runs tasks as root without cgroups or chroot: only where the environment asks for it.
    drivers.has("raw_exec") ? block("plugin", ["raw_exec"], [block("config", [], [attr("enabled", true)])]) : undefined,
  ];
}

/** The agent configuration of one host (agent.hcl). Holds no secret: gossip keys are a separate, delivered file. */
export function renderNomadAgentConfig(settings: NomadAgentSettings): string {
  const ip = settings.privateIp;
  return formatHcl(present([
    attr("region", settings.region),
    attr("datacenter", settings.datacenter),
    attr("name", settings.nodeName),
    attr("data_dir", HOST_PATHS.nomadDataDir),
    attr("plugin_dir", HOST_PATHS.nomadPluginDir),
    attr("bind_addr", "0.0.0.0"),
    // RPC and Serf only on the private network; the HTTPS API also on the public address
    // (the Hetzner firewall admits only the operator's CIDRs there).
    block("addresses", [], [attr("http", "0.0.0.0"), attr("rpc", ip), attr("serf", ip)]),
    block("advertise", [], [attr("http", ip), attr("rpc", ip), attr("serf", ip)]),
    serverBlock(settings),
    settings.client ? clientBlock(settings, settings.client) : undefined,
    block("acl", [], [attr("enabled", true)]),
    tlsBlock(),
    consulBlock(settings.consulIdentityTtl ?? "1h"),
    settings.server ? block("ui", [], [attr("enabled", true)]) : undefined,
    ...driverPlugins(settings.client),
  ]));
}

/**
 * The servers' gossip encryption file. `key` is a Terraform reference to the generated key,
 * so the synthesized JSON holds `${random_bytes...}`, never the key; the file is delivered
 * over SSH. Nomad persists the key in its keyring on first start (rotation: docs/operations.md).
 */
export function renderNomadGossipConfig(key: string): string {
  return formatHcl([block("server", [], [attr("encrypt", key)])]);
}
