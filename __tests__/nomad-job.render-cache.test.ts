import { NomadJob } from "../constructs/nomad-job";
import { jobspecsOf, jobStack, synthJobStack, webGroup, webTask } from "./nomad-job.support";

/** NomadJob keeps its last rendering (synth resolves each jobspec twice); it never shows a stale one. */
describe("NomadJob's rendering cache", () => {
  it("renders a group added after the first rendering", () => {
    const job = new NomadJob(jobStack(), "Web", { name: "web", groups: [webGroup()] });
    const before = job.renderHcl();
    job.addGroup(webGroup({ name: "second" }));
    expect(before).not.toContain('group "second"');
    expect(job.renderHcl()).toContain('group "second"');
  });

  it("renders a change made inside a group already rendered", () => {
    const group = webGroup();
    const job = new NomadJob(jobStack(), "Web", { name: "web", groups: [group] });
    expect(job.renderHcl()).not.toContain('task "sidecar"');
    (group.tasks as unknown[]).push(webTask({ name: "sidecar" }));
    expect(job.renderHcl()).toContain('task "sidecar"');
  });

  it("renders a change JSON does not show: a property made not enumerable after the first rendering", () => {
    const job = new NomadJob(jobStack(), "Web", { name: "web", groups: [webGroup()] });
    expect(job.renderHcl()).not.toMatch(/count\s*=\s*7/);
    Object.defineProperty(job.spec.groups[0], "count", { value: 7, enumerable: false });
    expect(job.renderHcl()).toMatch(/count\s*=\s*7/);
  });

  it("writes the jobspec of the last change to cdk.tf.json", () => {
    const stack = synthJobStack((scope) => {
      const job = new NomadJob(scope, "Web", { name: "web", groups: [webGroup()] });
      job.renderHcl();
      job.addGroup(webGroup({ name: "second" }));
    });
    expect(Object.values(jobspecsOf(stack)).join("\n")).toContain('group "second"');
  });
});
