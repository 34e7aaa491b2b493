import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lab } from "../environments";
import { synthCluster } from "./support/hetzner-cluster";
import { resourcesOf, StackJson, synthEnvironment } from "./support/synth";

const schema = JSON.parse(readFileSync(join(__dirname, "..", "providers", "hcloud", "schema.json"), "utf8"));
const resourceSchemas = schema.provider_schemas["registry.terraform.io/hetznercloud/hcloud"].resource_schemas;

const REFERENCE = /^\$\{[^}]+\}$/;
/** Terraform meta-arguments and cdktf metadata, not provider attributes. */
const META = new Set(["//", "depends_on", "lifecycle", "provider", "count", "for_each", "connection", "provisioner"]);

/** Problems of `value` against a schema attribute type; references are accepted for any type. */
function typeProblems(path: string, type: unknown, value: unknown): string[] {
  if (typeof value === "string" && REFERENCE.test(value)) return [];
  if (type === "string") return typeof value === "string" ? [] : [`${path}: expected a string`];
  if (type === "number") return typeof value === "number" ? [] : [`${path}: expected a number, got ${JSON.stringify(value)}`];
  if (type === "bool") return typeof value === "boolean" ? [] : [`${path}: expected a bool`];
  const [kind, element] = type as [string, unknown];
  if (kind === "list" || kind === "set") {
    return Array.isArray(value) ? value.flatMap((v, i) => typeProblems(`${path}[${i}]`, element, v)) : [`${path}: expected a ${kind}`];
  }
  if (kind === "map") {
    return typeof value === "object" && value !== null
      ? Object.entries(value).flatMap(([k, v]) => typeProblems(`${path}.${k}`, element, v))
      : [`${path}: expected a map`];
  }
  return [`${path}: unknown schema type ${JSON.stringify(type)}`];
}

/** Problems of a resource body against its schema block: unknown names, wrong types, missing required attributes. */
function blockProblems(path: string, block: any, body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(body)) {
    if (META.has(name)) continue;
    const attribute = block.attributes?.[name];
    const nested = block.block_types?.[name];
    if (attribute) problems.push(...typeProblems(`${path}.${name}`, attribute.type, value));
    else if (nested) {
      const items = nested.nesting_mode === "single" ? [value] : (value as Record<string, unknown>[]);
      items.forEach((item, i) => problems.push(...blockProblems(`${path}.${name}[${i}]`, nested.block, item as Record<string, unknown>)));
    } else problems.push(`${path}.${name}: not an attribute of the provider's schema`);
  }
  for (const [name, attribute] of Object.entries<any>(block.attributes ?? {})) {
    if (attribute.required && !(name in body)) problems.push(`${path}.${name}: required but missing`);
  }
  return problems;
}

function hcloudSchemaProblems(stack: StackJson): string[] {
  return Object.entries<Record<string, any>>(stack.resource)
    .filter(([type]) => type.startsWith("hcloud_"))
    .flatMap(([type, resources]) =>
      Object.entries(resources).flatMap(([id, body]) => blockProblems(`${type}.${id}`, resourceSchemas[type].block, body)),
    );
}

const byName = (resources: Record<string, any>, name: string) => Object.values<any>(resources).find((r) => r.name === name);

/** Each host's secrets delivery (by host construct id) and the hosts whose deliveries it waits for. */
function deliveryDependencies(stack: StackJson): Record<string, string[]> {
  const deliveries = Object.entries<any>(resourcesOf(stack, "terraform_data")).flatMap(([id, body]) => {
    const match = /\/Cluster\/(\w+)Secrets(-\d+)\/Delivery$/.exec(body["//"].metadata.path);
    const host = match && match[1] + match[2];
    return host ? [{ address: `terraform_data.${id}`, host, dependsOn: (body.depends_on ?? []) as string[] }] : [];
  });
  const hostOf = new Map(deliveries.map((d) => [d.address, d.host]));
  // Each delivery also waits for its own host's key installation (tested on its own).
  const ownHostKey = (host: string, address: string) => address.startsWith(`terraform_data.Cluster_${host.replace("-", "SshHostKey-")}_Install_`);
  return Object.fromEntries(
    deliveries.map((d) => [d.host, d.dependsOn.filter((a) => !ownHostKey(d.host, a)).map((address) => hostOf.get(address) ?? address)]),
  );
}

