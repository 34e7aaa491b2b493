import { estimateCost } from "../scripts/cost/estimate";
import { loadPriceTable, PriceTable } from "../scripts/cost/prices";
import { runNodeScript } from "./support/npm-script";

/** `npm run cost -- <args>`. */
const runCost = (...args: string[]) => runNodeScript("cost", args);

describe("npm run cost", () => {
  test("prices lab: three cx23 hosts with a primary IPv4 and IPv6 each", () => {
    // By hand, from pricing/hetzner-prices.json: 3 × 3.99 (cx23) + 3 × 0.50 (IPv4) + 3 × 0 (IPv6) = 13.47.
    const { status, stdout } = runCost("lab");
    expect(status).toBe(0);
    expect(stdout).toContain("Monthly cost of lab (EUR per month, VAT excluded, prices of 2026-05-27)");
    expect(stdout).toMatch(/3 × server cx23\s+€3\.99\s+€11\.97/);
    expect(stdout).toMatch(/3 × primary IPv4\s+€0\.50\s+€1\.50/);
    // Gitea's 10 GB volume and the backup bucket's base fee come with it.
    expect(stdout).toMatch(/10 × volume GB\s+€0\.06\s+€0\.57/);
    expect(stdout).toMatch(/Total\s+€19\.03/);
  });

  test("dev has no Hetzner resources and costs nothing", () => {
    const { status, stdout } = runCost("dev");
    expect(status).toBe(0);
    expect(stdout).toContain("(no Hetzner resources)");
    expect(stdout).toMatch(/Total\s+€0\.00/);
  });

  test("home runs on the operator's own machines: nothing priced, and it says the hardware is not", () => {
    const { status, stdout } = runCost("home");
    expect(status).toBe(0);
    expect(stdout).toMatch(/Total\s+€0\.00/);
    expect(stdout).toContain("not in the total: 3 hosts of your own (LAN, over SSH): hardware and power are not priced");
  });

  test("fails on an unknown environment, naming the known ones", () => {
    const { status, stderr } = runCost("staging");
    expect(status).toBe(1);
    expect(stderr).toContain('unknown environment "staging"; name one of lab, home, dev');
  });
});

describe("estimateCost", () => {
  const prices: PriceTable = loadPriceTable();

  test("counts servers by type and count, their primary IPs, standalone IPs, volumes and load balancers", () => {
    const stack = {
      resource: {
        hcloud_server: {
          a: { server_type: "cx33", count: 2 },
          b: { server_type: "cax11", public_net: [{ ipv4_enabled: false, ipv6_enabled: true }] },
          c: { server_type: "cx23", public_net: [{ ipv4: "${hcloud_primary_ip.c.id}" }] },
        },
        hcloud_primary_ip: { c: { type: "ipv4" } },
        hcloud_volume: { data: { size: 50 } },
        hcloud_load_balancer: { ingress: { load_balancer_type: "lb11" } },
      },
    };
    const estimate = estimateCost([stack], prices);
    // By hand: 2 × 6.49 + 3.79 + 3.99 + 3 × 0.50 (a, a, c) + 50 × 0.0572 + 5.39 = 30.51
    expect(estimate.total).toBe(30.51);
    expect(estimate.lines.find((l) => l.item === "primary IPv4")?.quantity).toBe(3);
    expect(estimate.lines.find((l) => l.item === "primary IPv6")?.quantity).toBe(4);
    expect(estimate.unpriced).toEqual([]);
  });

  test("lists what it cannot price instead of counting it as free", () => {
    const stack = {
      resource: {
        hcloud_server: { a: { server_type: "${var.server_type}" }, b: { server_type: "cx99", count: "${var.n}" } },
        hcloud_floating_ip: { vip: { type: "ipv4" } },
      },
    };
    const estimate = estimateCost([stack], prices);
    expect(estimate.unpriced).toEqual([
      'hcloud_server.a: server_type "${var.server_type}" is known only at apply time',
      "hcloud_server.b: count ${var.n} is known only at apply time",
      "1 × floating IPv4: no price in the table",
    ]);
  });

  test("prices apps' Hetzner CSI volumes by GB and their backups as Object Storage's base fee", () => {
    const stack = {
      resource: {
        nomad_csi_volume: {
          data: { plugin_id: "csi.hetzner.cloud", volume_id: "gitea-data", capacity_min: "10GiB" },
          other: { plugin_id: "nfs", volume_id: "x", capacity_min: "500GiB" },
        },
        nomad_job: { backup: { jobspec: 'job "gitea-data-restic" {\n  group "restic" {\n    volume "data" {\n      type   = "csi"\n      source = "gitea-data"\n    }\n    task "restic" {\n      env {\n        RESTIC_REPOSITORY = "s3:https://x/b/lab/default/gitea-data"\n      }\n    }\n  }\n}\n' } },
      },
    };
    const estimate = estimateCost([stack], prices);
    // By hand: 10 × 0.0572 + 4.99 = 5.562 → 5.56; the NFS volume is not Hetzner's.
    expect(estimate.lines.map((l) => [l.item, l.quantity])).toEqual([
      ["volume GB", 10],
      ["object storage (backups)", 1],
    ]);
    expect(estimate.total).toBe(5.56);
    expect(estimate.warnings).toEqual([]);
    const big = { resource: { ...stack.resource, nomad_csi_volume: { data: { ...stack.resource.nomad_csi_volume.data, capacity_min: "2000GiB" } } } };
    expect(estimateCost([big], prices).warnings[0]).toContain("backed-up volumes total 2000 GB, more than the 1024 GB");
  });

  test("warns that US and Singapore locations cost more than the table says", () => {
    const estimate = estimateCost([{ resource: { hcloud_server: { a: { server_type: "cx23", location: "ash" } } } }], prices);
    expect(estimate.warnings[0]).toContain("hcloud_server.a: location ash costs more");
  });
});

describe("pricing/hetzner-prices.json", () => {
  const prices = loadPriceTable();

  test("is dated and cites a known source for every price", () => {
    expect(prices.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const all = [
      ...Object.values(prices.serverTypes),
      ...Object.values(prices.primaryIp),
      ...Object.values(prices.floatingIp),
      prices.volumePerGb,
      prices.objectStorage,
      ...Object.values(prices.loadBalancerTypes),
    ];
    for (const price of all) {
      expect(Object.keys(prices.sources)).toContain(price.source);
      expect(["api", "third-party", "unverified"]).toContain(price.status);
      if (price.monthly === null) expect(price.status).toBe("unverified");
    }
  });

  test("has the current server types, none of the deprecated cx22 / cpx11 generation", () => {
    expect(Object.keys(prices.serverTypes)).toEqual(expect.arrayContaining(["cx23", "cx33", "cx43", "cx53", "cax11", "cax21", "cax31", "cax41", "cpx22"]));
    expect(Object.keys(prices.serverTypes)).not.toContain("cx22");
    expect(Object.keys(prices.serverTypes)).not.toContain("cpx11");
  });
});
