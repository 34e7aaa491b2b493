import { NomadJob, NomadJobProps, Task } from "../constructs";
import { cronProblem } from "../constructs/nomad-job/cron";
import { jobStack, LAB_LIKE_FACTS, synthJobStack, webGroup as group, webTask as web } from "./nomad-job.support";


/** Builds a job in a stack with lab-like facts; returns the error message it throws. */
function errorOf(props: Partial<NomadJobProps>, facts = LAB_LIKE_FACTS): string {
  const stack = jobStack(facts);
  try {
    new NomadJob(stack, "Web", { name: "web", groups: [group()], ...props });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected the job to be rejected");
}

describe("NomadJob validation", () => {
  it("names the construct path, what is wrong and how to fix it", () => {
    const message = errorOf({ namespace: "nope" });
    expect(message).toContain("test/Web: invalid Nomad job");
    expect(message).toContain('namespace "nope" is not declared (declared: default, dns, ingress)');
    expect(message).toContain("add it to namespaces in declareClusterFacts(...)");
  });

  it("fails when two jobs of one stack have the same id in the same namespace", () => {
    const stack = jobStack(LAB_LIKE_FACTS);
    new NomadJob(stack, "Web", { name: "web", groups: [group()] });
    expect(() => new NomadJob(stack, "WebAgain", { name: "web", groups: [group()] })).toThrow(
      /test\/WebAgain: Nomad job name "default\/web" is taken:\n  - test\/Web in stack test already uses it; .*give one a distinct name or another namespace/,
    );
    // The same id in another namespace is another job.
    expect(() => new NomadJob(stack, "WebInDns", { name: "web", namespace: "dns", groups: [group()] })).not.toThrow();
  });

  it("fails on an empty job name or one with spaces", () => {
    expect(errorOf({ name: "it tools" })).toContain("the job name must be non-empty, without spaces or NUL characters (Nomad's Job.Validate)");
  });

  it("accepts two group services when only one is unnamed (Nomad's services are unique by name and port)", () => {
    const services = [{ port: "http" }, { name: "metrics", port: "http" }];
    expect(() => new NomadJob(jobStack(LAB_LIKE_FACTS), "Web", { name: "web", groups: [group({ services })] })).not.toThrow();
  });

  it("fails when two services of a group have the same name and port", () => {
    const services = [{ port: "http" }, { port: "http" }];
    expect(errorOf({ groups: [group({ services })] })).toContain('group "web": the group has two services named by default on port "http"');
  });

  it("fails when a task has more than one unnamed service", () => {
    const task = web({ services: [{ port: "http" }, { port: "http" }] });
    expect(errorOf({ groups: [group({ tasks: [task] })] })).toContain('task "web": the task has two services named by default on port "http"');
  });

  it("fails when the services of one group use different providers", () => {
    const services = [{ name: "a", provider: "nomad" as const, port: "http" }];
    const task = web({ services: [{ name: "b", port: "http" }] });
    expect(errorOf({ groups: [group({ services, tasks: [task] })] })).toContain("mixes service providers (consul, nomad)");
  });

  it("fails when a nomad-provider service has a check other than http or tcp", () => {
    const services = [
      { name: "a", provider: "nomad" as const, port: "http", checks: [{ type: "grpc" as const, interval: "10s", timeout: "2s" }] },
    ];
    expect(errorOf({ groups: [group({ services })] })).toContain('has a "grpc" check, but the nomad provider only runs http and tcp checks');
  });

  it("fails when a static port is asked for on more allocations than there are clients", () => {
    const network = { mode: "host", ports: [{ label: "dns", static: 53 }] };
    expect(errorOf({ groups: [group({ count: 4, network, tasks: [web({ config: { image: "x" } })] })] })).toContain(
      "count 4 with static port(s) 53 needs 4 clients (a static port fits once per client), but there are 3 (clientCount in declareClusterFacts(...))",
    );
  });

  it("fails when distinct_hosts asks for more allocations than there are clients", () => {
    const constraints = [{ operator: "distinct_hosts", value: "true" }];
    expect(errorOf({ constraints, groups: [group({ count: 5 })] })).toContain("count 5 with a distinct_hosts constraint needs 5 clients");
  });

  it("fails when auto_promote is set on some groups with canaries but not all", () => {
    const groups = [
      group({ name: "a", update: { canary: 1, autoPromote: true } }),
      group({ name: "b", update: { canary: 1 } }),
    ];
    expect(errorOf({ groups })).toContain('auto_promote is set on groups "a" but not on "b"');
  });

  it("accepts auto_promote from the job's update block for every group", () => {
    const stack = jobStack(LAB_LIKE_FACTS);
    const groups = [group({ name: "a" }), group({ name: "b" })];
    expect(() => new NomadJob(stack, "Web", { name: "web", update: { canary: 1, autoPromote: true }, groups })).not.toThrow();
  });

  it.each(["/etc/app.conf", "output.txt", "usr/local/bin/x.sh", "local/../../etc/passwd", "${NOMAD_TASK_DIR}/x"])(
    "accepts template destination %s, which stays in the allocation directory as Nomad's Template.Validate requires",
    (destination) => {
      const task = web({ templates: [{ destination, data: "x" }] });
      expect(() => new NomadJob(jobStack(LAB_LIKE_FACTS), "Web", { name: "web", groups: [group({ tasks: [task] })] })).not.toThrow();
    },
  );

  it("fails when a template climbs out of the allocation directory", () => {
    const task = web({ templates: [{ destination: "../../../etc/passwd", data: "x" }] });
    expect(errorOf({ groups: [group({ tasks: [task] })] })).toContain(
      'template destination "../../../etc/passwd" climbs out of the allocation directory (Template.Validate). Write under local/, secrets/ or alloc/ (e.g. "local/passwd")',
    );
  });

  it("fails on durations Nomad cannot parse", () => {
    const message = errorOf({ update: { minHealthyTime: "10 seconds" }, groups: [group({ restart: { delay: "25" } })] });
    expect(message).toContain('update.minHealthyTime "10 seconds" is not a duration');
    expect(message).toContain('group "web" restart.delay "25" is not a duration');
  });

  it("fails when memory_max is below memory", () => {
    const task = web({ resources: { memoryMb: 512, memoryMaxMb: 256 } });
    expect(errorOf({ groups: [group({ tasks: [task] })] })).toContain("memoryMaxMb 256 is below memoryMb 512");
  });

  it("fails on a secrets tmpfs larger than the task's memory, or not a whole number of MB (Nomad's Resources.Validate)", () => {
    for (const secretsMb of [600, 0, 1.5, NaN]) {
      const task = web({ resources: { memoryMb: 512, secretsMb } });
      expect(errorOf({ groups: [group({ tasks: [task] })] })).toContain(`secretsMb ${secretsMb} must be a whole number of MB from 1 to memoryMb (512)`);
    }
  });

  it("fails on an invalid periodic cron", () => {
    const message = errorOf({ type: "batch", periodic: { crons: ["0 25 * * *"] } });
    expect(message).toContain('periodic cron "0 25 * * *" hour field "25" has "25" outside 0-23');
  });

  it("fails on a periodic service job", () => {
    expect(errorOf({ periodic: { crons: ["@daily"] } })).toContain('periodic needs type "batch" or "sysbatch"');
  });

  it("fails on a namespace the environment does not declare", () => {
    expect(errorOf({ namespace: "prod" })).toContain('namespace "prod" is not declared');
  });

  it("fails on a host_network the clients do not define", () => {
    const network = { mode: "bridge", ports: [{ label: "http", to: 80, hostNetwork: "tailscale" }] };
    expect(errorOf({ groups: [group({ network })] })).toContain(
      'port "http" uses host_network "tailscale", which the clients do not define (defined: private, public)',
    );
  });

  it("fails on a driver the clients do not enable", () => {
    const task: Task = { name: "backup", driver: "raw_exec", config: { command: "local/backup.sh" } };
    expect(errorOf({ groups: [group({ tasks: [task] })] })).toContain(
      "uses the raw_exec driver, which the clients do not enable (enabled: docker, podman, exec)",
    );
  });

  it("fails when a service names a port the group does not declare", () => {
    expect(errorOf({ groups: [group({ services: [{ name: "web", port: "htpp" }] })] })).toContain(
      'service "web" uses port "htpp", which the group\'s network does not declare',
    );
  });

  it("fails when a group added later breaks a rule, at the addGroup call", () => {
    const job = new NomadJob(jobStack(LAB_LIKE_FACTS), "Web", { name: "web" });
    expect(() => job.addGroup(group({ count: 9, constraints: [{ operator: "distinct_hosts" }] }))).toThrow(
      /test\/Web: invalid Nomad job:[\s\S]*count 9 with a distinct_hosts constraint/,
    );
  });

  it("fails at synth when a job never gets a group", () => {
    expect(() => synthJobStack((scope) => new NomadJob(scope, "Empty", { name: "empty" }))).toThrow(
      /\[test\/Empty\] job "empty": has no groups/,
    );
  });

  it("skips fact-based checks where no cluster facts are declared", () => {
    const stack = jobStack();
    expect(() => new NomadJob(stack, "Web", { name: "web", namespace: "anything", groups: [group({ count: 50 })] })).not.toThrow();
  });
});

describe("cron expressions", () => {
  it.each(["0 3 * * *", "*/15 * * * *", "0 0 1 JAN,JUL *", "0 9 * * MON-FRI", "@daily", "0 0 L * ?", "0 0 * * 5L", "0 0 0 1 1 ? 2030"])(
    "accepts %s",
    (cron) => expect(cronProblem(cron)).toBeUndefined(),
  );

  it.each([
    ["0 3 * *", "has 4 fields"],
    ["60 * * * *", 'minute field "60" has "60" outside 0-59'],
    ["* * 0 * *", 'day-of-month field "0" has "0" outside 1-31'],
    ["* * * FOO *", 'month field "FOO"'],
    ["*/0 * * * *", "has a step of 0"],
    ["@sometimes", 'unknown schedule "@sometimes"'],
  ])("rejects %s", (cron, problem) => expect(cronProblem(cron)).toContain(problem));
});
