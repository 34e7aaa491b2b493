import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ENVIRONMENTS } from "../environments";
import { evaluateJobspecs, jobspecsOf, parseJob } from "./nomad-job.support";
import { requireTool } from "./support/tools";
import { synthEnvironment } from "./support/synth";

const golden = (name: string) => readFileSync(join(__dirname, "golden", name), "utf8");

describe.each(ENVIRONMENTS.map((e) => [e.name, e] as const))("the %s workloads", (name, env) => {
  const stacks = synthEnvironment(env);

  it("run the seed's it-tools job exactly as written in seed 000", async () => {
    const jobspecs = jobspecsOf(stacks[`${name}-workloads`]);
    const itTools = Object.entries(jobspecs).find(([id]) => id.startsWith("ItTools"));
    expect(itTools).toBeDefined();
    expect(await parseJob(itTools![1])).toEqual(await parseJob(golden("it-tools.nomad.hcl")));
  });

  it("hand Nomad jobspecs that HCL parses, after Terraform evaluated them", async () => {
    requireTool("terraform");
    for (const [stackName, stack] of Object.entries(stacks)) {
      if (Object.keys(jobspecsOf(stack)).length === 0) continue;
      for (const [id, jobspec] of Object.entries(evaluateJobspecs(stack))) {
        const job = await parseJob(jobspec).catch((e) => {
          throw new Error(`${stackName} ${id}: ${e}\n${jobspec}`);
        });
        expect(Object.keys(job)).toHaveLength(1);
      }
    }
  });
});
