import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT, scratchCopyOfProject } from "./scratch-repo";
import { sharedOncePerRun } from "./test-run";

/** The README's synth command, read from its set-up block. */
export const README_SYNTH_COMMAND = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8")
  .split("## Set up, synthesize, test\n")[1]
  .split("```sh\n")[1]
  .split("\n")
  .find((line) => /synth/.test(line))!;

/** What the README's synth command did in a copy of the project. */
export interface ReadmeSynth {
  /** The copy it ran in (removed since). */
  readonly dir: string;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What it wrote, base64: cdktf.out/manifest.json as "manifest.json", and each stack's cdk.tf.json by the stack's name. */
  readonly files: Record<string, string>;
}

/**
 * The README's synth command run in a scratch copy of the project as a user's shell runs it
 * (a terminal-less pipe, the machine's environment as it is), once per jest run:
 * cli-output.test.ts reads what it printed, determinism.test.ts what it wrote.
 */
export function readmeSynth(): ReadmeSynth {
  return sharedOncePerRun("readme-synth", () => {
    const dir = scratchCopyOfProject();
    try {
      const [command, ...args] = README_SYNTH_COMMAND.split(" ");
      const run = spawnSync(command, args, { cwd: dir, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
      const out = join(dir, "cdktf.out");
      const files: Record<string, string> = {};
      if (run.status === 0) {
        files["manifest.json"] = readFileSync(join(out, "manifest.json")).toString("base64");
        for (const stack of readdirSync(join(out, "stacks")).sort()) files[stack] = readFileSync(join(out, "stacks", stack, "cdk.tf.json")).toString("base64");
      }
      return { dir, status: run.status, stdout: run.stdout, stderr: run.stderr, files };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
