import { CSI_NAMESPACE_CONFIG, STANDARD_NAMESPACES } from "./namespaces";
import { EnvironmentConfig } from "./types";

/**
 * The example Hetzner environment: three combined server+client hosts on a private
 * network. Edit the operator CIDRs, SSH keys and domain before the first deploy.
 * Credentials are not here: see README "Deploy".
 */
export const lab: EnvironmentConfig = {
  name: "lab",
  tier: "lab",
  region: "global",
  datacenter: "lab01",
  domain: "lab.example.com",
  // csi: Hetzner Cloud Volumes for apps' data (docs/storage.md).
  namespaces: [...STANDARD_NAMESPACES, CSI_NAMESPACE_CONFIG],
  anonymousAccess: "deny",
  cluster: {
    kind: "hetzner",
    location: "nbg1",
    networkZone: "eu-central",
    image: "debian-12",
    networkCidr: "10.0.0.0/16",
    subnetCidr: "10.0.10.0/24",
    // Three combined hosts: each runs a Nomad and Consul server and a Nomad client.
    serverCount: 3,
    serverType: "cx23",
    serversAreClients: true,
    // 198.51.100.0/24 is a documentation range: replace it with your own address.
    operatorCidrs: ["198.51.100.7/32"],
    sshKeys: [
      {
        name: "operator",
        publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKBn0Jv4/LO496vXGweYpXFyRLuAcHNM3Nh3GvKf1/c0 operator@example",
      },
    ],
    nomadVersion: "2.0.5",
    consulVersion: "1.21.5",
    // podman for keepalived (the DNS VIP), which needs capabilities docker does not grant.
    drivers: ["docker", "podman", "exec"],
  },
  dns: {
    // Hetzner's network is layer 3: keepalived moves the VIP as an alias IP through the API.
    mode: "hetzner",
    // Inside subnetCidr, clear of the hosts (servers .11+, clients .101+).
    vip: "10.0.10.53",
    // Hetzner's recursive resolvers, for names outside the lab domain.
    upstreams: ["185.12.64.1", "185.12.64.2"],
  },
  state: { kind: "local" },
  // Certificates for public hostnames. Staging first (untrusted, generous rate limits); set
  // staging: false once a staging certificate arrived. Put your own address here.
  acme: { email: "ops@example.com", staging: true },
  apps: {
    itTools: {},
    gitea: { hostname: "git.lab.example.com" },
  },
  // Create the bucket (private) in Hetzner Object Storage first; keys: TF_VAR_snapshots_s3_*.
  snapshots: {
    bucket: "hashilab-lab-snapshots",
    endpoint: "https://nbg1.your-objectstorage.com",
    region: "nbg1",
    retention: 14,
    // Snapshots are encrypted to this public key (age-keygen; put your own here): its private
    // half stays offline and is what a restore needs.
    ageRecipient: "age1yycktwz7yr4tdck8f9pk4a5u0cqw6272v05fxt03a4la4d46gvmselq4rm",
    schedule: "0 3 * * *",
  },
  // Apps' volumes are backed up here with restic (docs/storage.md); keys: TF_VAR_backups_*.
  backups: { bucket: "hashilab-lab-backups", endpoint: "https://nbg1.your-objectstorage.com" },
};
