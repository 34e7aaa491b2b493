import { App, TerraformStack } from "cdktf";
import { SshCluster, SshClusterProps } from "../constructs/ssh-cluster";
import { home, sshClusterProps } from "../environments";
import { resourcesOf, synthEnvironment } from "./support/synth";

if (home.cluster.kind !== "ssh") throw new Error("home is a LAN (ssh) environment");
const VALID: SshClusterProps = { ...sshClusterProps(home, home.cluster), name: "test" };
const [node1, node2, node3] = VALID.hosts;

/** An SshCluster with id "Cluster" in a stack "test" (not synthesized). */
function build(overrides: Partial<SshClusterProps> = {}): SshCluster {
  return new SshCluster(new TerraformStack(new App(), "test"), "Cluster", { ...VALID, ...overrides });
}

/** Expects the props to fail synth with the construct's path and `pattern`. */
function expectInvalid(overrides: Partial<SshClusterProps>, pattern: RegExp): void {
  expect(() => build(overrides)).toThrow(/^test\/Cluster: invalid SshCluster:/);
  expect(() => build(overrides)).toThrow(pattern);
}

const warningsOf = (cluster: SshCluster) => cluster.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));

describe("the home environment's hosts stack", () => {
  const stacks = synthEnvironment(home);
  const hostsStack = stacks["home-hosts"];
  const data = resourcesOf(hostsStack, "terraform_data");
  const byPath = Object.fromEntries(Object.values<any>(data).map((r) => [r["//"].metadata.path.replace("home-hosts/Cluster/", ""), r]));
  const address = (path: string) => `terraform_data.${Object.keys(data).find((k) => data[k] === byPath[path])}`;

  it("synthesizes hosts, acl, platform and workloads stacks, with no cloud resources", () => {
    expect(Object.keys(stacks).sort()).toEqual(["home-acl", "home-hosts", "home-platform", "home-workloads"]);
    expect(Object.keys(hostsStack.resource).sort()).toEqual(["random_bytes", "terraform_data", "tls_cert_request", "tls_locally_signed_cert", "tls_private_key", "tls_self_signed_cert"]);
    expect(hostsStack.provider.hcloud).toBeUndefined();
  });

  it("installs and configures one host at a time, each after the previous host's agents answered", () => {
    expect(byPath["HostInstall-node1/Install"].depends_on).toBeUndefined();
    expect(byPath["HostSecrets-node1/Delivery"].depends_on).toEqual([address("HostInstall-node1/Install")]);
    expect(byPath["HostInstall-node2/Install"].depends_on).toEqual([address("HostSecrets-node1/Delivery")]);
    expect(byPath["HostSecrets-node2/Delivery"].depends_on).toEqual([address("HostInstall-node2/Install")]);
    expect(byPath["HostInstall-node3/Install"].depends_on).toEqual([address("HostSecrets-node2/Delivery")]);
  });

  it("connects as root to each host's address and pins its host key (no trust on first use)", () => {
    for (const host of [node1, node2, node3]) {
      for (const part of ["HostInstall", "HostSecrets"]) {
        const resource = byPath[`${part}-${host.name}/${part === "HostInstall" ? "Install" : "Delivery"}`];
        // The key's type and data; its comment ("root@node1") is left out.
        const pinned = host.hostKey.split(" ").slice(0, 2).join(" ");
        expect(resource.connection).toMatchObject({ type: "ssh", user: "root", host: host.address, host_key: pinned, agent: "true" });
        expect(resource.connection.script_path).toBe("/root/terraform_%RAND%.sh");
      }
    }
  });

  it("reinstalls a host whose pinned host key changed (a wiped machine), and then delivers to it again", () => {
    const install = byPath["HostInstall-node1/Install"];
    expect(Object.keys(install.triggers_replace).sort()).toEqual(["files_sha256", "host_key_sha256", "packages"]);
    // The delivery is replaced with the install (its instance), so a reinstalled host gets its secrets back.
    expect(byPath["HostSecrets-node1/Delivery"].triggers_replace.server).toBe(`\${${address("HostInstall-node1/Install")}.id}`);
    const rekeyed = synthEnvironment({
      ...home,
      cluster: { ...home.cluster, hosts: [{ ...node1, hostKey: node2.hostKey.replace("node2", "node1") }, node2, node3] } as typeof home.cluster,
    })["home-hosts"];
    const rekeyedInstall = Object.values<any>(resourcesOf(rekeyed, "terraform_data")).find((r) => r["//"].metadata.path.endsWith("HostInstall-node1/Install"));
    expect(rekeyedInstall.triggers_replace.host_key_sha256).not.toBe(install.triggers_replace.host_key_sha256);
    expect(rekeyedInstall.triggers_replace.files_sha256).toBe(install.triggers_replace.files_sha256);
  });

  it("pins the agents' packages for a new install only: a version change re-runs no install (the rollout upgrades running hosts)", () => {
    expect(byPath["HostInstall-node1/Install"].triggers_replace.packages).toBe(
      "nomad\nconsul\nnftables\nage\ncontainernetworking-plugins\ndocker.io\npodman\nnomad-driver-podman\n",
    );
    const manifest = byPath["HostInstall-node1/Install"].provisioner.find((p: any) => p.file?.destination.endsWith("/packages.list")).file.content;
    expect(manifest).toBe(
      "nomad=2.0.5-1 new-only\nconsul=1.21.5-1 new-only\nnftables\nage\ncontainernetworking-plugins\ndocker.io\npodman\nnomad-driver-podman=0.6.4-1 new-only\n",
    );
  });

  it("keeps every secret out of the install (the delivery carries them as references)", () => {
    const install = JSON.stringify(byPath["HostInstall-node1/Install"]);
    expect(install).not.toMatch(/PRIVATE KEY|\$\{(tls_private_key|random_bytes)/);
    const delivery = JSON.stringify(byPath["HostSecrets-node1/Delivery"]);
    expect(delivery).toMatch(/\$\{tls_private_key\.Cluster_Pki_HostKey-node1_[0-9A-F]+\.private_key_pem\}/);
  });
});

describe("SshCluster validation", () => {
  it("accepts the home example without warnings", () => {
    expect(warningsOf(build())).toEqual([]);
  });

  it("fails on a host name with shell metacharacters or spaces (it reaches root's shell and file names)", () => {
    for (const name of ["node1;reboot", "$(id)", "node 1", "Node1", "node1\n", "`id`", "../etc"]) {
      expectInvalid({ hosts: [{ ...node1, name }, node2, node3] }, /hosts\[0\]\.name .* is not a lowercase DNS label/);
    }
  });

  it("fails on an address that is not a plain IPv4 address, or lies outside the subnet", () => {
    expectInvalid({ hosts: [{ ...node1, address: "192.168.1.21; rm -rf /" }, node2, node3] }, /hosts\[0\]\.address .* is not an IPv4 address/);
    expectInvalid({ hosts: [{ ...node1, address: "nas.local" }, node2, node3] }, /hosts\[0\]\.address "nas\.local" is not an IPv4 address/);
    expectInvalid({ hosts: [{ ...node1, address: "10.0.0.5" }, node2, node3] }, /hosts\[0\]\.address "10\.0\.0\.5" is outside subnetCidr "192\.168\.1\.0\/24"/);
  });

  it("fails on two hosts with one name or one address", () => {
    expectInvalid({ hosts: [node1, { ...node2, name: "node1" }, node3] }, /two hosts have name "node1"/);
    expectInvalid({ hosts: [node1, { ...node2, address: node1.address }, node3] }, /two hosts have address "192\.168\.1\.21"/);
  });

  it("fails on 2 servers, a single server in production, and no client", () => {
    expectInvalid({ hosts: [node1, node2, { ...node3, role: "client" }] }, /2 servers .* never an even count/);
    expectInvalid({ hosts: [node1], tier: "production" }, /1 servers .*Raft needs 3, 5 or 7/);
    expectInvalid({ hosts: [node1, node2, node3].map((h) => ({ ...h, role: "server" as const })) }, /no host runs workloads/);
  });

  it("fails on an empty or unparsable host key, and warns when it is not the ECDSA key Terraform negotiates", () => {
    expectInvalid({ hosts: [{ ...node1, hostKey: "" }, node2, node3] }, /hosts\[0\]\.hostKey is empty/);
    expectInvalid({ hosts: [{ ...node1, hostKey: "ssh-ed25519 AAAA'; id" }, node2, node3] }, /hosts\[0\]\.hostKey has no base64 key data/);
    const ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKBn0Jv4/LO496vXGweYpXFyRLuAcHNM3Nh3GvKf1/c0 root@node1";
    expect(warningsOf(build({ hosts: [{ ...node1, hostKey: ed25519 }, node2, node3] }))).toEqual([
      expect.stringMatching(/^hosts\[0\]\.hostKey is no ecdsa-sha2-nistp256 key: .*\/etc\/ssh\/ssh_host_ecdsa_key\.pub/),
    ]);
  });

  it("fails on versions that are not plain versions (they become package lines on the hosts)", () => {
    expectInvalid({ nomadVersion: "2.0.5\nopenssh-server=1" }, /nomadVersion "2\.0\.5\\nopenssh-server=1" is not a version/);
    expectInvalid({ consulVersion: "latest" }, /consulVersion "latest" is not a version/);
    expectInvalid({ nomadVersion: "1.10.5" }, /nomadVersion "1\.10\.5" lacks the docker driver's fixes/);
  });

  it("fails on a cluster name, region or datacenter that cannot be part of a certificate's name", () => {
    expectInvalid({ datacenter: "home${var.x}" }, /datacenter "home\$\{var\.x\}" is not a lowercase DNS label/);
    expectInvalid({ region: "glo bal" }, /region "glo bal" is not a lowercase DNS label/);
  });

  it("pins only the host key's type and data: its comment never reaches Terraform, which would read `${` in it as a template", () => {
    const cluster = build({ hosts: [{ ...node1, hostKey: `${node1.hostKey.split(" ").slice(0, 2).join(" ")} root@\${file("/etc/shadow")}` }, node2, node3] });
    expect(cluster.sshHosts[0].hostKey).toBe(node1.hostKey.split(" ").slice(0, 2).join(" "));
  });

  it("fails on a chroot_env that would link the agents' secrets into exec tasks", () => {
    expectInvalid({ chrootEnv: { "/var/lib": "/var/lib" } }, /chrootEnv links "\/var\/lib" into every exec task, which would expose the agents' secrets/);
  });

  it("fails on operator CIDRs or a subnet that are not private IPv4 ranges (they reach the host firewall's rules)", () => {
    expectInvalid({ operatorCidrs: ["192.168.1.0/24 } accept; {"] }, /operatorCidrs\[0\]: .* is not an IPv4 CIDR/);
    expectInvalid({ operatorCidrs: [] }, /operatorCidrs is empty/);
    expectInvalid({ subnetCidr: "8.8.8.0/24", hosts: VALID.hosts.map((h, i) => ({ ...h, address: `8.8.8.${i + 1}` })) }, /subnetCidr "8\.8\.8\.0\/24" is not a private/);
  });
});
