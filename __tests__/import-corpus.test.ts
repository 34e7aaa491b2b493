import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { App, TerraformStack } from "cdktf";
import { escapeTerraformTemplate, jobSpecFromHcl, NomadJob, NomadJobProps, renderJobHcl } from "../constructs";
import { admissionProblems } from "../constructs/nomad-job/validate";
import { jobModule } from "../scripts/import-job/generate";
import { NORMALISATIONS, normaliseJobTree } from "./import.support";
import { parseHcl } from "./support/hcl";
import { evaluateWithTerraform } from "./support/terraform";
import { typeCheck } from "./support/type-check";

/**
 * Real public jobspecs (first line: source repository, path and commit), imported, rendered and
 * compared with the original as Nomad's own parser reads both. One shared pass: every file is
 * parsed, imported and rendered once; one synth and one terraform run cover them all.
 */
const CORPUS = join(__dirname, "fixtures", "jobs");
const HEADER = /^# source: https:\/\/github\.com\/([\w.-]+\/[\w.-]+) (\S+) @ ([0-9a-f]{40})$/;

interface Entry {
  readonly file: string;
  readonly text: string;
  props: NomadJobProps;
  rendered: string;
  /** The generated TypeScript module. */
  module: string;
}

const corpus: Entry[] = readdirSync(CORPUS, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".nomad.hcl"))
  .sort()
  .map((file) => ({ file, text: readFileSync(join(CORPUS, file), "utf8"), props: undefined as never, rendered: "", module: "" }));

beforeAll(async () => {
  await parseHcl("", "warm-up.hcl"); // the parser's WebAssembly module loads once, not per file
  for (const entry of corpus) {
    entry.props = await jobSpecFromHcl(entry.text, { fileName: entry.file });
    entry.rendered = renderJobHcl({ ...entry.props, groups: entry.props.groups ?? [] });
  }
  for (const entry of corpus) entry.module = jobModule(entry.props, { source: entry.file });
});

test("the corpus has at least 60 jobspecs from at least five repositories, each naming its source", () => {
  const repos = new Set(corpus.map((e) => HEADER.exec(e.text.split("\n")[0])?.[1]));
  expect(corpus.filter((e) => !HEADER.test(e.text.split("\n")[0])).map((e) => e.file)).toEqual([]);
  expect(corpus.length).toBeGreaterThanOrEqual(60);
  expect(repos.size).toBeGreaterThanOrEqual(5);
});

test("every imported job renders to a jobspec Nomad's parser reads as the original (up to the listed normalisations)", async () => {
  const different: string[] = [];
  for (const entry of corpus) {
    const original = normaliseJobTree(await parseHcl(entry.text, entry.file));
    const rendered = normaliseJobTree(await parseHcl(entry.rendered, entry.file));
    if (!isDeepStrictEqual(original, rendered)) different.push(entry.file);
  }
  // A failure shows the allowed differences beside the files that differ otherwise.
  expect({ different, allowed: NORMALISATIONS }).toEqual({ different: [], allowed: NORMALISATIONS });
});

test("the comparison notices a field lost on the way (it is not vacuous)", async () => {
  const entry = corpus.find((e) => e.props.groups?.[0]?.tasks[0]?.resources !== undefined)!;
  const [group, ...groups] = entry.props.groups!;
  const [task, ...tasks] = group.tasks;
  const lossy = renderJobHcl({ ...entry.props, groups: [{ ...group, tasks: [{ ...task, resources: undefined }, ...tasks] }, ...groups] });
  expect(normaliseJobTree(await parseHcl(lossy))).not.toEqual(normaliseJobTree(await parseHcl(entry.text)));
});

/**
 * Jobs whose refusal is Nomad's own: PeriodicConfig.Validate parses the cron with
 * hashicorp/cronexpr, or (the 6-field form) the project's rule against a cron that reads as
 * seconds-first but is not (constructs/nomad-job/cron.ts says why).
 */
