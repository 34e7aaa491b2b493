import { sharedOncePerRun } from "./support/test-run";

/** The run's shared folder (support/test-run.ts), as test files in other workers meet it. */
describe("what one jest run's test files share", () => {
  const name = (what: string) => `test-run-${what}-${process.pid}`;

  it("is made by the first file that asks and read by the others, each getting objects of its own", () => {
    let made = 0;
    const make = () => ({ made: ++made, stacks: ["lab-hosts"] });
    const first = sharedOncePerRun(name("once"), make);
    const second = sharedOncePerRun(name("once"), make);
    expect(made).toBe(1);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
  });

  it("fails every file that asks after the maker failed, with the maker's error, instead of waiting for it", () => {
    expect(() =>
      sharedOncePerRun(name("failed"), () => {
        throw new Error("npm pack exited 1");
      }),
    ).toThrow("npm pack exited 1");
    expect(() => sharedOncePerRun(name("failed"), () => "never made")).toThrow(/another test file failed to make the shared test-run-failed-\d+:\nError: npm pack exited 1/);
  });
});
