/**
 * The DNS names hashilab writes (the lab domain, public hostnames, Cloudflare zones): two or more
 * lowercase LDH labels (letters, digits, inner hyphens) without a trailing dot. Cloudflare's
 * limits (developers.cloudflare.com/dns/manage-dns-records/reference/dns-record-types, "A and
 * AAAA": labels of 63 characters or less, 253 characters in all) and RFC 1035 section 2.3.4 bound
 * the lengths; Cloudflare returns names lowercase and without the trailing dot, so any other
 * spelling diffs at every plan; and the names also become TLS certificate names and Traefik
 * Host rules, which need hostnames (RFC 1123), not arbitrary DNS octets or underscores.
 */
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const MAX_LABEL = 63;
const MAX_NAME = 253;

/** Why `name` is not such a name, in words a user can act on; undefined when it is one. */
export function dnsNameProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (name.endsWith(".")) return `ends in a dot; write it without the trailing dot ("${name.replace(/\.+$/, "").toLowerCase()}")`;
  if (name !== name.toLowerCase()) return `has upper-case letters; DNS names are written lowercase here ("${name.toLowerCase()}")`;
  if (name.length > MAX_NAME) return `is ${name.length} characters long; a DNS name has at most ${MAX_NAME}`;
  const labels = name.split(".");
  if (labels.length < 2) return `is a single label; use a fully qualified name such as "${name}.example.com"`;
  for (const label of labels) {
    if (label.length === 0) return "has an empty label (two dots in a row, or a leading dot)";
    if (label.length > MAX_LABEL) return `has the label "${label.slice(0, 20)}…" of ${label.length} characters; a label has at most ${MAX_LABEL}`;
    if (!LABEL.test(label)) {
      return `has the label ${JSON.stringify(label)}; a label is letters a-z, digits and inner hyphens (no underscores, spaces or other characters; write an internationalized name in its xn-- form)`;
    }
  }
  return undefined;
}
