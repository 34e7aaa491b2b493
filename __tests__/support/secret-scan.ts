import { findSecretMaterial as findInText, findSecretsIn, SecretKind } from "../../constructs/secrets";
import { StackJson } from "./synth";

/** Plaintext secret material found where only references may be. */
export interface SecretFinding {
  /** e.g. "lab-acl" or "user-data of lab-server-1" */
  readonly where: string;
  readonly kind: SecretKind | "sensitive-default";
  /** The first characters only: a report must not leak what it found. */
  readonly excerpt: string;
}

/** Secret material in `text` outside Terraform references, by the library's own rules. */
export function findSecretMaterial(text: string, where: string): SecretFinding[] {
  return findInText(text).map(({ kind, excerpt }) => ({ where, kind, excerpt }));
}

/**
 * Scans every synthesized stack's whole cdk.tf.json as written (stack-level overrides
 * included) with the library's rules; a second look after synth's own check, independent of
 * the construct tree.
 */
export function scanStacksForSecrets(stacks: Record<string, StackJson>): SecretFinding[] {
  return Object.entries(stacks).flatMap(([name, stack]) => [
    ...findSecretsIn(stack, name).map(({ field, kind, excerpt }) => ({ where: `${name}: ${field}`, kind, excerpt })),
    ...Object.entries<any>(stack.variable ?? {})
      .filter(([, v]) => v.sensitive === true && v.default !== undefined)
      .map(([id]) => ({ where: `${name}: variable.${id}`, kind: "sensitive-default" as const, excerpt: "" })),
  ]);
}
