import { NomadAclPolicy } from "../constructs/acl/nomad-acl-policy";
import { NomadAclRole } from "../constructs/acl/nomad-acl-role";
import { NomadAclToken } from "../constructs/acl/nomad-acl-token";
import { lab } from "../environments";
import { synthEnvironment } from "./support/synth";

// A job-bound policy given to a role or token: acl.nomad-acl-policy.test.ts.
describe("NomadAclRole and NomadAclToken", () => {
  it("fails on a role without policies or with an invalid name, and on a token that grants nothing", () => {
    expect(() => synthEnvironment(lab, ({ platform }) => new NomadAclRole(platform, "empty", { policies: [] }))).toThrow(/lab-platform\/empty: .*no policies/s);
    expect(() =>
      synthEnvironment(lab, ({ platform }) => new NomadAclRole(platform, "r", { roleName: "ops team", policies: [new NomadAclPolicy(platform, "p", { rules: { node: "read" } })] })),
    ).toThrow(/lab-platform\/r: .*role name "ops team" is invalid/s);
    expect(() => synthEnvironment(lab, ({ platform }) => new NomadAclToken(platform, "nothing", {}))).toThrow(/lab-platform\/nothing: invalid Nomad ACL token:\n  - .*grants nothing/);
  });

  it("fails on a second Nomad role of the same name, naming both constructs", () => {
    expect(() =>
      synthEnvironment(lab, ({ platform }) => {
        new NomadAclRole(platform, "more-operators", { roleName: "operators", policies: [new NomadAclPolicy(platform, "readers", { rules: { node: "read" } })] });
      }),
    ).toThrow(/^lab-platform\/more-operators: Nomad ACL role name "operators" is taken:\n  - lab-platform\/Default\/OperatorsRole in stack lab-platform already uses it; one of the two would be refused at apply/);
  });
});
