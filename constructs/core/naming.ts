import { IConstruct } from "constructs";
import { throwIfProblems } from "./errors";

/** Construct ids are PascalCase, Nomad names kebab-case: "ItTools" → "it-tools", "ReadJobs" → "read-jobs", "Gitea2" → "gitea2". */
export function kebabCase(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .toLowerCase();
}

/** Ids kebabCase turns into a name without losing anything: ASCII letters and digits, words joined by "-" or "_". */
const NAMEABLE_ID = /^[A-Za-z0-9]+([-_][A-Za-z0-9]+)*$/;

/**
 * The Nomad name a construct's `id` stands for when the user set none (kebabCase), or a synth
 * error on `scope` when the id would be mangled on the way ("Café" once became "caf-", "My App"
 * "my-app"): the name is a public contract (renaming replaces the object), so it must be the
 * one the user can read in the id. `prop` is the prop that sets the name explicitly.
 */
export function nameFromId(scope: IConstruct, id: string, prop: string): string {
  const suggestion = id.normalize("NFD").replace(/[^A-Za-z0-9]+/g, "") || "MyApp";
  const problems = NAMEABLE_ID.test(id)
    ? []
    : [
        `construct id ${JSON.stringify(id)} does not turn into a Nomad name as written (it would become ${JSON.stringify(kebabCase(id))}): ` +
          `use ASCII letters and digits, words joined by "-" or "_" (e.g. "${suggestion}"), or set ${prop}`,
      ];
  throwIfProblems(scope, "invalid construct id", problems);
  return kebabCase(id);
}

/** Nomad's names of namespaces, ACL policies and roles (nomad/structs validNamespaceName): no globs, no dots. */
export const NOMAD_NAME = /^[a-zA-Z0-9-]{1,128}$/;
