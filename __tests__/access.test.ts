import { Testing, TerraformStack } from "cdktf";
import { Access } from "../constructs/access";

describe("Access", () => {
  const build = (props: Partial<ConstructorParameters<typeof Access>[2]>) => () =>
    new Access(new TerraformStack(Testing.app(), "test"), "Access", {
      namespaces: ["default", "dev", "ops", "dns"],
      managementOnly: ["ops"],
      infrastructure: ["dns"],
      ...props,
    });

  it("fails with every problem at once: the developer namespace and each bad token holder", () => {
    expect(build({ developerNamespace: "dns", operators: ["Ada"], developers: ["max", "max"] })).toThrow(
      /^test\/Access: invalid access:\n  - developerNamespace "dns" is an infrastructure namespace: .*\n  - token holder "Ada" is not a valid name; .*\n  - token holder "max" is listed twice; /,
    );
  });

  it("fails on a developer namespace that is a glob or not declared", () => {
    expect(build({ developerNamespace: "dev-*" })).toThrow(/developerNamespace "dev-\*" is not a namespace name: a glob or pattern would reach every namespace it matches/);
    expect(build({ developerNamespace: "staging" })).toThrow(/developerNamespace "staging" is not declared \(declared: default, dev, ops, dns\)/);
  });

  it("gives every person one token with their role", () => {
    const access = build({ operators: ["ada"], developers: ["max"] })();
    expect([...access.tokens.keys()]).toEqual(["ada", "max"]);
  });
});
