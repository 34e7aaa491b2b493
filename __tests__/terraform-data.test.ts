import childProcess = require("node:child_process");
import { App, DataResource, Testing, TerraformStack } from "cdktf";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformData } from "../constructs/providers";

/** TerraformData: terraform_data as cdktf's DataResource writes it, without running Terraform at synth. */
describe("TerraformData", () => {
  const config = {
    input: { token: "${random_uuid.a.result}", n: 1 },
    triggersReplace: { script: "sha256" },
    provisioners: [{ type: "local-exec" as const, command: "echo hi" }],
    lifecycle: { ignoreChanges: ["input"] },
  };

  function synth(build: (stack: TerraformStack) => void): Record<string, any> {
    const stack = new TerraformStack(Testing.app(), "test");
    build(stack);
    return JSON.parse(Testing.synth(stack));
  }

  it("writes the same terraform_data block as cdktf's DataResource, and the same references", () => {
    const ours = synth((stack) => {
      const data = new TerraformData(stack, "Data", config);
      new TerraformData(stack, "Next", { input: { id: data.id, out: data.getStringAttribute("output.key") } });
    });
    const cdktfs = synth((stack) => {
      const data = new DataResource(stack, "Data", config);
      new DataResource(stack, "Next", { input: { id: data.id, out: data.getStringAttribute("output.key") } });
    });
    expect(ours.resource).toEqual(cdktfs.resource);
    expect(ours.resource.terraform_data.Next.input).toEqual({ id: "${terraform_data.Data.id}", out: "${terraform_data.Data.output.key}" });
  });

  it("validates without running Terraform (DataResource runs `terraform version` in a shell per instance)", () => {
    const stack = new TerraformStack(new App(), "test");
    const ours = new TerraformData(stack, "Data", config);
    const cdktfs = new DataResource(stack, "Cdktf", config);
    const execSync = jest.spyOn(childProcess, "execSync");
    try {
      expect(ours.node.validate()).toEqual([]);
      expect(execSync).not.toHaveBeenCalled();
      cdktfs.node.validate();
      expect(execSync).toHaveBeenCalledWith("terraform version", expect.anything());
    } finally {
      execSync.mockRestore();
    }
  });

  it("is the only terraform_data in the library, the stacks and the environments (no DataResource)", () => {
    const root = join(__dirname, "..");
    const users = ["constructs", "stacks", "environments", "apps", "policies"].flatMap((dir) =>
      readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
        .filter((file) => file.endsWith(".ts") && /\bnew DataResource\b|import [^;]*\bDataResource\b[^;]* from "cdktf"/.test(readFileSync(join(root, dir, file), "utf8")))
        .map((file) => join(dir, file)),
    );
    expect(users).toEqual([]);
  });
});
