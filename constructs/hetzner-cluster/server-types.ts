/**
 * Hetzner Cloud's names for new orders, as gathered on TABLE_DATE without API access (the
 * authoritative lists are `hcloud server-type list` and `hcloud location list`, i.e.
 * GET /v1/server_types and /v1/locations). Sources: the CX Gen 3 / CPX Gen 2 types that
 * replaced the deprecated CX Gen 2 / CPX Gen 1 at the end of 2025 (DESIGN.md; priced in
 * pricing/hetzner-prices.json); docs.cnap.tech/compute/providers/hetzner (cx23-cx43, cax11-cax31,
 * cpx22, cpx32; locations fsn1, nbg1, hel1, ash, hil); Pulumi's hcloud getServerType example
 * (cx23, 2026-02-17); a 2026-07 benchmark of cpx12; Hetzner's wiki on the dedicated-vCPU CCX
 * line (ccx13-ccx63). A type or location added since goes in the cluster's newServerTypes /
 * newLocations until this table is updated.
 */
export const TABLE_DATE = "2026-11-26";

/** Server types that can be ordered: shared x86 (cx, cpx), shared Arm (cax), dedicated x86 (ccx). */
export const HETZNER_SERVER_TYPES: readonly string[] = [
  "cx23", "cx33", "cx43", "cx53",
  "cpx12", "cpx22", "cpx32", "cpx42", "cpx52", "cpx62",
  "cax11", "cax21", "cax31", "cax41",
  "ccx13", "ccx23", "ccx33", "ccx43", "ccx53", "ccx63",
];

/** Locations and the network zone each belongs to (a subnet serves one zone). */
export const HETZNER_LOCATIONS: Readonly<Record<string, string>> = {
  fsn1: "eu-central",
  nbg1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
};

/**
 * Server types Hetzner deprecated at the end of 2025 (CX Gen 2, CPX Gen 1), each with the
 * current type of the same size. New servers of these types cannot be ordered any more.
 */
const DEPRECATED_SERVER_TYPES: Readonly<Record<string, string>> = {
  cx22: "cx23",
  cx32: "cx33",
  cx42: "cx43",
  cx52: "cx53",
  cpx11: "cpx12",
  cpx21: "cpx22",
  cpx31: "cpx32",
  cpx41: "cpx42",
  cpx51: "cpx52",
};

/** The current replacement when `serverType` is deprecated, else undefined. */
export function replacementForDeprecatedServerType(serverType: string): string | undefined {
  const name = serverType.toLowerCase();
  return Object.prototype.hasOwnProperty.call(DEPRECATED_SERVER_TYPES, name) ? DEPRECATED_SERVER_TYPES[name] : undefined;
}

/** Why `prop` = `serverType` cannot be ordered, with the fix; undefined when it can. */
export function serverTypeProblem(prop: string, serverType: string, newTypes: readonly string[]): string | undefined {
  const replacement = replacementForDeprecatedServerType(serverType);
  if (replacement) {
    return `${prop} "${serverType}" is deprecated by Hetzner (no new servers of it can be created); use "${replacement}" (same size, current generation) or an Arm type such as "cax11"`;
  }
  if (HETZNER_SERVER_TYPES.includes(serverType) || newTypes.includes(serverType)) return undefined;
  const lower = serverType.toLowerCase();
  const hint = lower !== serverType && HETZNER_SERVER_TYPES.includes(lower) ? ` (Hetzner's names are lowercase: "${lower}")` : "";
  return (
    `${prop} "${serverType}" is not a Hetzner server type${hint}; known as of ${TABLE_DATE}: ${HETZNER_SERVER_TYPES.join(", ")}. ` +
    `If Hetzner added it since, list it in newServerTypes`
  );
}

/** The network zone of `location`, from the table or the cluster's newLocations. */
export function networkZoneOf(location: string, newLocations: Readonly<Record<string, string>>): string | undefined {
  return Object.prototype.hasOwnProperty.call(newLocations, location)
    ? newLocations[location]
    : Object.prototype.hasOwnProperty.call(HETZNER_LOCATIONS, location)
      ? HETZNER_LOCATIONS[location]
      : undefined;
}