describe("the schema check", () => {
  it("catches unknown names, wrong types and missing required attributes", () => {
    const body = { name: "x", firewall_ids: ["one"], public_net: [{ ipv4: true }], colour: "blue" };
    expect(blockProblems("s", resourceSchemas.hcloud_server.block, body)).toEqual([
      's.firewall_ids[0]: expected a number, got "one"',
      "s.public_net[0].ipv4: expected a number, got true",
      "s.colour: not an attribute of the provider's schema",
      "s.server_type: required but missing",
    ]);
  });
});

describe("the lab hosts stack", () => {
  const stacks = synthEnvironment(lab);
  const hosts = stacks["lab-hosts"];
  const servers = resourcesOf(hosts, "hcloud_server");

  it("uses the hcloud provider's real attribute names and types", () => {
    expect(hcloudSchemaProblems(hosts)).toEqual([]);
  });

  it("creates the network, subnet, spread placement group, SSH key, firewalls and three servers", () => {
    const counts = Object.fromEntries(Object.entries<object>(hosts.resource).map(([type, r]) => [type, Object.keys(r).length]));
    expect(counts).toMatchObject({
      hcloud_network: 1,
      hcloud_network_subnet: 1,
      hcloud_placement_group: 1,
      hcloud_ssh_key: 1,
      hcloud_firewall: 2,
      hcloud_server: 3,
      // Per server: its SSH host key's installation, its secrets delivery, its resize gate and the
      // rollout's two steps (Consul, Nomad); the membership, its quorum guard and its server record.
      terraform_data: 18,
      random_bytes: 2,
    });
    expect(Object.values<any>(resourcesOf(hosts, "hcloud_network"))[0]).toMatchObject({ name: "lab", ip_range: "10.0.0.0/16" });
    expect(Object.values<any>(resourcesOf(hosts, "hcloud_network_subnet"))[0]).toMatchObject({
      ip_range: "10.0.10.0/24",
      type: "cloud",
      network_zone: "eu-central",
    });
    expect(Object.values<any>(resourcesOf(hosts, "hcloud_placement_group"))[0]).toMatchObject({ name: "lab-servers", type: "spread" });
  });

  it("puts each server on the private network at its fixed address, with both firewalls and the placement group", () => {
    const server = byName(servers, "lab-server-2");
    expect(server).toMatchObject({
      server_type: "cx23",
      image: "debian-12",
      location: "nbg1",
      public_net: [{ ipv4_enabled: true, ipv6_enabled: true }],
      network: [{ ip: "10.0.10.12", network_id: expect.stringMatching(/^\$\{hcloud_network\.[^}]+\.id\}$/) }],
      placement_group_id: expect.stringMatching(/^\$\{hcloud_placement_group\.[^}]+\.id\}$/),
      labels: { environment: "lab", "managed-by": "hashilab", role: "server-client" },
      delete_protection: false,
      rebuild_protection: false,
    });
    expect(server.firewall_ids).toHaveLength(2);
    // And, so that resizes go one at a time, on the previous host's resize gate (rollout.quorum).
    expect(server.depends_on).toEqual([expect.stringMatching(/^hcloud_network_subnet\./), expect.stringMatching(/^terraform_data\.Cluster_ServerResizeGate-1_/)]);
  });

  it("never replaces a server for a user-data or SSH key change, and gives it no reference to a secret", () => {
    for (const server of Object.values<any>(servers)) {
      // lab's DNS VIP is an alias IP that keepalived moves through the API: Terraform leaves the attachment alone.
      expect(server.lifecycle).toEqual({ ignore_changes: ["user_data", "ssh_keys", "network"] });
      expect(JSON.stringify(server)).not.toMatch(/tls_|random_/);
    }
  });

  it("opens SSH and the Nomad/Consul APIs to the operator only, ICMP to all, and nothing else", () => {
    const cluster = byName(resourcesOf(hosts, "hcloud_firewall"), "lab-cluster");
    const operator = ["198.51.100.7/32"];
    expect(cluster.rule.map((r: any) => [r.direction, r.protocol, r.port, r.source_ips])).toEqual([
      ["in", "tcp", "22", operator],
      ["in", "tcp", "4646", operator],
      ["in", "tcp", "8501", operator],
      ["in", "icmp", undefined, ["0.0.0.0/0", "::/0"]],
    ]);
    const ingress = byName(resourcesOf(hosts, "hcloud_firewall"), "lab-ingress");
    expect(ingress.rule.map((r: any) => [r.protocol, r.port, r.source_ips])).toEqual([
      ["tcp", "80", ["0.0.0.0/0", "::/0"]],
      ["tcp", "443", ["0.0.0.0/0", "::/0"]],
    ]);
  });

  it("generates 32-byte gossip keys and an ECDSA CA in Terraform", () => {
    for (const key of Object.values<any>(resourcesOf(hosts, "random_bytes"))) expect(key.length).toBe(32);
    const [ca] = Object.values<any>(resourcesOf(hosts, "tls_self_signed_cert"));
    expect(ca).toMatchObject({ is_ca_certificate: true, allowed_uses: expect.arrayContaining(["cert_signing"]) });
  });

  it("issues each server a certificate for its Nomad and Consul server names, loopback and both addresses", () => {
    const request = Object.values<any>(resourcesOf(hosts, "tls_cert_request")).find((r) => r.subject[0].common_name === "lab-server-1");
    expect(request.dns_names).toEqual(
      expect.arrayContaining(["server.global.nomad", "server.lab01.consul", "client.global.nomad", "localhost", "lab-server-1"]),
    );
    expect(request.ip_addresses).toEqual(["127.0.0.1", "10.0.10.11", expect.stringMatching(/^\$\{hcloud_server\.[^}]+\.ipv4_address\}$/)]);
  });

  it("delivers each host's secrets, agent configuration and units over SSH as root with the operator's agent, again whenever one changes", () => {
    const deliveries = Object.values<any>(resourcesOf(hosts, "terraform_data"));
    const delivery = deliveries.find((d) => d["//"].metadata.path === "lab-hosts/Cluster/ServerSecrets-1/Delivery");
    expect(delivery.connection).toEqual({
      type: "ssh",
      user: "root",
      agent: "true",
      timeout: "10m",
      host: expect.stringMatching(/^\$\{hcloud_server\.[^}]+\.ipv4_address\}$/),
      // The key Terraform installed at first contact: an impostor at the address fails the apply.
      host_key: expect.stringMatching(/^\$\{trimspace\(tls_private_key\.Cluster_ServerSshHostKey-1_Key_[0-9A-F]+\.public_key_openssh\)\}$/),
      script_path: "/root/terraform_%RAND%.sh",
    });
    expect(delivery.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^terraform_data\.Cluster_ServerSshHostKey-1_Install_/)]));
    const steps = delivery.provisioner.map((p: any) => Object.keys(p)[0]);
    expect(steps).toEqual(["remote-exec", ...Array(18).fill("file"), "remote-exec"]);
    const files = delivery.provisioner.filter((p: any) => p.file).map((p: any) => p.file.destination);
    expect(files).toEqual([
      "/run/hashilab-delivery/ca.pem",
      "/run/hashilab-delivery/agent.pem",
      "/run/hashilab-delivery/agent-key.pem",
      "/run/hashilab-delivery/consul-gossip.hcl",
      "/run/hashilab-delivery/nomad-gossip.hcl",
      "/run/hashilab-delivery/nomad-agent.hcl",
      "/run/hashilab-delivery/consul-agent.hcl",
      "/run/hashilab-delivery/consul.service",
      "/run/hashilab-delivery/nomad.service",
      "/run/hashilab-delivery/metadata-block.nft",
      "/run/hashilab-delivery/hashilab-nomad-alloc-image.service",
      "/run/hashilab-delivery/opt-nomad-data-alloc.mount",
      "/run/hashilab-delivery/hashilab-install-secrets.sh",
      "/run/hashilab-delivery/hashilab-wait-healthy.sh",
      "/run/hashilab-delivery/hashilab-wait-address.sh",
      "/run/hashilab-delivery/hashilab-nomad-alloc-image.sh",
      "/run/hashilab-delivery/hashilab-upgrade-agents.sh",
      "/run/hashilab-delivery/hashilab-rollout.sh",
    ]);
    // The script comes with the delivery, so running hosts always install with the current one.
    expect(delivery.provisioner.at(-1)["remote-exec"].inline).toEqual(["bash /run/hashilab-delivery/hashilab-install-secrets.sh"]);
    const uploaded = (name: string) => delivery.provisioner.find((p: any) => p.file?.destination.endsWith(`/${name}`)).file.content;
    // The key reaches the HCL string through the escaping replace() of core/hcl.ts.
    expect(uploaded("consul-gossip.hcl")).toMatch(/^encrypt = "\$\{replace\(.*random_bytes\.[^,]+\.base64, .*\)\}"\n$/);
    expect(uploaded("agent-key.pem")).toMatch(/^\$\{tls_private_key\.[^}]+\.private_key_pem\}$/);
    expect(Object.keys(delivery.triggers_replace).sort()).toEqual([
      "agent_cert_sha256",
      "agent_key_sha256",
      "alloc_image_script_sha256",
      "alloc_units_sha256",
      "ca_cert_sha256",
      "consul_config_sha256",
      "consul_gossip_key_sha256",
      "consul_unit_sha256",
      "firewall_rules_sha256",
      "host_key_install_sha256",
      "install_script_sha256",
      "nomad_config_sha256",
      "nomad_gossip_key_sha256",
      "nomad_unit_sha256",
      "rollout_script_sha256",
      "server",
      "upgrade_agents_script_sha256",
      "wait_address_script_sha256",
      "wait_healthy_script_sha256",
    ]);
    // Configuration is public: synth hashes it; secrets are hashed by Terraform from references.
    expect(delivery.triggers_replace.nomad_config_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(delivery.triggers_replace.agent_key_sha256).toMatch(/^\$\{sha256\(tls_private_key\.[^)]+\.private_key_pem\)\}$/);
    // A re-run first contact (a rebuilt disk, which lost everything) re-runs the delivery too.
    expect(delivery.triggers_replace.host_key_install_sha256).toMatch(/^\$\{sha256\(terraform_data\.Cluster_ServerSshHostKey-1_Install_[^.]+\.id\)\}$/);
  });

  it("installs a Terraform-generated SSH host key over the first contact only, and pins it everywhere after", () => {
    const installs = Object.values<any>(resourcesOf(hosts, "terraform_data")).filter((d) => /SshHostKey-\d+\/Install$/.test(d["//"].metadata.path));
    expect(installs).toHaveLength(3);
    const [install] = installs;
    // The one connection without host_key: the new server's own key is trusted once.
    expect(install.connection.host_key).toBeUndefined();
    expect(install.triggers_replace.server).toMatch(/^\$\{hcloud_server\.[^}]+\.id\}$/);
    const uploads = install.provisioner.filter((p: any) => p.file).map((p: any) => p.file);
    expect(uploads[0].content).toMatch(/^\$\{tls_private_key\.Cluster_ServerSshHostKey-1_Key_[0-9A-F]+\.private_key_openssh\}$/);
    const key = Object.values<any>(resourcesOf(hosts, "tls_private_key")).find((k) => k["//"].metadata.path.endsWith("ServerSshHostKey-1/Key"));
    expect(key.algorithm).toBe("ED25519");
    // Every other SSH connection of the stack pins a key.
    const others = Object.values<any>(resourcesOf(hosts, "terraform_data")).filter((d) => d.connection && !installs.includes(d));
    expect(others.length).toBeGreaterThan(0);
    for (const d of others) expect(d.connection.host_key).toMatch(/public_key_openssh|^\$\{self\.input\.host_key\}$/);
    // The membership's destroy step reads the key from each host's input (rollout.removal.test.ts).
    const membership = others.find((d) => d.connection.host_key === "${self.input.host_key}");
    for (const member of Object.values<any>(membership.for_each)) expect(member.host_key).toMatch(/public_key_openssh/);
    // The private key never reaches user-data, which every container can read.
    for (const server of Object.values<any>(resourcesOf(hosts, "hcloud_server"))) expect(server.user_data).not.toMatch(/PRIVATE KEY|tls_private_key/);
  });

  it("delivers to one host at a time, so a bad configuration change restarts one server, not all three at once", () => {
    expect(deliveryDependencies(hosts)).toEqual({ "Server-1": [], "Server-2": ["Server-1"], "Server-3": ["Server-2"] });
  });

  it("outputs the server addresses, API addresses, CA certificate and certificate expiry dates", () => {
    expect(Object.keys(hosts.output).filter((name) => !name.startsWith("cross-stack-output")).sort()).toEqual([
      // The servers' names, which the next deploy's quorum guard reads (rollout.quorum-plan.test.ts).
      expect.stringMatching(/^Cluster_Membership_Servers_/),
      "ca_certificate",
      "certificate_expiry",
      "consul_address",
      "nomad_address",
      "server_private_ips",
      "server_public_ips",
    ]);
    expect(hosts.output.server_private_ips.value).toEqual(["10.0.10.11", "10.0.10.12", "10.0.10.13"]);
    expect(hosts.output.nomad_address.value).toMatch(/^https:\/\/\$\{hcloud_server\.[^}]+\.ipv4_address\}:4646$/);
    expect(hosts.output.consul_address.value).toMatch(/^https:\/\/\$\{hcloud_server\.[^}]+\.ipv4_address\}:8501$/);
    expect(hosts.output.ca_certificate.value).toMatch(/^\$\{tls_self_signed_cert\.[^}]+\.cert_pem\}$/);
  });

  it("hands the acl stack the first server's address and the CA as cross-stack outputs", () => {
    const crossStack = Object.entries<any>(hosts.output)
      .filter(([name]) => name.startsWith("cross-stack-output"))
      .map(([, output]) => output.value);
    const firstServer = Object.keys(servers).find((id) => servers[id].name === "lab-server-1");
    expect(crossStack).toEqual(
      expect.arrayContaining([
        `\${hcloud_server.${firstServer}.ipv4_address}`,
        expect.stringMatching(/^\$\{tls_self_signed_cert\.[^}]+\.cert_pem\}$/),
      ]),
    );
    expect(JSON.stringify(stacks["lab-acl"])).toContain("cross-stack-reference-input-lab-hosts");
  });
});