const REFUSED = {
  "angrycub-nomad_example_jobs/batch__lost_batch__periodic.nomad.hcl": "cron \"*/1 * * * * *\": 6 fields are minute ... year in cronexpr, not seconds first (the project's rule)",
  "chrisboulton-home-infrastructure/nomad__test-recurring.nomad.hcl": "cron \"*1 * * * * *\": cronexpr refuses the minute field \"*1\" (PeriodicConfig.Validate)",
};

/**
 * A regression guard against false errors: with no cluster facts declared, NomadJob refuses a
 * real job only for the project's admission policy (privileged containers, host mounts), which
 * is not Nomad's rule, or for a rule listed in REFUSED.
 */
test("constructs every corpus job as a NomadJob without cluster facts, refusing none by a rule Nomad does not have", () => {
  const refused: Record<string, string[]> = {};
  for (const entry of corpus) {
    try {
      new NomadJob(new TerraformStack(new App(), "corpus"), "Job", entry.props);
    } catch (error) {
      const admission = admissionProblems({ ...entry.props, groups: entry.props.groups ?? [] }, undefined);
      const lines = (error as Error).message.split("\n").filter((l) => l.startsWith("  - ")).map((l) => l.slice(4));
      const others = lines.filter((l) => !admission.includes(l));
      if (others.length > 0) refused[entry.file] = others;
    }
  }
  expect(Object.keys(refused).sort()).toEqual(Object.keys(REFUSED).sort());
});

/**
 * The jobspec a NomadJob synthesizes is escapeTerraformTemplate(renderHcl()) (nomad-job.ts).
 * It is built here without the construct: the project's admission policy refuses some corpus
 * jobs by design (host bind mounts), which says nothing about the import.
 */
test("Terraform evaluates every jobspec as synthesized to exactly the rendered text", () => {
  const values = evaluateWithTerraform(Object.fromEntries(corpus.map((e, i) => [`job${i}`, escapeTerraformTemplate(e.rendered)])));
  expect(corpus.filter((e, i) => values[`job${i}`] !== e.rendered).map((e) => e.file)).toEqual([]);
});

describe("generated TypeScript", () => {
  // Inside the project, so "hashilab", "constructs" and "cdktf" resolve as in a consumer's repository.
  const dir = join(__dirname, "..", `.import-check-${process.pid}`);
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: "../tsconfig.json", compilerOptions: { types: ["node"] }, include: ["*.ts"] }));
    corpus.forEach((entry, i) => writeFileSync(join(dir, `job${i}.ts`), entry.module));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("type-checks with --strict for every corpus job (one tsc run)", () => {
    // The modules' own type errors: the library they import is type-checked, strict, by the
    // project's tsc (npm test), so checking its files here again would find nothing new.
    const modules = corpus.map((_, i) => join(dir, `job${i}.ts`));
    expect(typeCheck(join(dir, "tsconfig.json"), { extend: { strict: true }, only: modules }).output).toBe("");
  });

  test("builds the same job: each module's function passes NomadJob the props that render the imported jobspec", () => {
    const made: unknown[] = [];
    // NomadJob itself is stood in for: the project's admission policy refuses some corpus jobs
    // by design (privileged containers, host bind mounts); what is checked here is the module.
    jest.doMock("hashilab", () => ({
      NomadJob: class {
        constructor(_scope: unknown, _id: string, props: unknown) {
          made.push(props);
        }
      },
    }));
    const different = corpus.filter((entry, i) => {
      const module = jest.requireActual<{ default: (scope: unknown) => unknown }>(join(dir, `job${i}.ts`));
      module.default({});
      const props = made[made.length - 1] as NomadJobProps;
      return renderJobHcl({ ...props, groups: props.groups ?? [] }) !== entry.rendered;
    });
    expect(different.map((e) => e.file)).toEqual([]);
  });

  test("is a fixed point: importing the jobspec a module synthesizes generates the same module", async () => {
    const changed: string[] = [];
    for (const entry of corpus) {
      const again = await jobSpecFromHcl(entry.rendered);
      if (jobModule(again, { source: entry.file }) !== entry.module) changed.push(entry.file);
    }
    expect(changed).toEqual([]);
  });
});
