/** A lowercase DNS name of two or more labels, without a trailing dot: "lab.example.com". */
const DNS_NAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;

export function isDnsName(name: string): boolean {
  return DNS_NAME.test(name);
}
