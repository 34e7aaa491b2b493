/**
 * References between resources of one stack (`${type.name.attr}` inside any string, and
 * `depends_on`), which decide what a replacement drags along and in which order Terraform
 * applies changes.
 */

export interface Reference {
  /** "hcloud_server.web" */
  readonly address: string;
  /** The first attribute after the address ("id"), absent for a whole-resource reference. */
  readonly attribute?: string;
}

const REFERENCE = /(?<![\w.-])([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)(?:\.([a-z_][a-z0-9_]*))?/g;

/** Every reference in `value` to one of `addresses` (interpolations only; a plain string is data). */
export function referencesIn(value: unknown, addresses: ReadonlySet<string>): Reference[] {
  const text = JSON.stringify(value ?? null);
  const found: Reference[] = [];
  for (const expr of text.match(/(?<!\$)\$\{[^}]*\}/g) ?? []) {
    for (const m of expr.matchAll(REFERENCE)) {
      const address = `${m[1]}.${m[2]}`;
      if (addresses.has(address)) found.push({ address, attribute: m[3] });
    }
  }
  return found;
}

/** A lifecycle list entry (`"hcloud_server.web.id"` or `"${hcloud_server.web}"`) as a Reference. */
export function parseReference(entry: string, addresses: ReadonlySet<string>): Reference | undefined {
  const bare = entry.replace(/^\$\{(.*)\}$/s, "$1").trim();
  const [type, name, attribute] = bare.split(".");
  const address = `${type}.${name}`;
  return addresses.has(address) ? { address, attribute } : undefined;
}

/** The addresses a resource body depends on: explicit depends_on and references. */
export function dependenciesOf(body: any, addresses: ReadonlySet<string>): Set<string> {
  const deps = new Set<string>(referencesIn(body, addresses).map((r) => r.address));
  for (const entry of body?.depends_on ?? []) {
    const ref = parseReference(String(entry), addresses);
    if (ref) deps.add(ref.address);
  }
  return deps;
}
