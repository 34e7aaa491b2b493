import { Job, NomadJob, renderJobHcl, TaskGroup } from "../constructs";
import { jobStack, LAB_LIKE_FACTS, parseJob, synthJobStack } from "./nomad-job.support";
import { resourcesOf } from "./support/synth";

const group = (extra: Partial<TaskGroup> = {}): TaskGroup => ({
  name: "web",
  network: { mode: "bridge", ports: [{ label: "http", to: 8080 }] },
  tasks: [{ name: "web", driver: "docker", config: { image: "nginx:1.27", ports: ["http"] }, resources: { cpuMhz: 200, memoryMb: 256 } }],
  ...extra,
});

const job = (extra: Partial<Job> = {}): Job => ({ name: "web", groups: [group()], ...extra });

describe("rendering a job to HCL", () => {
  it("writes nomad fmt style: aligned attributes, blocks after attributes, one blank line around blocks", () => {
    expect(renderJobHcl(job({ namespace: "default", datacenters: ["lab01"] }))).toBe(`job "web" {
  namespace   = "default"
  datacenters = ["lab01"]

  group "web" {
    network {
      mode = "bridge"

      port "http" {
        to = 8080
      }
    }

    task "web" {
      driver = "docker"

      config {
        image = "nginx:1.27"
        ports = ["http"]
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
`);
  });

  it("writes an empty block on one line, as for a dynamic port", () => {
    expect(renderJobHcl(job({ groups: [group({ network: { ports: [{ label: "http" }] } })] }))).toContain('    network {\n      port "http" {}\n    }');
  });

  it("turns a one-field change into a one-line diff", () => {
    const before = renderJobHcl(job()).split("\n");
    const after = renderJobHcl(job({ groups: [group({ tasks: [{ ...group().tasks[0], resources: { cpuMhz: 200, memoryMb: 512 } }] })] })).split(
      "\n",
    );
    expect(after).toHaveLength(before.length);
    expect(after.filter((line, i) => line !== before[i])).toEqual(["        memory = 512"]);
  });

  it("writes multi-line template data as a heredoc, choosing a marker the text does not contain", () => {
    const hcl = renderJobHcl(
      job({ groups: [group({ tasks: [{ ...group().tasks[0], templates: [{ destination: "local/a", data: "EOH\nline\n" }] }] })] }),
    );
    expect(hcl).toContain("data        = <<EOH1\nEOH\nline\nEOH1\n");
  });

  it("escapes quotes, backslashes and newlines in quoted strings", async () => {
    const meta = { quote: 'say "hi"', path: "C:\\temp", lines: "a\nb" };
    const hcl = renderJobHcl(job({ meta }));
    expect(hcl).toContain('quote = "say \\"hi\\""');
    expect((await parseJob(hcl)).web[0].meta).toEqual([meta]);
  });

  it("keeps multi-line strings inside lists quoted, where a heredoc cannot close cleanly", async () => {
    const args = ["-c", "echo one\necho two\n"];
    const hcl = renderJobHcl(job({ groups: [group({ tasks: [{ ...group().tasks[0], config: { image: "x", args } }] })] }));
    expect(hcl).toContain('args  = ["-c", "echo one\\necho two\\n"]');
    expect((await parseJob(hcl)).web[0].group.web[0].task.web[0].config[0].args).toEqual(args);
  });

  it("writes maps whose keys are not identifiers with the object syntax Nomad documents", async () => {
    const env = { "discovery.type": "single-node", JAVA_OPTS: "-Xmx1g" };
    const hcl = renderJobHcl(job({ groups: [group({ tasks: [{ ...group().tasks[0], env }] })] }));
    expect(hcl).toContain('      env = {\n        JAVA_OPTS        = "-Xmx1g"\n        "discovery.type" = "single-node"\n      }');
    expect((await parseJob(hcl)).web[0].group.web[0].task.web[0].env).toEqual(env);
  });

  it("breaks long lists one item per line", () => {
    const args = Array.from({ length: 12 }, (_, i) => `--option-number-${i}`);
    const hcl = renderJobHcl(job({ groups: [group({ tasks: [{ ...group().tasks[0], config: { image: "x", args } }] })] }));
    expect(hcl).toContain('args  = [\n          "--option-number-0",\n');
  });

  it("renders free-form driver options as Nomad reads them: lists of objects as repeated blocks, objects as object attributes", async () => {
    // jobspec2 (hclutil.BlocksAsAttrs) reads a block as a list of one object per block.
    const extra = { logging: [{ type: "journald" }], sysctl: { "net.core.somaxconn": "16384" }, mount: [{ type: "tmpfs", target: "/tmp" }, { type: "tmpfs", target: "/run" }] };
    const hcl = renderJobHcl(job({ groups: [group({ tasks: [{ ...group().tasks[0], config: { image: "x", extra } }] })] }));
    const config = (await parseJob(hcl)).web[0].group.web[0].task.web[0].config[0];
    expect(config.logging).toEqual([{ type: "journald" }]);
    expect(config.sysctl).toEqual({ "net.core.somaxconn": "16384" });
    expect(config.mount).toEqual([
      { type: "tmpfs", target: "/tmp" },
      { type: "tmpfs", target: "/run" },
    ]);
  });
});

describe("NomadJob", () => {
  it("submits the job with a nomad_job resource that waits for service deployments and purges on destroy", () => {
    const stack = synthJobStack((scope) => new NomadJob(scope, "Web", job()));
    expect(resourcesOf(stack, "nomad_job").Web).toMatchObject({
      detach: false,
      deregister_on_destroy: true,
      deregister_on_id_change: true,
      purge_on_destroy: true,
    });
  });

  it("does not wait on batch jobs, which have no deployments", () => {
    const stack = synthJobStack((scope) => new NomadJob(scope, "Backup", job({ type: "batch" })));
    expect(resourcesOf(stack, "nomad_job").Backup.detach).toBe(true);
  });

  it("includes groups added after construction", async () => {
    const stack = synthJobStack((scope) => {
      const web = new NomadJob(scope, "Web", { name: "web" });
      web.addGroup(group({ name: "one" }));
      web.addGroup(group({ name: "two" }));
    });
    const parsed = await parseJob(resourcesOf(stack, "nomad_job").Web.jobspec);
    expect(Object.keys(parsed.web[0].group)).toEqual(["one", "two"]);
  });

  it("exposes the job id and namespace for policies bound to the job", () => {
    const stack = jobStack(LAB_LIKE_FACTS);
    const dns = new NomadJob(stack, "Dns", job({ name: "coredns", namespace: "dns" }));
    const web = new NomadJob(stack, "Web", job());
    expect([dns.jobId, dns.namespace, web.namespace]).toEqual(["coredns", "dns", "default"]);
  });

  it("synthesizes the same jobspec every time", () => {
    const build = (scope: import("constructs").Construct) => new NomadJob(scope, "Web", job({ meta: { b: "2", a: "1" } }));
    expect(synthJobStack(build)).toEqual(synthJobStack(build));
  });
});
