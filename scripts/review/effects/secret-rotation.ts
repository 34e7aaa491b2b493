import { Effect, Finding } from "./effect";

/** Resources whose replacement yields a new secret value. */
const SECRET_TYPES = new Set([
  "random_password",
  "random_uuid",
  "random_id",
  "random_bytes",
  "random_string",
  "tls_private_key",
  "tls_cert_request",
  "tls_locally_signed_cert",
  "tls_self_signed_cert",
  "nomad_acl_token",
  "consul_acl_token",
]);

/**
 * Which secrets rotate: a replaced generator (random_*, tls_*) or token produces a new value,
 * which everything reading it receives on this apply (agents re-delivered their keys and
 * tokens, jobs their variables); a changed nomad_variable holds new secret items.
 */
export const secretRotation: Effect = ({ stacks }) => {
  const findings: Finding[] = [];
  for (const stack of stacks) {
    const rotated = stack.changes.filter((c) => c.action === "replace" && SECRET_TYPES.has(c.type)).map((c) => c.constructPath ?? c.address);
    if (rotated.length > 0) findings.push({ severity: "warning", text: `${stack.stack}: secrets rotate: ${rotated.join(", ")}.` });
    const variables = stack.changes.filter((c) => c.type === "nomad_variable" && c.action === "update" && c.attributes.some((a) => a.path.startsWith("items")));
    for (const v of variables) findings.push({ severity: "info", text: `${stack.stack}: the secret items of ${v.constructPath ?? v.address} change.` });
  }
  return findings;
};
