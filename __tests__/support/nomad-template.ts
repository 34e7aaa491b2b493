import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { goProgram } from "./go";

/** What a Nomad template reads at render time. */
export interface TemplateWorld {
  readonly variables?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly services?: Readonly<Record<string, readonly { readonly Address: string; readonly Port: number }[]>>;
  readonly env?: Readonly<Record<string, string>>;
}

/** A Nomad template's data rendered by Go's text/template with consul-template's functions (nomad-template.go). */
export function renderNomadTemplate(data: string, world: TemplateWorld): string {
  return execFileSync(goProgram("nomad-template", join(__dirname, "nomad-template.go")), [], {
    input: JSON.stringify({ data, variables: {}, services: {}, env: {}, ...world }),
    encoding: "utf8",
  });
}
