/**
 * Where things live on a host. The agents use their own config directories (not the
 * packages' /etc/nomad.d and /etc/consul.d, whose default files would merge into ours).
 */
export const HOST_PATHS = {
  nomadConfigDir: "/etc/hashilab/nomad.d",
  consulConfigDir: "/etc/hashilab/consul.d",
  /**
   * Public TLS files only (the CA and this host's certificate): the directory is 0755 and the
   * files 0644, so jobs that call the local APIs (the exec driver runs them as nobody) can read the CA.
   */
  tlsDir: "/etc/hashilab/tls",
  caCert: "/etc/hashilab/tls/ca.pem",
  agentCert: "/etc/hashilab/tls/agent.pem",
  /**
   * Every secret lives here, delivered over SSH, never in user-data. Not under /etc: Nomad's
   * exec driver links /etc into every task's chroot by default (see NOMAD_DEFAULT_CHROOT_ENV).
   */
  secretsDir: "/var/lib/hashilab/secrets",
  /**
   * Where Terraform writes its remote-exec scripts: root's home (0700), not /tmp, where the
   * file it chmods 0777 could be rewritten by another local user before root runs it.
   */
  terraformScript: "/root/terraform_%RAND%.sh",
  /** The agents a failed delivery still has to restart (the install script's memory across runs). */
  pendingRestart: "/var/lib/hashilab/pending-restart",
  secretTlsDir: "/var/lib/hashilab/secrets/tls",
  agentKey: "/var/lib/hashilab/secrets/tls/agent-key.pem",
  /** The SSH host key Terraform generated and pins (SshHostKey); sshd offers only this one. */
  sshHostKeyDir: "/var/lib/hashilab/secrets/ssh",
  sshHostKey: "/var/lib/hashilab/secrets/ssh/ssh_host_ed25519_key",
  /** Config directories the agents load beside their public ones, for the settings that are secret. */
  consulSecretConfigDir: "/var/lib/hashilab/secrets/consul.d",
  nomadSecretConfigDir: "/var/lib/hashilab/secrets/nomad.d",
  /** The gossip keys (Nomad's on servers only). */
  consulGossipConfig: "/var/lib/hashilab/secrets/consul.d/gossip.hcl",
  nomadGossipConfig: "/var/lib/hashilab/secrets/nomad.d/gossip.hcl",
  /** The Nomad agents' Consul token, written by the ACL stack (NomadConsulTokenDelivery). */
  nomadConsulTokenConfig: "/var/lib/hashilab/secrets/nomad.d/consul-token.hcl",
  /**
   * The health gate's operator:read tokens (the ACL stack's HealthGateTokenDelivery), which
   * hashilab-wait-healthy.sh reads to ask autopilot; root only (0700 directory, 0600 files).
   */
  healthGateTokenDir: "/var/lib/hashilab/secrets/gate",
  healthGateConsulToken: "/var/lib/hashilab/secrets/gate/consul-token",
  healthGateNomadToken: "/var/lib/hashilab/secrets/gate/nomad-token",
  /**
   * The rollout's tokens on server hosts only (Nomad operator:write + node:write, Consul
   * operator:write), with which a rollout transfers leadership, drains clients and removes
   * Raft peers; root only. A server host's root already holds the Raft state, every token's
   * secret included, so these give it nothing it lacks; client hosts never get them.
   */
  rolloutTokenDir: "/var/lib/hashilab/secrets/rollout",
  rolloutConsulToken: "/var/lib/hashilab/secrets/rollout/consul-token",
  rolloutNomadToken: "/var/lib/hashilab/secrets/rollout/nomad-token",
  /** On the first server: the Nomad clients the rollout drained, made eligible again after their upgrade. */
  rolloutDrained: "/var/lib/hashilab/rollout-drained",
  nomadAgentConfig: "/etc/hashilab/nomad.d/agent.hcl",
  consulAgentConfig: "/etc/hashilab/consul.d/agent.hcl",
  nomadDataDir: "/opt/nomad/data",
  /**
   * Nomad's alloc dir (its default, <data_dir>/alloc), on clients a filesystem of its own: a
   * loop-mounted ext4 image, so exec chroots are copies of host files, not hard links.
   */
  nomadAllocDir: "/opt/nomad/data/alloc",
  nomadAllocImage: "/var/lib/hashilab/nomad-alloc.ext4",
  /** systemd names a mount unit after its mount point (systemd-escape --path). */
  nomadAllocMountUnit: "/etc/systemd/system/opt-nomad-data-alloc.mount",
  nomadAllocImageUnit: "/etc/systemd/system/hashilab-nomad-alloc-image.service",
  nomadAllocImageScript: "/usr/local/sbin/hashilab-nomad-alloc-image",
  /** The nomad-driver-podman package links its binary into <data_dir>/plugins. */
  nomadPluginDir: "/opt/nomad/data/plugins",
  consulDataDir: "/opt/consul",
  /** Debian's containernetworking-plugins package. */
  cniPath: "/usr/lib/cni",
  /** Where Terraform uploads a delivery before the install script moves it into place (tmpfs). */
  deliveryDir: "/run/hashilab-delivery",
  /** Where the SSH host key waits between upload and install (tmpfs). */
  sshHostKeyUploadDir: "/run/hashilab-host-key",
  /** Where the Nomad agents' Consul token waits between upload and install (tmpfs). */
  nomadTokenUploadDir: "/run/hashilab-nomad-token",
  /** Where the rollout's pinned versions (and a resize gate's health gate) are uploaded for a step (tmpfs, no secret). */
  rolloutUploadDir: "/run/hashilab-rollout",
  /**
   * Where each delivery installs the rollout's scripts (hashilab-rollout.sh beside the health gate
   * and the upgrade script it runs), so the rollout's steps, which come after the deliveries, run
   * the current ones without uploading them again.
   */
  rolloutScriptsDir: "/usr/local/lib/hashilab",
  /** Where the rollout's tokens wait between upload and install (tmpfs). */
  rolloutTokenUploadDir: "/run/hashilab-rollout-tokens",
  /** Where the health gate's tokens wait between upload and install (tmpfs). */
  healthGateTokenUploadDir: "/run/hashilab-gate-tokens",
  consulUnit: "/etc/systemd/system/consul.service",
  nomadUnit: "/etc/systemd/system/nomad.service",
  bootstrapScript: "/usr/local/sbin/hashilab-bootstrap",
  /** The agents' ExecStartPre: waits for the private address (delivered, hashilab-wait-address.sh). */
  waitAddressScript: "/usr/local/sbin/hashilab-wait-address",
  metadataFirewall: "/etc/hashilab/metadata-block.nft",
} as const;

