/**
 * What test files get for `@cdktf/hcl2json` (jest.config.js maps it here): the real package's
 * `parse`, from the one copy of it that the test environment loads per worker
 * (test-environment.ts), not a copy per test file. jest gives each test file a fresh module
 * registry, and each copy of hcl2json reads, unzips and instantiates its parser (HashiCorp's
 * HCL library, a Go program compiled to WebAssembly) and starts its Go runtime anew.
 */
export const WORKER_HCL2JSON = Symbol.for("hashilab.test.hcl2json");

export interface WorkerHcl2json {
  /** hcl2json's `parse`, its result and its errors made in the calling test file's realm. */
  parse(filename: string, contents: string): Promise<Record<string, any>>;
}

export async function parse(filename: string, contents: string): Promise<Record<string, any>> {
  const shared = (globalThis as { [WORKER_HCL2JSON]?: WorkerHcl2json })[WORKER_HCL2JSON];
  if (!shared) throw new Error("@cdktf/hcl2json is the test environment's (test-environment.ts): run the tests with jest.config.js");
  return shared.parse(filename, contents);
}
