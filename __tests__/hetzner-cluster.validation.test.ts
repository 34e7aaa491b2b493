import { generateKeyPairSync } from "node:crypto";
import { buildCluster, warningsOf } from "./support/hetzner-cluster";

/** Expects building the cluster with `overrides` to throw an error naming its path and `pattern`. */
function expectInvalid(overrides: Parameters<typeof buildCluster>[0], pattern: RegExp | string): void {
  expect(() => buildCluster(overrides)).toThrow(/^test\/Cluster: invalid HetznerCluster:/);
  expect(() => buildCluster(overrides)).toThrow(pattern);
}

describe("HetznerCluster validation", () => {
  it("accepts the valid example without warnings", () => {
    const { cluster } = buildCluster();
    expect(warningsOf(cluster)).toEqual([]);
  });

  describe("server count", () => {
    it("fails with 2 servers: no fault tolerance", () => {
      expectInvalid({ serverCount: 2 }, /serverCount is 2, an even number: .*2 tolerate none; use 1 or 3/);
    });

    it("fails with any even number of servers", () => {
      expectInvalid({ serverCount: 4 }, /serverCount is 4, an even number.*use 3 or 5/);
      expectInvalid({ serverCount: 6 }, /serverCount is 6, an even number/);
    });

    it("fails with more than 7 servers", () => {
      expectInvalid({ serverCount: 9 }, /serverCount is 9; Raft clusters above 7 servers/);
    });

    it("fails with no servers", () => {
      expectInvalid({ serverCount: 0 }, /serverCount is 0/);
    });

    it("fails with 1 server in production", () => {
      expectInvalid({ tier: "production", serverCount: 1 }, /serverCount is 1: .*Production needs 3 or 5 servers/);
    });

    it.each(["lab", "dev"] as const)("warns (but builds) with 1 server in a %s environment", (tier) => {
      const { cluster } = buildCluster({ tier, serverCount: 1 });
      expect(warningsOf(cluster)).toEqual([expect.stringMatching(/serverCount is 1: a single server has no fault tolerance/)]);
    });

    it("fails when bootstrapExpect does not match the server count", () => {
      expectInvalid({ serverCount: 3, bootstrapExpect: 5 }, /bootstrapExpect is 5 but serverCount is 3/);
    });
  });

  describe("names", () => {
    it("fails with a name, region or datacenter that cannot be part of a hostname", () => {
      expectInvalid({ name: "My Lab" }, /name "My Lab" is not a lowercase DNS label/);
      expectInvalid({ datacenter: "lab_01" }, /datacenter "lab_01" is not a lowercase DNS label/);
      expectInvalid({ region: "-global" }, /region "-global" is not a lowercase DNS label/);
    });
  });

  describe("location", () => {
    it("fails with a network zone the location is not in, and names the right one", () => {
      expectInvalid({ location: "ash", networkZone: "eu-central" }, /location "ash" is in network zone "us-east", not "eu-central".*set networkZone to "us-east"/);
    });

    it("fails for a location not in the dated table, naming the known ones and the escape", () => {
      expectInvalid(
        { location: "xyz1" },
        'location "xyz1" is not a Hetzner location; known as of 2026-11-26: fsn1, nbg1, hel1, ash, hil, sin. If Hetzner added it since, list it with its network zone in newLocations, e.g. { "xyz1": "eu-central" }',
      );
    });

    it("accepts a new location listed in newLocations, and checks its network zone", () => {
      expect(() => buildCluster({ location: "xyz1", networkZone: "eu-central", newLocations: { xyz1: "eu-central" } })).not.toThrow();
      expectInvalid({ location: "xyz1", networkZone: "eu-central", newLocations: { xyz1: "us-east" } }, /location "xyz1" is in network zone "us-east"/);
    });
  });

  describe("pools and versions", () => {
    it("fails when no host runs workloads", () => {
      expectInvalid({ serversAreClients: false, clientCount: 0 }, /no host runs workloads/);
    });

    it("fails with more clients than a spread placement group holds", () => {
      expectInvalid({ clientCount: 11 }, /clientCount is 11; a Hetzner spread placement group holds at most 10/);
    });

    it.each([
      ["cx22", "cx23"],
      ["cx32", "cx33"],
      ["cx42", "cx43"],
      ["cx52", "cx53"],
      ["cpx11", "cpx12"],
      ["cpx21", "cpx22"],
      ["cpx31", "cpx32"],
      ["cpx41", "cpx42"],
      ["cpx51", "cpx52"],
    ])("fails with the deprecated server type %s and names %s instead", (deprecated, current) => {
      expectInvalid({ serverType: deprecated }, new RegExp(`serverType "${deprecated}" is deprecated by Hetzner.*use "${current}"`));
    });

    it("fails with a deprecated client type", () => {
      expectInvalid({ clientCount: 2, clientType: "cpx21" }, /clientType "cpx21" is deprecated.*"cpx22"/);
    });

    it("fails with a version that is not a release number", () => {
      expectInvalid({ nomadVersion: "latest" }, /nomadVersion "latest" is not a release version/);
    });
  });

  describe("CIDRs", () => {
    it("fails with a network CIDR that is not a CIDR", () => {
      expectInvalid({ networkCidr: "10.0.0.0" }, /networkCidr "10.0.0.0" is not an IPv4 CIDR/);
      expectInvalid({ networkCidr: "10.0.300.0/16" }, /networkCidr "10.0.300.0\/16" has an invalid IPv4 address/);
      expectInvalid({ networkCidr: "10.0.0.0/33" }, /prefix length above 32/);
    });

    it("fails with host bits set and names the range meant", () => {
      expectInvalid({ subnetCidr: "10.0.10.5/24" }, /subnetCidr "10.0.10.5\/24" has host bits set; the range is "10.0.10.0\/24"/);
    });

    it("fails with a subnet outside the network", () => {
      expectInvalid({ subnetCidr: "10.1.10.0/24" }, /subnetCidr "10.1.10.0\/24" is not inside networkCidr "10.0.0.0\/16"/);
    });

    it("fails with a public network range", () => {
      expectInvalid({ networkCidr: "8.8.0.0/16", subnetCidr: "8.8.10.0/24" }, /networkCidr "8.8.0.0\/16" is not inside a private range/);
    });

    it("fails with a network overlapping a container network", () => {
      expectInvalid({ networkCidr: "172.16.0.0/12", subnetCidr: "172.16.10.0/24" }, /overlaps Docker's default bridge \(172.17.0.0\/16\)/);
      expectInvalid({ networkCidr: "10.88.0.0/16", subnetCidr: "10.88.1.0/24" }, /overlaps Podman's default network/);
    });

    it("fails with a subnet too small for the hosts' fixed addresses", () => {
      expectInvalid({ subnetCidr: "10.0.10.0/29" }, /subnetCidr "10.0.10.0\/29" is too small/);
      expectInvalid({ subnetCidr: "10.0.10.0/28", clientCount: 1 }, /subnetCidr "10.0.10.0\/28" is too small/);
    });

    it("fails with an invalid operator CIDR or none", () => {
      expectInvalid({ operatorCidrs: ["my laptop"] }, /operatorCidrs entry "my laptop" is not an IPv4 CIDR/);
      expectInvalid({ operatorCidrs: [] }, /operatorCidrs is empty/);
    });

    it.each([
      ["the whole internet", ["0.0.0.0/0"], /cover 4,294,967,296 IPv4 addresses \(100% of the internet\), more than a \/8/],
      ["the whole internet in two halves", ["0.0.0.0/1", "128.0.0.0/1"], /cover 4,294,967,296 IPv4 addresses \(100% of the internet\)/],
      ["two /8s", ["11.0.0.0/8", "12.0.0.0/8"], /cover 33,554,432 IPv4 addresses \(0\.78% of the internet\)/],
    ])("warns in a lab when the operator CIDRs are %s, judging their union", (_what, operatorCidrs, message) => {
      const { cluster } = buildCluster({ operatorCidrs });
      expect(warningsOf(cluster)).toEqual([expect.stringMatching(message)]);
    });

    it("fails in production when the operator CIDRs cover more than a /8, however they are split", () => {
      expectInvalid({ tier: "production", operatorCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }, /operatorCidrs together cover .* Production refuses this/);
      expectInvalid({ tier: "production", operatorCidrs: ["0.0.0.0/0"] }, /operatorCidrs together cover/);
    });

    it("counts overlapping operator CIDRs once: a /8 and its own halves stay within the limit", () => {
      const { cluster } = buildCluster({ tier: "production", operatorCidrs: ["11.0.0.0/8", "11.0.0.0/9", "11.128.0.0/9", "11.0.0.0/8"] });
      expect(warningsOf(cluster)).toEqual([]);
    });

    it.each([
      ["loopback", "127.0.0.1/32"],
      ["link-local", "169.254.169.254/32"],
      ["multicast", "224.0.0.0/4"],
      ["reserved", "255.255.255.255/32"],
      ['"this network"', "0.0.0.0/32"],
    ])("fails with a %s operator CIDR, which no connection from the internet comes from", (what, text) => {
      expectInvalid({ operatorCidrs: ["203.0.113.7/32", text] }, new RegExp(`operatorCidrs entry "${text.replace(/[./]/g, "\\$&")}" is ${what}`));
    });

    it.each(["192.168.1.20/32", "10.0.0.0/8", "100.64.1.2/32"])("warns that the private operator CIDR %s admits nobody", (text) => {
      const { cluster } = buildCluster({ operatorCidrs: ["203.0.113.7/32", text] });
      expect(warningsOf(cluster)).toEqual([expect.stringMatching(/is a private address: the hosts' firewall sees the public address/)]);
    });
  });

  describe("SSH keys", () => {
    const key = (publicKey: string) => ({ sshKeys: [{ name: "me", publicKey }] });

    it("fails with a private key pasted instead of the public one", () => {
      const { privateKey } = generateKeyPairSync("ed25519");
      const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      expectInvalid(key(pem), /sshKeys "me" is a private key; paste the public key instead/);
      expectInvalid(key("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"), /is a private key/);
    });

    it("fails with garbage", () => {
      expectInvalid(key("hello"), /sshKeys "me" does not start with a public key type/);
      expectInvalid(key("ssh-ed25519"), /has no base64 key data/);
    });

    it("fails with key data of another type or truncated", () => {
      const rsaBlob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from("ssh-rsa"), Buffer.alloc(16)]).toString("base64");
      expectInvalid(key(`ssh-ed25519 ${rsaBlob} me`), /has key data that is not a "ssh-ed25519" key/);
      expectInvalid(key("ssh-ed25519 AAAAC3 me"), /has key data that is not a "ssh-ed25519" key/);
    });

    it("fails without keys or with duplicate names", () => {
      expectInvalid({ sshKeys: [] }, /sshKeys is empty/);
      const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKBn0Jv4/LO496vXGweYpXFyRLuAcHNM3Nh3GvKf1/c0 a";
      expectInvalid({ sshKeys: [{ name: "a", publicKey }, { name: "a", publicKey }] }, /two keys named "a"/);
    });
  });

  it("fails when chrootEnv links a directory holding the agents' secrets into exec tasks", () => {
    expectInvalid({ chrootEnv: { "/bin": "/bin", "/var": "/var" } }, /chrootEnv links "\/var" into every exec task, which would expose the agents' secrets in \/var\/lib\/hashilab\/secrets/);
    expectInvalid({ chrootEnv: { "/run": "/run" } }, /chrootEnv links "\/run".*\/run\/hashilab-delivery/);
    expectInvalid({ chrootEnv: { "/var/lib/hashilab/secrets/tls": "/tls" } }, /chrootEnv links "\/var\/lib\/hashilab\/secrets\/tls"/);
    expect(() => buildCluster({ chrootEnv: { "/etc": "/etc", "/var/lib/app": "/var/lib/app" } })).not.toThrow();
  });

  it("fails listing every problem at once", () => {
    expect(() => buildCluster({ serverCount: 2, serverType: "cx22", operatorCidrs: [] })).toThrow(
      /serverCount is 2[\s\S]*serverType "cx22"[\s\S]*operatorCidrs is empty/,
    );
  });
});
