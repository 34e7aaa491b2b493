import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Evaluates strings exactly as Terraform will: writes a configuration that has only
 * outputs (and whatever variables/locals `extra` adds), applies it with the real terraform
 * binary and returns each output's value. It needs no provider but Terraform's built-in one,
 * so it runs offline and without `terraform init`, which would install nothing.
 */
export function evaluateWithTerraform(
  outputs: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, any> {
  const dir = mkdtempSync(join(tmpdir(), "hashilab-tf-"));
  try {
    const config = {
      ...extra,
      output: Object.fromEntries(Object.entries(outputs).map(([name, value]) => [name, { value }])),
    };
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config, null, 2));
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
    const run = (...args: string[]) => execFileSync("terraform", args, { cwd: dir, env, encoding: "utf8", stdio: "pipe" });
    run("apply", "-input=false", "-no-color", "-auto-approve");
    const values = JSON.parse(run("output", "-json", "-no-color")) as Record<string, { value: any }>;
    return Object.fromEntries(Object.entries(values).map(([name, o]) => [name, o.value]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
