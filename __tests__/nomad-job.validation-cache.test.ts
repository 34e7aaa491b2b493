import { describePlainData } from "../constructs/core";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { NomadJob } from "../constructs/nomad-job";
import { jobStack, LAB_LIKE_FACTS, webGroup } from "./nomad-job.support";

/** NomadJob keeps its last validateJob result (synth validates each job again); it never reports a stale one. */
describe("NomadJob's validation cache", () => {
  it("reports a change made inside a group after the constructor validated it", () => {
    const group = webGroup();
    const job = new NomadJob(jobStack(LAB_LIKE_FACTS), "Web", { name: "web", groups: [group] });
    expect(job.node.validate()).toEqual([]);
    (group as { count?: number }).count = -1;
    expect(job.node.validate().join("\n")).toContain("count");
  });

  it("reports a change JSON does not show: a property made not enumerable after the constructor validated the job", () => {
    const group = webGroup();
    const job = new NomadJob(jobStack(LAB_LIKE_FACTS), "Web", { name: "web", groups: [group] });
    expect(job.node.validate()).toEqual([]);
    Object.defineProperty(group, "count", { value: -1, enumerable: false });
    expect(job.node.validate().join("\n")).toContain("count");
  });

  it("reports cluster facts declared after the constructor validated the job", () => {
    const stack = jobStack(LAB_LIKE_FACTS);
    const job = new NomadJob(stack, "Web", { name: "web", namespace: "dns", groups: [webGroup()] });
    expect(job.node.validate()).toEqual([]);
    declareClusterFacts(stack, { ...LAB_LIKE_FACTS, namespaces: ["default"] });
    expect(job.node.validate().join("\n")).toContain('"dns"');
  });
});

describe("describePlainData", () => {
  it("tells apart what JSON.stringify does not", () => {
    const pairs: [unknown, unknown][] = [
      [{ a: undefined }, {}],
      [[undefined], [null]],
      [NaN, null],
      [-0, 0],
      [Infinity, null],
      ["\0undefined", undefined],
    ];
    for (const [a, b] of pairs) expect(describePlainData(a)).not.toEqual(describePlainData(b));
  });

  it("has no description for what is not plain data", () => {
    expect(describePlainData({ at: new Date(0) })).toBeUndefined();
    expect(describePlainData({ produce: () => "x" })).toBeUndefined();
    expect(describePlainData({ toJSON: () => "x" })).toBeUndefined();
    expect(describePlainData(Object.defineProperty({}, "hidden", { value: 1, enumerable: false }))).toBeUndefined();
    expect(describePlainData({ [Symbol("s")]: 1 })).toBeUndefined();
  });
});
