/**
 * Where things live on a host. The agents use their own config directories (not the
 * packages' /etc/nomad.d and /etc/consul.d, whose default files would merge into ours).
 */
export const HOST_PATHS = {
  nomadConfigDir: "/etc/hashilab/nomad.d",
  consulConfigDir: "/etc/hashilab/consul.d",
  /** Delivered over SSH, never in user-data. */
  tlsDir: "/etc/hashilab/tls",
  caCert: "/etc/hashilab/tls/ca.pem",
  agentCert: "/etc/hashilab/tls/agent.pem",
  agentKey: "/etc/hashilab/tls/agent-key.pem",
  /** Delivered over SSH: the gossip keys. */
  nomadGossipConfig: "/etc/hashilab/nomad.d/gossip.hcl",
  consulGossipConfig: "/etc/hashilab/consul.d/gossip.hcl",
  nomadAgentConfig: "/etc/hashilab/nomad.d/agent.hcl",
  consulAgentConfig: "/etc/hashilab/consul.d/agent.hcl",
  nomadDataDir: "/opt/nomad/data",
  /** The nomad-driver-podman package links its binary into <data_dir>/plugins. */
  nomadPluginDir: "/opt/nomad/data/plugins",
  consulDataDir: "/opt/consul",
  /** Debian's containernetworking-plugins package. */
  cniPath: "/usr/lib/cni",
  /** Where Terraform uploads a delivery before the install script moves it into place (tmpfs). */
  deliveryDir: "/run/hashilab-delivery",
  installSecretsScript: "/usr/local/sbin/hashilab-install-secrets",
  bootstrapScript: "/usr/local/sbin/hashilab-bootstrap",
  metadataFirewall: "/etc/hashilab/metadata-block.nft",
} as const;

/** Files a delivery uploads, by their name in the delivery directory. */
export const DELIVERED_FILES = {
  caCert: "ca.pem",
  agentCert: "agent.pem",
  agentKey: "agent-key.pem",
  consulGossip: "consul-gossip.hcl",
  nomadGossip: "nomad-gossip.hcl",
  nomadAgentConfig: "nomad-agent.hcl",
  consulAgentConfig: "consul-agent.hcl",
} as const;
