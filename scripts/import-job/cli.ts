import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { jobSpecFromHcl } from "../../constructs";
import { jobModule, moduleFileName } from "./generate";

const USAGE = "usage: hashilab import-job <file.nomad.hcl ...> --out <dir> [--import-from <module>] [--var name=value ...]";

/**
 * `hashilab import-job`: one TypeScript module per jobspec, written to --out. Values of
 * `--var` are strings, as `nomad job run -var` passes them. Every file is read before any is
 * written, so a file that cannot be imported leaves --out untouched.
 */
export async function run(args: readonly string[]): Promise<number> {
  const files: string[] = [];
  const variables: Record<string, string> = {};
  let out: string | undefined;
  let importFrom: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--out") out = args[++i];
    else if (arg === "--import-from") importFrom = args[++i];
    else if (arg === "--var") {
      const [name, ...value] = (args[++i] ?? "").split("=");
      variables[name] = value.join("=");
    } else files.push(arg);
  }
  if (out === undefined || files.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const modules = new Map<string, string>();
  for (const file of files) {
    const props = await jobSpecFromHcl(readFileSync(file, "utf8"), { fileName: file, variables });
    const name = moduleFileName(props);
    if (modules.has(name)) {
      process.stderr.write(`${file}: job "${props.name}" would be written to ${name} like an earlier file; import one of them on its own\n`);
      return 1;
    }
    modules.set(name, jobModule(props, { source: basename(file), importFrom }));
  }
  mkdirSync(out, { recursive: true });
  for (const [name, text] of modules) writeFileSync(join(out, name), text);
  process.stdout.write(`wrote ${[...modules.keys()].map((n) => join(out, n)).join(", ")}\n`);
  return 0;
}
