import { App, TerraformStack, Testing, TerraformVariable } from "cdktf";
import { jobSpecFromHcl, NomadJob, renderJobHcl } from "../constructs";
import { NomadProvider } from "../constructs/providers";
import { jobModule } from "../scripts/import-job/generate";
import { resourcesOf } from "./support/synth";

/** jobSpecFromHcl: what it reads, how it binds variables, and what it refuses (file, line, block). */

const jobspec = (body: string, top = "") => `${top}
job "web" {
  group "web" {
    task "web" {
      driver = "docker"
${body}
    }
  }
}
`;

describe("jobSpecFromHcl", () => {
  it("reads a job into NomadJob props, typed docker options by their model names and the rest in extra", async () => {
    const props = await jobSpecFromHcl(
      jobspec(`      config {
        image        = "nginx:1.27"
        network_mode = "host"
        logging {
          type = "journald"
        }
      }`),
    );
    expect(props.groups?.[0].tasks[0]).toEqual({
      name: "web",
      driver: "docker",
      config: { image: "nginx:1.27", networkMode: "host", extra: { logging: [{ type: "journald" }] } },
    });
  });

  it("binds variables to their defaults or the values given, and keeps runtime interpolation and Go templates as Nomad receives them", async () => {
    const top = `variable "image" {
  default = "nginx:1.27"
}
variable "count" {
  default = 2
}`;
    const hcl = jobspec(
      `      config {
        image = var.image
        args  = ["--name", "\${NOMAD_ALLOC_INDEX}-\${attr.unique.hostname}", "$\${HOME}"]
      }
      template {
        destination = "local/app.env"
        data        = "X={{ env \\"NOMAD_PORT_http\\" }} %%{ not a directive }"
      }`,
      top,
    ).replace('group "web" {', 'group "web" {\n    count = var.count');
    const props = await jobSpecFromHcl(hcl, { variables: { image: "nginx:1.28" } });
    const [group] = props.groups!;
    expect(group.count).toBe(2);
    expect(group.tasks[0].config).toEqual({ image: "nginx:1.28", args: ["--name", "${NOMAD_ALLOC_INDEX}-${attr.unique.hostname}", "${HOME}"] });
    expect(group.tasks[0].templates?.[0].data).toBe('X={{ env "NOMAD_PORT_http" }} %{ not a directive }');
    expect(renderJobHcl({ ...props, groups: props.groups! })).toContain('data        = "X={{ env \\"NOMAD_PORT_http\\" }} %%{ not a directive }"');
  });

  it("reads the older forms: a single cron, and constraint shorthands in operator form", async () => {
    const props = await jobSpecFromHcl(`job "backup" {
  type = "batch"
  periodic {
    cron = "0 3 * * *"
  }
  constraint {
    distinct_hosts = true
  }
  constraint {
    attribute = "\${attr.kernel.version}"
    version   = ">= 6.1"
  }
  group "backup" {
    task "backup" {
      driver = "exec"
    }
  }
}`);
    expect(props.periodic).toEqual({ crons: ["0 3 * * *"] });
    expect(props.constraints).toEqual([
      { operator: "distinct_hosts", value: "true" },
      { attribute: "${attr.kernel.version}", operator: "version", value: ">= 6.1" },
    ]);
  });

  it("fails for a block the job specification does not have, naming file, line and block", async () => {
    await expect(jobSpecFromHcl(jobspec(`      config {\n        image = "x"\n      }\n      vualt {\n        role = "x"\n      }`), { fileName: "web.nomad.hcl" })).rejects.toThrow(
      /cannot import web\.nomad\.hcl:\n  - web\.nomad\.hcl:9: job "web" group "web" task "web" vualt is not in Nomad's job specification at v2\.0\.5/,
    );
  });

  it("fails for locals, a variable without a value, and expressions it cannot evaluate", async () => {
    const hcl = `locals {
  port = 8080
}
variable "image" {}
job "web" {
  group "web" {
    task "web" {
      driver = "docker"
      config {
        image = var.image
        args  = ["\${upper(var.mode)}"]
      }
    }
  }
}`;
    const error = await jobSpecFromHcl(hcl).catch((e: Error) => e.message);
    expect(error).toContain("jobspec.nomad.hcl:1: locals locals are not imported");
    expect(error).toContain('jobspec.nomad.hcl:4: variable "image" has no default: pass its value in options.variables');
    expect(error).toContain('jobspec.nomad.hcl:9: job "web" group "web" task "web" config has the expression "${upper(var.mode)}", which cannot be imported');
  });

  it("fails for a template directive and for an escaped variable reference, which Nomad would not evaluate", async () => {
    const error = await jobSpecFromHcl(jobspec(`      config {\n        image = "x"\n        args  = ["%{ if true }a%{ endif }", "$\${var.x}"]\n      }`)).catch((e: Error) => e.message);
    expect(error).toContain('has the template directive "%{if true}"');
    expect(error).toContain('has "$${var.x}", a literal that names a variable');
  });

  it("fails for more than one job, and for a task directly in the job", async () => {
    await expect(jobSpecFromHcl(`job "a" {}\njob "b" {}`)).rejects.toThrow(/has 2 job blocks; a jobspec has exactly one/);
    await expect(jobSpecFromHcl(`job "a" {\n  task "t" {\n    driver = "exec"\n  }\n}`)).rejects.toThrow(/:2: job "a" task directly in the job .* wrap it in a group block/);
  });

  it("binds a variable to a Terraform variable when given its token, so the value is chosen at deploy", async () => {
    const hcl = jobspec(`      config {\n        image = "\${var.image}:\${var.tag}"\n      }`, 'variable "image" {}\nvariable "tag" {}\nvariable "count" {}').replace(
      'group "web" {',
      'group "web" {\n    count = var.count',
    );
    const stack = new TerraformStack(new App(), "apps");
    new NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" });
    const variable = (id: string, type: string) => new TerraformVariable(stack, id, { type });
    const image = variable("image", "string").stringValue;
    const count = variable("count", "number").numberValue;
    new NomadJob(stack, "Web", await jobSpecFromHcl(hcl, { variables: { image, tag: "1.27", count } }));
    const { jobspec: synthesized } = Object.values<any>(resourcesOf(JSON.parse(Testing.synth(stack)), "nomad_job"))[0];
    expect(synthesized).toContain('count = ${var.count}');
    // The variable's value is escaped for HCL at apply time (core/terraform-escape.ts).
    expect(synthesized).toMatch(/image = "\$\{replace\(.*var\.image.*\)\}:1\.27"/);
  });
});

