import { DataResource, TerraformStack } from "cdktf";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addDependsOn } from "../constructs/core";
import { synthApp } from "./support/synth";
import { requireTool } from "./support/tools";

describe("addDependsOn", () => {
  it("writes depends_on as a bare address, which terraform validate accepts", () => {
    requireTool("terraform");
    const stack = synthApp((app) => {
      const scope = new TerraformStack(app, "test");
      const first = new DataResource(scope, "first", { input: { value: "a" } });
      addDependsOn(new DataResource(scope, "second", { input: { value: "b" } }), first);
    }).test;
    expect(stack.resource.terraform_data.second.depends_on).toEqual(["terraform_data.first"]);
    const dir = mkdtempSync(join(tmpdir(), "hashilab-depends-on-"));
    try {
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ resource: stack.resource }));
      const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
      execFileSync("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, env, stdio: "pipe" });
      expect(execFileSync("terraform", ["validate", "-no-color"], { cwd: dir, env, encoding: "utf8" })).toContain("The configuration is valid");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
