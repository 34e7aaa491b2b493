import {
  clusterClients,
  dev,
  dnsVipProps,
  EnvironmentConfig,
  hetznerClusterProps,
  ingressProps,
  lab,
  namespaceProblems,
  raftSnapshotsProps,
  stateBackend,
  workloadNamespaces,
} from "../environments";

if (lab.cluster.kind !== "hetzner") throw new Error("lab is a Hetzner environment");
const labCluster = lab.cluster;
const withCluster = (changes: Partial<typeof labCluster>): EnvironmentConfig => ({ ...lab, cluster: { ...labCluster, ...changes } });

describe("clusterClients: what jobs are checked against, from the host pools", () => {
  it("counts the lab's three combined hosts, with their drivers and the private and public host networks", () => {
    expect(clusterClients(lab)).toEqual({ count: 3, drivers: ["docker", "podman", "exec"], hostNetworks: ["private", "public"], hostVolumes: [], nodePools: ["default"] });
  });

  it("follows the server count when servers are clients, and adds client-only hosts", () => {
    expect(clusterClients(withCluster({ serverCount: 5 })).count).toBe(5);
    expect(clusterClients(withCluster({ serverCount: 3, clientCount: 2 })).count).toBe(5);
    expect(clusterClients(withCluster({ serversAreClients: false, clientCount: 2 })).count).toBe(2);
  });

  it("takes HetznerCluster's default drivers when the environment names none", () => {
    expect(clusterClients(withCluster({ drivers: undefined })).drivers).toEqual(["docker", "exec"]);
  });

  it("is the one dev agent, with the drivers `nomad agent -dev` enables and no host networks", () => {
    expect(clusterClients(dev)).toEqual({ count: 1, drivers: ["docker", "exec", "raw_exec"], hostNetworks: [], hostVolumes: [], nodePools: ["default"] });
  });
});

describe("hetznerClusterProps", () => {
  it("names the cluster after the environment and lets keepalived move alias IPs only in the hetzner DNS mode", () => {
    const props = hetznerClusterProps(lab, labCluster);
    expect(props).toMatchObject({ name: "lab", tier: "lab", region: lab.region, datacenter: lab.datacenter, aliasIpsMovedByApi: true });
    expect(props).not.toHaveProperty("kind");
    expect(hetznerClusterProps({ ...lab, dns: { ...lab.dns, mode: "lan" } }, labCluster).aliasIpsMovedByApi).toBe(false);
  });
});

describe("workloadNamespaces", () => {
  it("leaves out the infrastructure and management-only namespaces: DNS and Traefik serve the rest", () => {
    expect(workloadNamespaces(lab)).toEqual(["default", "lab", "public", "dev"]);
  });
});

describe("dnsVipProps", () => {
  it("runs one CoreDNS per client, at most 3, on the private host network", () => {
    expect(dnsVipProps(lab)).toMatchObject({ instances: 3, driver: "podman", hostNetwork: "private", namespace: "dns" });
    expect(dnsVipProps(withCluster({ serverCount: 5 })).instances).toBe(3);
    expect(dnsVipProps(withCluster({ serverCount: 1 })).instances).toBe(1);
  });

  it("runs a single CoreDNS with docker on a dev agent without podman, and keeps an instance count the environment sets", () => {
    expect(dnsVipProps(dev)).toMatchObject({ instances: 1, driver: "docker", hostNetwork: undefined, subnetCidr: undefined });
    expect(dnsVipProps({ ...lab, dns: { ...lab.dns, instances: 2 } }).instances).toBe(2);
  });

  it("takes the VIP's subnet and the addresses it must avoid from the hosts stack's cluster", () => {
    const cluster = { privateNetworkId: "1", subnetCidr: "10.0.10.0/24", privateAddresses: ["10.0.10.11"], clientPublicIps: [], consulAgentAddresses: [], sshHosts: [] };
    expect(dnsVipProps(lab, cluster)).toMatchObject({ subnetCidr: "10.0.10.0/24", hostAddresses: ["10.0.10.11"], hetzner: undefined });
  });
});

describe("ingressProps", () => {
  it("runs Traefik on every client, isolating the developer namespace, the dashboard on the private network", () => {
    expect(ingressProps(withCluster({ serverCount: 5 }))).toMatchObject({
      instances: 5,
      namespace: "ingress",
      isolatedNamespaces: ["dev"],
      hostNetwork: "public",
      dashboardHostNetwork: "private",
      dashboardAllowedCidrs: labCluster.operatorCidrs,
    });
  });
});

describe("raftSnapshotsProps", () => {
  const keys = { s3AccessKeyId: "${var.a}", s3SecretAccessKey: "${var.b}" };

  it("reaches a Hetzner host's own agents over HTTPS on loopback, verified with the cluster CA", () => {
    expect(raftSnapshotsProps(lab, lab.snapshots!, keys)).toMatchObject({
      nomadAddress: "https://127.0.0.1:4646",
      consulAddress: "https://127.0.0.1:8501",
      caCertFile: "/etc/hashilab/tls/ca.pem",
      prefix: "lab/",
    });
  });

  it("reaches dev agents at the environment's addresses", () => {
    const props = raftSnapshotsProps(dev, lab.snapshots!, keys);
    expect(props).toMatchObject({ nomadAddress: "http://127.0.0.1:4646", consulAddress: "http://127.0.0.1:8500", prefix: "dev/" });
    expect(props.caCertFile).toBeUndefined();
  });
});

describe("stateBackend", () => {
  it("keeps each stack's state in the project's state folder, at a path without the working directory", () => {
    expect(stateBackend(lab, "lab-hosts")).toEqual({ local: { path: "../../../state/lab-hosts.tfstate" } });
  });

  it("keys each stack's state by prefix and stack name in an S3-compatible bucket, skipping AWS-only checks", () => {
    const env: EnvironmentConfig = { ...lab, state: { kind: "s3", bucket: "tf", endpoint: "https://fsn1.your-objectstorage.com" } };
    expect(stateBackend(env, "lab-acl")).toEqual({
      s3: expect.objectContaining({ bucket: "tf", key: "hashilab/lab-acl.tfstate", region: "us-east-1", usePathStyle: true, skipS3Checksum: true }),
    });
  });
});

describe("namespaceProblems", () => {
  it("fails on a name Nomad refuses and on an allowance without meaning, each named", () => {
    const env: EnvironmentConfig = {
      ...lab,
      namespaces: [...lab.namespaces, { name: "team_a", description: "x" }, { name: "empty", description: "x", taskDrivers: [] }],
    };
    const problems = namespaceProblems(env);
    expect(problems).toEqual([
      'namespaces "team_a": is not a Nomad namespace name: use 1-128 letters, digits and dashes',
      expect.stringMatching(/^namespaces "empty": /),
    ]);
    expect(namespaceProblems(lab)).toEqual([]);
  });
});
