import { readFileSync } from "node:fs";
import { join } from "node:path";

/** How far a price can be trusted; see pricing/README.md. */
export type PriceStatus = "api" | "third-party" | "unverified";

export interface Price {
  /** EUR per month excluding VAT; null where no figure could be verified at all. */
  readonly monthly: number | null;
  readonly status: PriceStatus;
  readonly asOf: string | null;
  readonly source: string;
}

/** pricing/hetzner-prices.json */
export interface PriceTable {
  readonly date: string;
  readonly currency: string;
  readonly vat: string;
  readonly locations: string;
  readonly serverTypes: Readonly<Record<string, Price>>;
  readonly primaryIp: Readonly<Record<"ipv4" | "ipv6", Price>>;
  readonly floatingIp: Readonly<Record<"ipv4" | "ipv6", Price>>;
  readonly volumePerGb: Price;
  /** Hetzner Object Storage's monthly base fee, which includes `includedGb` of storage (backups, snapshots). */
  readonly objectStorage: Price & { readonly includedGb: number };
  readonly loadBalancerTypes: Readonly<Record<string, Price>>;
  readonly sources: Readonly<Record<string, string>>;
}

export const PRICE_TABLE_PATH = join(__dirname, "..", "..", "pricing", "hetzner-prices.json");

export function loadPriceTable(path = PRICE_TABLE_PATH): PriceTable {
  return JSON.parse(readFileSync(path, "utf8")) as PriceTable;
}
