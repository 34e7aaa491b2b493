import { Price, PriceTable } from "./prices";

/** One priced line: `quantity` units of `item` at `unitPrice` EUR/month. */
export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  /** null: the table has no figure for it (counted as unpriced, not as zero). */
  readonly unitPrice: number | null;
  readonly status: Price["status"];
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  /** Sum of the priced lines, EUR/month, rounded to cents. */
  readonly total: number;
  /** Items the estimate cannot price (unknown type, value known only at apply time). */
  readonly unpriced: readonly string[];
  readonly warnings: readonly string[];
}

type StackJson = Record<string, any>;

const EU_LOCATIONS = new Set(["fsn1", "nbg1", "hel1"]);

/** Line order of an estimate: what costs most first. */
const ITEM_ORDER = ["server", "load balancer", "volume", "object storage", "primary", "floating"];
/** The Hetzner CSI driver's plugin id: nomad_csi_volume resources with it are Hetzner Cloud Volumes. */
const HETZNER_CSI_PLUGIN = "csi.hetzner.cloud";
/** A restic repository in a backup job's jobspec (constructs/backups): one per backed-up volume. */
const RESTIC_REPOSITORY = /RESTIC_REPOSITORY\s*=\s*"s3:/;

/** `count` of a resource body: a literal number, or 1. */
function countOf(body: any): number | string {
  if (body.count === undefined) return 1;
  return typeof body.count === "number" ? body.count : String(body.count);
}

