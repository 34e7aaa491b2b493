import type { SynthesizedApp } from "../checkout";
import type { Effect, Finding } from "./effect";

/** Resource types that hold an app's data. */
const VOLUME_TYPES = ["nomad_csi_volume", "nomad_dynamic_host_volume", "hcloud_volume"] as const;

/** One risk to data a change brings, most dangerous first. */
export interface VolumeRisk {
  readonly severity: "data loss" | "refused" | "resize";
  readonly stack: string;
  readonly address: string;
  readonly message: string;
}

/** A volume's size in GiB: capacity_min ("10GiB") of Nomad volumes, size of hcloud_volume. */
function sizeGiB(type: string, body: any): number | undefined {
  if (type === "hcloud_volume") return typeof body.size === "number" ? body.size : undefined;
  const match = typeof body.capacity_min === "string" ? /^(\d+)GiB$/.exec(body.capacity_min) : null;
  return match ? Number(match[1]) : undefined;
}

const protectedFromDestroy = (body: any) => body?.lifecycle?.prevent_destroy === true;

/**
 * What a change from `before` to `after` (two synthesized apps) does to volumes, the data the
 * plan can lose: a removed volume (data loss, or refused by prevent_destroy), a replaced one
 * (its id or plugin changes: a new empty volume), lifted protection, a shrink (refused by
 * Nomad: capacity_max below the current capacity) and a growth. Sorted by severity.
 */
export function volumeRisks(before: SynthesizedApp, after: SynthesizedApp): VolumeRisk[] {
  const risks: VolumeRisk[] = [];
  for (const stack of new Set([...Object.keys(before), ...Object.keys(after)])) {
    for (const type of VOLUME_TYPES) {
      const old = before[stack]?.resource?.[type] ?? {};
      const now = after[stack]?.resource?.[type] ?? {};
      for (const [name, body] of Object.entries<any>(old)) {
        const address = `${type}.${name}`;
        const next = now[name];
        if (next === undefined) {
          risks.push(
            protectedFromDestroy(body)
              ? { severity: "refused", stack, address, message: `${address} is removed, and Terraform will refuse the plan (prevent_destroy): set retainOnDelete: false first to delete it and its data on purpose` }
              : { severity: "data loss", stack, address, message: `${address} is destroyed with all its data; restore from a backup if this is not intended` },
          );
          continue;
        }
        const identity = ["volume_id", "plugin_id", "name", "namespace"].filter((key) => body[key] !== next[key]);
        if (type !== "hcloud_volume" && identity.length > 0) {
          risks.push({ severity: "data loss", stack, address, message: `${address} is replaced by a new, empty volume (${identity.join(", ")} changed)` });
        }
        if (protectedFromDestroy(body) && !protectedFromDestroy(next)) {
          risks.push({ severity: "data loss", stack, address, message: `${address} loses prevent_destroy: a later change can delete it and its data` });
        }
        const from = sizeGiB(type, body);
        const to = sizeGiB(type, next);
        if (from !== undefined && to !== undefined && to < from) {
          risks.push({ severity: "refused", stack, address, message: `${address} shrinks from ${from} to ${to} GiB, which Nomad and Hetzner refuse (volumes only grow); keep ${from} GiB` });
        } else if (from !== undefined && to !== undefined && to > from) {
          risks.push({ severity: "resize", stack, address, message: `${address} grows from ${from} to ${to} GiB (in place; it cannot shrink back)` });
        }
      }
    }
  }
  const order = { "data loss": 0, refused: 1, resize: 2 } as const;
  return risks.sort((a, b) => order[a.severity] - order[b.severity] || a.address.localeCompare(b.address));
}

const SEVERITY: Record<VolumeRisk["severity"], Finding["severity"]> = { "data loss": "danger", refused: "warning", resize: "info" };

/** Volume risks as cluster effects: losing a volume's data is the most dangerous change a plan can have. */
export const volumeChanges: Effect = ({ before, after }) =>
  volumeRisks(before, after).map((risk) => ({ severity: SEVERITY[risk.severity], text: `${risk.stack}: ${risk.message}` }));