describe("separate pools", () => {
  const stack = synthCluster({ serversAreClients: false, clientCount: 2 });
  const servers = resourcesOf(stack, "hcloud_server");

  it("uses the provider's real attribute names and types", () => {
    expect(hcloudSchemaProblems(stack)).toEqual([]);
  });

  it("manages the servers' alias IPs (none) when nothing else moves them", () => {
    const server = byName(servers, "test-server-1");
    expect(server.network[0].alias_ips).toEqual([]);
    expect(server.lifecycle).toEqual({ ignore_changes: ["user_data", "ssh_keys"] });
  });

  it("opens 80/443 only on the hosts that run workloads", () => {
    expect(byName(servers, "test-server-1").firewall_ids).toHaveLength(1);
    expect(byName(servers, "test-client-1").firewall_ids).toHaveLength(2);
    expect(byName(servers, "test-client-1").labels.role).toBe("client");
  });

  it("spreads servers and clients in their own placement groups", () => {
    const groups = Object.values<any>(resourcesOf(stack, "hcloud_placement_group")).map((g) => [g.name, g.type]);
    expect(groups.sort()).toEqual([
      ["test-clients", "spread"],
      ["test-servers", "spread"],
    ]);
  });

  it("delivers to the servers first, then to the clients, one host at a time", () => {
    expect(deliveryDependencies(stack)).toEqual({
      "Server-1": [],
      "Server-2": ["Server-1"],
      "Server-3": ["Server-2"],
      "Client-1": ["Server-3"],
      "Client-2": ["Client-1"],
    });
  });

  it("gives clients no Nomad gossip key (only servers gossip)", () => {
    const delivery = Object.values<any>(resourcesOf(stack, "terraform_data")).find(
      (d) => d["//"].metadata.path === "test/Cluster/ClientSecrets-1/Delivery",
    );
    expect(delivery.triggers_replace.nomad_gossip_key_sha256).toBeUndefined();
    const uploads = delivery.provisioner.filter((p: any) => p.file).map((p: any) => p.file.destination);
    expect(uploads.filter((path: string) => path.includes("nomad-gossip"))).toEqual([]);
  });

  it("issues clients certificates without the server names", () => {
    const request = Object.values<any>(resourcesOf(stack, "tls_cert_request")).find((r) => r.subject[0].common_name === "test-client-1");
    expect(request.dns_names).not.toContain("server.global.nomad");
    expect(request.dns_names).not.toContain("server.lab01.consul");
    expect(request.dns_names).toContain("client.global.nomad");
  });
});

describe("a production cluster", () => {
  it("turns on delete and rebuild protection", () => {
    const stack = synthCluster({ tier: "production" });
    for (const server of Object.values<any>(resourcesOf(stack, "hcloud_server"))) {
      expect(server.delete_protection).toBe(true);
      expect(server.rebuild_protection).toBe(true);
    }
    expect(Object.values<any>(resourcesOf(stack, "hcloud_network"))[0].delete_protection).toBe(true);
  });
});