/** A block cdktf renders as an object or a one-element list. */
function block(value: any): any {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The monthly cost of the Hetzner resources in some synthesized stacks: servers by type
 * (times `count`), the primary IPv4 each server gets unless public_net turns it off or
 * names an hcloud_primary_ip, primary and floating IPs, volumes by size (hcloud_volume, and
 * apps' Hetzner CSI volumes), load balancers, and Object Storage's base fee when volumes are
 * backed up (restic stores at most the volumes' data, deduplicated and compressed: within the
 * included storage unless the backed-up volumes exceed it, which is warned about).
 */
export function estimateCost(stacks: readonly StackJson[], prices: PriceTable): CostEstimate {
  const quantities = new Map<string, { quantity: number; price: Price | undefined }>();
  const unpriced: string[] = [];
  const warnings: string[] = [];
  const volumeSizes = new Map<string, number>();
  const backedUp = new Set<string>();
  const add = (item: string, quantity: number, price: Price | undefined) => {
    const entry = quantities.get(item) ?? { quantity: 0, price };
    entry.quantity += quantity;
    quantities.set(item, entry);
  };
  const each = (stack: StackJson, type: string, fn: (name: string, body: any, count: number) => void) => {
    for (const [name, body] of Object.entries<any>(stack.resource?.[type] ?? {})) {
      const count = countOf(body);
      if (typeof count === "string") unpriced.push(`${type}.${name}: count ${count} is known only at apply time`);
      else fn(`${type}.${name}`, body, count);
    }
  };
  const literal = (address: string, what: string, value: unknown): string | undefined => {
    if (typeof value === "string" && !value.includes("${")) return value;
    unpriced.push(`${address}: ${what} ${JSON.stringify(value)} is known only at apply time`);
    return undefined;
  };

  for (const stack of stacks) {
    each(stack, "hcloud_server", (address, body, count) => {
      const type = literal(address, "server_type", body.server_type);
      if (type) add(`server ${type}`, count, prices.serverTypes[type]);
      if (typeof body.location === "string" && !body.location.includes("${") && !EU_LOCATIONS.has(body.location)) {
        warnings.push(`${address}: location ${body.location} costs more than the table's ${prices.locations}`);
      }
      const publicNet = block(body.public_net) ?? {};
      if (publicNet.ipv4_enabled !== false && publicNet.ipv4 === undefined) add("primary IPv4", count, prices.primaryIp.ipv4);
      if (publicNet.ipv6_enabled !== false && publicNet.ipv6 === undefined) add("primary IPv6", count, prices.primaryIp.ipv6);
    });
    each(stack, "hcloud_primary_ip", (address, body, count) => {
      const type = literal(address, "type", body.type) as "ipv4" | "ipv6" | undefined;
      if (type) add(`primary ${type.replace("ip", "IP")}`, count, prices.primaryIp[type]);
    });
    each(stack, "hcloud_floating_ip", (address, body, count) => {
      const type = literal(address, "type", body.type) as "ipv4" | "ipv6" | undefined;
      if (type) add(`floating ${type.replace("ip", "IP")}`, count, prices.floatingIp[type]);
    });
    each(stack, "hcloud_volume", (address, body, count) => {
      if (typeof body.size === "number") add("volume GB", body.size * count, prices.volumePerGb);
      else unpriced.push(`${address}: size ${JSON.stringify(body.size)} is known only at apply time`);
    });
    each(stack, "nomad_csi_volume", (address, body, count) => {
      if (body.plugin_id !== HETZNER_CSI_PLUGIN) return;
      const gib = typeof body.capacity_min === "string" ? /^(\d+)GiB$/.exec(body.capacity_min) : null;
      if (gib) add("volume GB", Number(gib[1]) * count, prices.volumePerGb);
      else unpriced.push(`${address}: capacity_min ${JSON.stringify(body.capacity_min)} is not a size in GiB known at synth`);
      if (gib) volumeSizes.set(body.volume_id, Number(gib[1]));
    });
    for (const body of Object.values<any>(stack.resource?.nomad_job ?? {})) {
      const jobspec = String(body.jobspec ?? "");
      const source = /volume "[^"]*" \{[^}]*source\s*=\s*"([^"]+)"/.exec(jobspec);
      if (RESTIC_REPOSITORY.test(jobspec) && source) backedUp.add(source[1]);
    }
    each(stack, "hcloud_load_balancer", (address, body, count) => {
      const type = literal(address, "load_balancer_type", body.load_balancer_type);
      if (type) add(`load balancer ${type}`, count, prices.loadBalancerTypes[type]);
    });
  }

  if (backedUp.size > 0) {
    add("object storage (backups)", 1, prices.objectStorage);
    const gb = [...backedUp].reduce((sum, id) => sum + (volumeSizes.get(id) ?? 0), 0);
    if (gb > prices.objectStorage.includedGb) {
      warnings.push(`backed-up volumes total ${gb} GB, more than the ${prices.objectStorage.includedGb} GB Object Storage includes: storage beyond it costs extra`);
    }
  }

  const lines: CostLine[] = [];
  const rank = (item: string) => ITEM_ORDER.findIndex((prefix) => item.startsWith(prefix));
  const sorted = [...quantities].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  for (const [item, { quantity, price }] of sorted) {
    if (quantity === 0) continue;
    if (price === undefined || price.monthly === null) unpriced.push(`${quantity} × ${item}: no price in the table`);
    lines.push({ item, quantity, unitPrice: price?.monthly ?? null, status: price?.status ?? "unverified" });
  }
  const total = cents(lines.reduce((sum, l) => sum + (l.unitPrice ?? 0) * l.quantity, 0));
  return { lines, total, unpriced, warnings };
}

export function cents(amount: number): number {
  return Math.round(amount * 100) / 100;
}

/** "€12.34" */
export function euros(amount: number): string {
  return `€${amount.toFixed(2)}`;
}

/** A plain-text table of an estimate, ending with the total and the price table's date. */
export function formatEstimate(title: string, estimate: CostEstimate, prices: PriceTable): string {
  const rows = estimate.lines.map((l) => {
    const unit = l.unitPrice === null ? "?" : euros(l.unitPrice);
    const sum = l.unitPrice === null ? "unpriced" : euros(cents(l.unitPrice * l.quantity));
    const mark = l.status === "unverified" ? " *" : "";
    return [`${l.quantity} × ${l.item}`, unit, sum + mark];
  });
  const width = Math.max(20, ...rows.map((r) => r[0].length));
  const out = [`${title} (${prices.currency} per month, VAT ${prices.vat}, prices of ${prices.date})`];
  for (const [what, unit, sum] of rows) out.push(`  ${what.padEnd(width)}  ${unit.padStart(9)}  ${sum.padStart(11)}`);
  if (rows.length === 0) out.push("  (no Hetzner resources)");
  out.push(`  ${"Total".padEnd(width)}  ${"".padStart(9)}  ${euros(estimate.total).padStart(11)}`);
  if (estimate.lines.some((l) => l.status === "unverified")) out.push("  * unverified price: see pricing/README.md");
  for (const u of estimate.unpriced) out.push(`  not in the total: ${u}`);
  for (const w of estimate.warnings) out.push(`  warning: ${w}`);
  return out.join("\n");
}
