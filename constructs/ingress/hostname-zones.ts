import { dnsNameProblem } from "../core";

/**
 * Which namespace owns which hostnames. A zone is a DNS name: it covers itself and every name
 * under it. The most specific zone decides (like DNS delegation), so "dev.lab.example.com" can
 * belong to `dev` inside a "lab.example.com" that belongs to `default`. A namespace with
 * zones may route only names its zones cover; one without zones may route any name no other
 * namespace's zone covers.
 */
export class HostnameZones {
  private readonly owners: ReadonlyMap<string, string>;

  constructor(private readonly zonesByNamespace: Readonly<Record<string, readonly string[]>>) {
    const owners = new Map<string, string>();
    for (const [namespace, zones] of Object.entries(zonesByNamespace)) {
      for (const zone of zones) owners.set(zone, namespace);
    }
    this.owners = owners;
  }

  /** The zones `namespace` owns (none: it may route names outside every owned zone). */
  public zonesOf(namespace: string): readonly string[] {
    return this.zonesByNamespace[namespace] ?? [];
  }

  /** The most specific zone covering `hostname`, and its namespace. */
  public ownerOf(hostname: string): { zone: string; namespace: string } | undefined {
    for (let name = hostname; name.includes("."); name = name.slice(name.indexOf(".") + 1)) {
      const namespace = this.owners.get(name);
      if (namespace !== undefined) return { zone: name, namespace };
    }
    return undefined;
  }

  /** Why `namespace` may not route `hostname`, or undefined when it may. */
  public refusal(namespace: string, hostname: string): string | undefined {
    const owner = this.ownerOf(hostname);
    if (owner && owner.namespace !== namespace) {
      return `"${hostname}" lies in the zone "${owner.zone}", which belongs to namespace "${owner.namespace}"`;
    }
    const own = this.zonesOf(namespace);
    if (!owner && own.length > 0) {
      return `"${hostname}" lies outside namespace "${namespace}"'s zones (${own.join(", ")}): use a name under one of them`;
    }
    return undefined;
  }

  /** Problems with the map itself: names that are not zones, a zone given to two namespaces. */
  public static problems(zonesByNamespace: Readonly<Record<string, readonly string[]>>): string[] {
    const problems: string[] = [];
    const seen = new Map<string, string>();
    for (const [namespace, zones] of Object.entries(zonesByNamespace)) {
      for (const zone of zones) {
        const nameProblem = dnsNameProblem(zone);
        if (nameProblem) {
          problems.push(`hostnameZones.${namespace}: "${zone}" ${nameProblem}`);
        } else if (seen.has(zone) && seen.get(zone) !== namespace) {
          problems.push(`hostnameZones: the zone "${zone}" is given to both "${seen.get(zone)}" and "${namespace}"; give each zone to one namespace`);
        }
        seen.set(zone, namespace);
      }
    }
    return problems;
  }
}