/** Directories that hold secrets, even briefly: no exec task's chroot may include them. */
export const SECRET_DIRS: readonly string[] = [
  HOST_PATHS.secretsDir,
  HOST_PATHS.deliveryDir,
  HOST_PATHS.nomadTokenUploadDir,
  HOST_PATHS.healthGateTokenUploadDir,
  HOST_PATHS.rolloutTokenUploadDir,
  HOST_PATHS.sshHostKeyUploadDir,
];

/**
 * Where hosts set up before the secrets moved out of /etc kept them; the install script
 * moves the Nomad agents' Consul token on and deletes the rest (redelivered at once).
 */
export const LEGACY_SECRET_PATHS = {
  agentKey: "/etc/hashilab/tls/agent-key.pem",
  consulGossipConfig: "/etc/hashilab/consul.d/gossip.hcl",
  nomadGossipConfig: "/etc/hashilab/nomad.d/gossip.hcl",
  nomadConsulTokenConfig: "/etc/hashilab/nomad.d/consul-token.hcl",
} as const;

/** Whether `path` is `dir` or lies beneath it ("/" holds everything). */
export function isWithinPath(path: string, dir: string): boolean {
  const trimmed = dir.replace(/\/+$/, "");
  return trimmed === "" || path === trimmed || path.startsWith(`${trimmed}/`);
}

/** Files a delivery uploads, by their name in the delivery directory. */
export const DELIVERED_FILES = {
  caCert: "ca.pem",
  agentCert: "agent.pem",
  agentKey: "agent-key.pem",
  consulGossip: "consul-gossip.hcl",
  nomadGossip: "nomad-gossip.hcl",
  nomadAgentConfig: "nomad-agent.hcl",
  consulAgentConfig: "consul-agent.hcl",
  consulUnit: "consul.service",
  nomadUnit: "nomad.service",
  /** The workload firewall (metadata service, agents' ports), so rule changes reach running hosts. */
  firewall: "metadata-block.nft",
  /** Clients: the alloc dir's filesystem (see HOST_PATHS.nomadAllocDir). */
  allocImageUnit: "hashilab-nomad-alloc-image.service",
  allocMountUnit: "opt-nomad-data-alloc.mount",
} as const;

/** The scripts a delivery runs, uploaded with it so that running hosts always run the current ones. */
export const DELIVERED_SCRIPTS = {
  install: "hashilab-install-secrets.sh",
  /** The gate between hosts: waits until the (re)started agents' cluster is healthy (leaders agree, every server a peer). */
  waitHealthy: "hashilab-wait-healthy.sh",
  /** Installed as HOST_PATHS.waitAddressScript, which the agents' units run before starting. */
  waitAddress: "hashilab-wait-address.sh",
  /** Installed as HOST_PATHS.nomadAllocImageScript, run by the alloc image unit. */
  allocImage: "hashilab-nomad-alloc-image.sh",
  /** Installs the pinned agent versions on a running host (the rollout's upgrade step runs it). */
  upgradeAgents: "hashilab-upgrade-agents.sh",
  /** The rollout's steps: leader transfer before a server restarts, agent upgrades, client drains (rollout.ts). */
  rollout: "hashilab-rollout.sh",
} as const;
