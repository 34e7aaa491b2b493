import { IResolvable, ref, TerraformStack, TerraformVariable, Token, Tokenization } from "cdktf";

/**
 * A secret handed to a construct: a sensitive Terraform variable without a default, or a
 * string that is exactly one reference to a sensitive value (`variable.stringValue`,
 * `randomPassword.result`, `aclToken.secretId`, a remote-state output).
 */
export type SecretInput = TerraformVariable | string;

/** cdktf's reference class is not exported; every `ref()` is one. */
const REFERENCE = (ref("x") as object).constructor;

/** The fields of cdktf's Reference this check reads (private in its typings). */
interface ReferenceFields {
  readonly identifier: string;
  readonly originStack?: TerraformStack;
}

const HOW =
  "pass a sensitive TerraformVariable's value (a variable without a default, set with TF_VAR_<name> at deploy time) " +
  "or a sensitive resource attribute such as random_password.result";

/** What is wrong with a secret input, as "<field> ...; <fix>" lines (none when it is fine). */
export function secretInputProblems(field: string, value: SecretInput | undefined): string[] {
  if (value === undefined) return [];
  if (value instanceof TerraformVariable) return variableProblems(field, value);
  if (typeof value !== "string") return [`${field} is a ${typeof value}, not a secret reference; ${HOW}`];
  if (!Token.isUnresolved(value)) {
    return [`${field} is a literal; ${HOW}, so the secret stays out of the code, cdk.tf.json and the state`];
  }
  const fragments = Tokenization.reverseString(value);
  if (fragments.length !== 1 || fragments.firstToken === undefined) {
    return [`${field} mixes literal text with references, and the text would be written to cdk.tf.json in plain text; ${HOW}, alone`];
  }
  return referenceProblems(field, fragments.firstToken);
}

/** The fields of cdktf's FunctionCall (`Fn.*`) this check reads. */
interface FunctionCallFields {
  readonly name: string;
  readonly args: readonly unknown[];
}

function isFunctionCall(token: unknown): token is FunctionCallFields {
  const call = token as Partial<FunctionCallFields>;
  return typeof call?.name === "string" && Array.isArray(call.args);
}

/**
 * The references an expression is built from, or undefined when it holds a literal string (or
 * an expression this check cannot see into): `Fn.trimspace(variable.stringValue)` is built
 * from the variable alone, `Fn.lower("AKIA…")` holds the literal.
 */
function referencesOf(value: unknown): ReferenceFields[] | undefined {
  if (typeof value === "number" || typeof value === "boolean") return [];
  if (typeof value === "string") {
    if (!Token.isUnresolved(value)) return value === "" ? [] : undefined;
    const fragments = Tokenization.reverseString(value);
    // Typed IResolvable, but cdktf keeps each literal fragment as the plain string it was.
    if ((fragments.literals as unknown[]).some((literal) => literal !== "")) return undefined;
    return collect(fragments.tokens);
  }
  if (Array.isArray(value)) return collect(value);
  if (value instanceof REFERENCE) return [value as unknown as ReferenceFields];
  if (isFunctionCall(value)) return collect(value.args);
  return undefined;
}

function collect(values: readonly unknown[]): ReferenceFields[] | undefined {
  const all: ReferenceFields[] = [];
  for (const value of values) {
    const references = referencesOf(value);
    if (references === undefined) return undefined;
    all.push(...references);
  }
  return all;
}

function referenceProblems(field: string, token: IResolvable): string[] {
  const references = referencesOf(token);
  if (references === undefined || references.length === 0) {
    return [
      `${field} is a computed Terraform expression that holds a literal or something else than references ` +
        `(e.g. a function call such as lower("…")), not a reference to a sensitive value; ${HOW}`,
    ];
  }
  return references.flatMap((reference) => oneReferenceProblems(field, reference));
}

function oneReferenceProblems(field: string, { identifier, originStack }: ReferenceFields): string[] {
  const [kind, name] = identifier.split(".");
  if (kind === "local") {
    return [`${field} refers to local.${name}, which may hold a literal; pass the sensitive variable or resource attribute it is built from`];
  }
  if (kind !== "var") return []; // a resource, data source or remote-state attribute: a value Terraform holds, not a literal
  const variable = originStack?.node
    .findAll()
    .find((c): c is TerraformVariable => c instanceof TerraformVariable && c.friendlyUniqueId === name);
  return variable ? variableProblems(field, variable) : [`${field} refers to var.${name}, which is not declared; ${HOW}`];
}

function variableProblems(field: string, variable: TerraformVariable): string[] {
  const problems: string[] = [];
  const id = variable.friendlyUniqueId;
  if (variable.sensitive !== true) {
    problems.push(`${field} comes from variable ${variable.node.path}, which is not sensitive (Terraform would print it in plans); declare it with sensitive: true`);
  }
  if (variable.default !== undefined) {
    problems.push(
      `${field} comes from variable ${variable.node.path}, which has a default: cdktf writes the default to cdk.tf.json in plain text; ` +
        `remove the default and set TF_VAR_${id} at deploy time`,
    );
  }
  return problems;
}

