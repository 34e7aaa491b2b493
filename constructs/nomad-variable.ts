import { TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { clusterFactsOf, factSource } from "./cluster-facts";
import { NomadVariableResource } from "./providers";
import { SecretInput, secretInputProblems } from "./secrets";
import { escapeTerraformTemplate, NOMAD_NAME, terraformTextProblem, throwIfProblems } from "./core";

export interface NomadVariableProps {
  /**
   * The variable's path. A job's tasks read `nomad/jobs/<job>` (and `/<group>`,
   * `/<group>/<task>` below it) without any policy.
   */
  readonly path: string;
  /** @default "default" */
  readonly namespace?: string;
  /**
   * Item names and the secrets that supply them: sensitive Terraform variables without a
   * default, so secrets come from the deployer's environment (`TF_VAR_<name>`), never from the
   * code, or a reference to another sensitive value (e.g. `randomPassword.result`). Literals,
   * defaults and expressions that may wrap a literal (`Fn.lower("…")`) fail synth.
   */
  readonly items: Readonly<Record<string, SecretInput>>;
}

const PATH = /^[a-zA-Z0-9_~/-]{1,128}$/;

/** A Nomad variable (`nomad_variable`) whose items are secrets supplied at deploy time. */
export class NomadVariable extends Construct {
  readonly path: string;
  readonly namespace: string;
  readonly resource: NomadVariableResource;

  constructor(scope: Construct, id: string, props: NomadVariableProps) {
    super(scope, id);
    this.path = props.path;
    this.namespace = props.namespace ?? "default";
    const problems = [...pathProblems(props.path), ...this.namespaceProblems()];
    const entries = Object.entries(props.items);
    if (entries.length === 0) problems.push("it has no items; give it at least one");
    for (const [name, secret] of entries) {
      problems.push(...secretInputProblems(`item "${name}"`, secret));
      const text = terraformTextProblem(`item name "${name}"`, name);
      if (text) problems.push(text);
    }
    throwIfProblems(this, `invalid Nomad variable "${props.path}"`, problems);
    this.resource = new NomadVariableResource(this, "Resource", {
      path: props.path,
      namespace: this.namespace,
      // Terraform reads the keys of an object as templates too: an item named "${x}" stays so.
      items: Object.fromEntries(
        entries.map(([name, secret]) => [escapeTerraformTemplate(name), secret instanceof TerraformVariable ? secret.stringValue : secret]),
      ),
    });
  }

  private namespaceProblems(): string[] {
    if (!Token.isUnresolved(this.namespace) && !NOMAD_NAME.test(this.namespace)) {
      return [`namespace "${this.namespace}" is not a Nomad namespace name: use 1-128 letters, digits and dashes (nomad/structs Namespace.Validate)`];
    }
    const facts = clusterFactsOf(this);
    const declared = facts?.namespaces;
    if (!facts || !declared || Token.isUnresolved(this.namespace) || declared.includes(this.namespace)) return [];
    return [`namespace "${this.namespace}" is not declared in this cluster (declared: ${declared.join(", ")}): use one of those, or add it to ${factSource(facts, "namespaces")}`];
  }
}

/** Nomad's own path rules (structs.ValidatePath). */
function pathProblems(path: string): string[] {
  if (!PATH.test(path)) return [`path "${path}" is invalid: use 1-128 of a-z A-Z 0-9 - _ ~ /`];
  const parts = path.split("/");
  if (parts[0] !== "nomad") return [];
  const allowed = (parts[1] === "jobs") || (parts[1] === "job-templates" && parts.length === 3);
  return allowed ? [] : [`path "${path}" is reserved: below "nomad/" only "nomad/jobs/..." and "nomad/job-templates/<name>" are allowed`];
}
