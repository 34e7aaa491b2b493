import { parse } from "@cdktf/hcl2json";

/** Parses HCL with HashiCorp's own HCL parser (compiled to wasm), as Nomad and Consul would. */
export async function parseHcl(text: string, filename = "input.hcl"): Promise<Record<string, any>> {
  return parse(filename, text);
}
