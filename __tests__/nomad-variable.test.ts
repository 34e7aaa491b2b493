import { TerraformVariable } from "cdktf";
import { NomadVariable } from "../constructs/nomad-variable";
import { lab } from "../environments";
import { synthEnvironment } from "./support/synth";

describe("NomadVariable", () => {
  it("fails on a Nomad variable fed by a non-sensitive Terraform variable", () => {
    expect(() =>
      synthEnvironment(lab, ({ platform }) => {
        const plain = new TerraformVariable(platform, "plain", { type: "string" });
        new NomadVariable(platform, "app-secret", { path: "nomad/jobs/app", items: { TOKEN: plain } });
      }),
    ).toThrow(/lab-platform\/app-secret: .*item "TOKEN" comes from variable lab-platform\/plain, which is not sensitive/s);
  });

  it("fails on a Nomad variable under a reserved path or in an undeclared namespace", () => {
    expect(() =>
      synthEnvironment(lab, ({ platform }) => {
        const secret = new TerraformVariable(platform, "secret", { type: "string", sensitive: true });
        new NomadVariable(platform, "v", { path: "nomad/other", namespace: "staging", items: { A: secret } });
      }),
    ).toThrow(/lab-platform\/v: .*path "nomad\/other" is reserved.*namespace "staging" is not declared/s);
  });

  it("fails on a Nomad variable with an invalid path, no items, or a literal instead of a variable", () => {
    expect(() =>
      synthEnvironment(lab, ({ platform }) => new NomadVariable(platform, "v", { path: "app/my.secret", items: { A: "literal" as unknown as TerraformVariable } })),
    ).toThrow(/lab-platform\/v: .*path "app\/my.secret" is invalid.*item "A" is a literal/s);
    expect(() => synthEnvironment(lab, ({ platform }) => new NomadVariable(platform, "w", { path: "app/x", items: {} }))).toThrow(/lab-platform\/w: .*no items/s);
  });
});
