/**
 * The benchmarks' baseline: the smallest cdktf app, with one provider loaded by deep import
 * (as constructs/providers.ts loads every binding) and one resource. Whatever hashilab costs
 * beyond this is hashilab's own.
 */
import { App, TerraformStack } from "cdktf";
import { Namespace } from "@cdktf/provider-nomad/lib/namespace";
import { NomadProvider } from "@cdktf/provider-nomad/lib/provider";

export function buildBaseline(app: App): void {
  const stack = new TerraformStack(app, "baseline");
  new NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" });
  new Namespace(stack, "namespace", { name: "baseline" });
}
