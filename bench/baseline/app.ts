/**
 * The benchmarks' baseline: a minimal cdktf app that loads the same provider bindings as
 * hashilab (constructs/providers.ts: nomad, consul, random, tls, null, cloudflare, hcloud)
 * and creates one resource. Whatever hashilab costs beyond this is hashilab's own.
 */
import { App, TerraformStack } from "cdktf";
import * as providers from "../../constructs/providers";

export function buildBaseline(app: App): void {
  const stack = new TerraformStack(app, "baseline");
  new providers.NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" });
  new providers.NomadNamespace(stack, "namespace", { name: "baseline" });
}
