import { Testing, TerraformStack, Token } from "cdktf";
import { Firewall } from "../.gen/providers/hcloud/firewall";
import { Network } from "../.gen/providers/hcloud/network";
import { HcloudProvider } from "../.gen/providers/hcloud/provider";
import { Server } from "../.gen/providers/hcloud/server";

// The bindings are generated offline from providers/hcloud/schema.json; these are the
// real provider's attribute names and types, so a schema mistake shows up here.
describe("generated hcloud bindings", () => {
  const app = Testing.app();
  const stack = new TerraformStack(app, "bindings");
  new HcloudProvider(stack, "hcloud", { pollInterval: "1s" });
  const network = new Network(stack, "net", { name: "lab", ipRange: "10.0.0.0/16", labels: { env: "lab" } });
  const firewall = new Firewall(stack, "fw", {
    name: "lab",
    rule: [{ direction: "in", protocol: "tcp", port: "22", sourceIps: ["198.51.100.7/32"], description: "ssh" }],
  });
  new Server(stack, "server", {
    name: "lab-1",
    serverType: "cx23",
    image: "debian-12",
    location: "nbg1",
    firewallIds: [Token.asNumber(firewall.id)],
    placementGroupId: 7,
    network: [{ networkId: Token.asNumber(network.id), ip: "10.0.10.11", aliasIps: ["10.0.10.2"] }],
    publicNet: [{ ipv4Enabled: true, ipv6Enabled: true }],
    deleteProtection: true,
    rebuildProtection: true,
    userData: "#cloud-config\n",
  });
  const json = JSON.parse(Testing.synth(stack));

  it("writes hcloud_server with the provider's attribute names and nested blocks", () => {
    const server = json.resource.hcloud_server.server;
    expect(server).toMatchObject({
      name: "lab-1",
      server_type: "cx23",
      image: "debian-12",
      location: "nbg1",
      placement_group_id: 7,
      delete_protection: true,
      rebuild_protection: true,
      user_data: "#cloud-config\n",
      public_net: [{ ipv4_enabled: true, ipv6_enabled: true }],
    });
    expect(server.firewall_ids).toEqual(["${hcloud_firewall.fw.id}"]);
    expect(server.network).toEqual([{ network_id: "${hcloud_network.net.id}", ip: "10.0.10.11", alias_ips: ["10.0.10.2"] }]);
  });

  it("writes hcloud_network and hcloud_firewall rules", () => {
    expect(json.resource.hcloud_network.net).toMatchObject({ name: "lab", ip_range: "10.0.0.0/16", labels: { env: "lab" } });
    expect(json.resource.hcloud_firewall.fw.rule).toEqual([
      { direction: "in", protocol: "tcp", port: "22", source_ips: ["198.51.100.7/32"], description: "ssh" },
    ]);
  });

  it("types ids and sets as the provider does", () => {
    const schema = require("../providers/hcloud/schema.json").provider_schemas["registry.terraform.io/hetznercloud/hcloud"];
    const server = schema.resource_schemas.hcloud_server.block;
    expect(server.attributes.firewall_ids.type).toEqual(["set", "number"]);
    expect(server.attributes.placement_group_id.type).toBe("number");
    expect(server.block_types.network.nesting_mode).toBe("set");
    expect(Object.keys(server.block_types.network.block.attributes)).toEqual(
      expect.arrayContaining(["network_id", "ip", "alias_ips"]),
    );
    expect(Object.keys(server.block_types.public_net.block.attributes)).toEqual(
      expect.arrayContaining(["ipv4_enabled", "ipv6_enabled"]),
    );
  });
});
