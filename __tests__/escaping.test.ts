import { TerraformVariable } from "cdktf";
import { NomadJob } from "../constructs";
import { escapeTerraformTemplate } from "../constructs/core";
import { RandomProvider, RandomUuid } from "../constructs/providers";
import { evaluateJobspecs, jobspecsOf, parseJob, synthJobStack } from "./nomad-job.support";
import { requireTool } from "./support/tools";

describe("escapeTerraformTemplate", () => {
  it("doubles the sign of every literal ${ and %{ so Terraform writes them back as written", () => {
    expect(escapeTerraformTemplate("a ${NOMAD_TASK_DIR} %{ if x } $${ALREADY}")).toBe("a $${NOMAD_TASK_DIR} %%{ if x } $$${ALREADY}");
  });

  it("leaves lone $ and % alone", () => {
    expect(escapeTerraformTemplate("50% of $5 {x}")).toBe("50% of $5 {x}");
  });
});

/**
 * A periodic restic backup job plus a docker task that takes values from Terraform. A jobspec
 * that goes through Terraform's templatefile() has to write `$${NOMAD_TASK_DIR}`; that is
 * Terraform escaping, and what Nomad must receive is `${NOMAD_TASK_DIR}`. In the model
 * one writes what Nomad receives.
 */
function buildJob(scope: import("constructs").Construct) {
  const tag = new TerraformVariable(scope, "image_tag", { type: "string", default: "0.17.3" });
  const count = new TerraformVariable(scope, "backup_count", { type: "number", default: 2 });
  new RandomProvider(scope, "random");
  const token = new RandomUuid(scope, "token");
  new NomadJob(scope, "Restic", {
    name: "restic",
    type: "batch",
    periodic: { crons: ["0 3 * * *"], timeZone: "Asia/Kolkata", prohibitOverlap: true },
    groups: [
      {
        name: "backup",
        count: count.numberValue,
        tasks: [
          {
            name: "backup",
            driver: "raw_exec",
            config: { command: "${NOMAD_TASK_DIR}/restic_backup.sh" },
            env: { HOST: "${attr.unique.hostname}", PRICE: "$" + tag.stringValue },
            templates: [
              {
                destination: "local/restic_backup.sh",
                perms: "0755",
                data: `#!/bin/sh\nexec restic backup /data --tag "%{literal}" --host "$\${HOSTNAME}" # ${tag.stringValue}\n`,
              },
            ],
          },
          {
            name: "shipper",
            driver: "exec",
            config: { command: "local/ship", args: ["--image", `restic/restic:${tag.stringValue}`, "--id", token.result] },
          },
        ],
      },
    ],
  });
}

const EXPECTED = `job "restic" {
  type = "batch"

  periodic {
    crons            = ["0 3 * * *"]
    time_zone        = "Asia/Kolkata"
    prohibit_overlap = true
  }

  group "backup" {
    count = 2

    task "backup" {
      driver = "raw_exec"

      config {
        command = "\${NOMAD_TASK_DIR}/restic_backup.sh"
      }

      env {
        HOST  = "\${attr.unique.hostname}"
        PRICE = "\\u00240.17.3"
      }

      template {
        destination = "local/restic_backup.sh"
        perms       = "0755"
        data        = <<EOH
#!/bin/sh
exec restic backup /data --tag "%%{literal}" --host "$$\${HOSTNAME}" # \${"0.17.3"}
EOH
      }
    }

    task "shipper" {
      driver = "exec"

      config {
        command = "local/ship"
        args    = ["--image", "restic/restic:0.17.3", "--id", "ref-0"]
      }
    }
  }
}
`;

describe("a jobspec with Nomad interpolations and cdktf tokens", () => {
  const stack = synthJobStack(buildJob);
  const [jobspec] = Object.values(jobspecsOf(stack));

  it("reaches Nomad as written, with the tokens resolved, after the real terraform evaluated it", () => {
    requireTool("terraform");
    const [evaluated] = Object.values(evaluateJobspecs(stack));
    expect(evaluated).toBe(EXPECTED);
  });

  it("writes each string token through Terraform's replace(), which escapes its value at apply time", () => {
    const escaped = (reference: string) =>
      `\${replace(replace(replace(replace(replace(replace(${reference}, "\\\\", "\\\\\\\\"), "\\"", "\\\\\\""), "\\n", "\\\\n"), "\\r", "\\\\r"), "$", "\\\\u0024"), "%", "\\\\u0025")}`;
    expect(jobspec).toContain(`"restic/restic:${escaped("var.image_tag")}"`);
    expect(jobspec).toContain(escaped("random_uuid.token.result"));
    // A whole number stays a number.
    expect(jobspec).toContain("count = ${var.backup_count}");
    // A literal `$` right before a token is a \u escape: the token's value must not start a template.
    expect(jobspec).toContain(`PRICE = \"\\u0024${escaped("var.image_tag")}\"`);
  });

  it("parses with HCL after evaluation", async () => {
    requireTool("terraform");
    const [evaluated] = Object.values(evaluateJobspecs(stack));
    const job = await parseJob(evaluated);
    expect(job.restic[0].group.backup[0].task.backup[0].config[0].command).toBe("${NOMAD_TASK_DIR}/restic_backup.sh");
  });
});