describe("jobModule (generated TypeScript)", () => {
  /** Runs a generated module with NomadJob stood in for, returning the props it passes. */
  function propsOf(source: string): unknown {
    const ts = require("typescript") as typeof import("typescript");
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    let made: unknown;
    const NomadJob = class {
      constructor(_scope: unknown, _id: string, props: unknown) {
        made = props;
      }
    };
    const exports: Record<string, any> = {};
    new Function("exports", "require", js)(exports, (m: string) => (m === "hashilab" ? { NomadJob } : {}));
    exports.default({});
    return made;
  }

  it("writes hostile strings and names so the module builds exactly the props: quotes, backticks, ${, %{, line breaks, odd keys", () => {
    const props = {
      name: "class",
      meta: { "a-b": 'say "hi"', "1st": "x" },
      groups: [
        {
          name: "g",
          tasks: [
            {
              name: "t",
              driver: "raw_exec",
              config: { command: "sh", args: ["-c", "echo `date` ${HOME} %{x} \\ done\r\n"], "odd key": [{ nested: "multi\nline ${NOMAD_TASK_DIR} `tick` \\n\n" }] },
              templates: [{ destination: "local/x", data: "a `b` ${c} \\${d} */ </script>\n\u2028end\n" }],
            },
          ],
        },
      ],
    };
    const source = jobModule(props, { source: "evil\n*/ name.hcl" });
    expect(source).toContain("export function jobClass(scope: Construct): NomadJob {");
    expect(source).toContain("export default jobClass;");
    expect(propsOf(source)).toEqual(props);
  });
});
