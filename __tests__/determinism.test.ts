import { execSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { readmeSynth } from "./support/readme-synth";
import { scratchCopyOfProject } from "./support/scratch-repo";

const projectRoot = resolve(__dirname, "..");

/**
 * Copies the project into a new folder under `parent` (the files git tracks or would track, as a
 * checkout has them; not the folders other test files write into the project meanwhile) and runs
 * the cdktf app there, as `cdktf synth` would: cdktf.json's app, through a shell.
 */
function synthCopy(parent: string): { dir: string; files: Record<string, Buffer> } {
  const dir = scratchCopyOfProject(parent);
  execSync(JSON.parse(readFileSync(join(dir, "cdktf.json"), "utf8")).app, {
    cwd: dir,
    env: { ...process.env, CDKTF_OUTDIR: join(dir, "cdktf.out"), CHECKPOINT_DISABLE: "1" },
    stdio: "pipe",
  });
  const files: Record<string, Buffer> = { "manifest.json": readFileSync(join(dir, "cdktf.out", "manifest.json")) };
  for (const stack of readdirSync(join(dir, "cdktf.out", "stacks")).sort()) {
    files[stack] = readFileSync(join(dir, "cdktf.out", "stacks", stack, "cdk.tf.json"));
  }
  return { dir, files };
}

describe("synth", () => {
  const b = join(mkdtempSync(join(tmpdir(), "hashilab-b-")), "some", "deeper", "checkout");
  afterAll(() => rmSync(resolve(b, "../../.."), { recursive: true, force: true }));

  it("gives byte-identical stacks from two checkouts at different paths, with no machine path in them", () => {
    // The first checkout: the copy where the README's synth command ran (cli-output.test.ts reads what it printed).
    const readme = readmeSynth();
    expect(readme.status).toBe(0);
    const a = readme.dir;
    const first = Object.fromEntries(Object.entries(readme.files).map(([name, base64]) => [name, Buffer.from(base64, "base64")]));
    mkdirSync(b, { recursive: true });
    const { dir: bCheckout, files: second } = synthCopy(b);
    expect(Object.keys(second)).toEqual(Object.keys(first));
    expect(Object.keys(first).length).toBeGreaterThan(5);
    for (const name of Object.keys(first)) {
      expect({ name, same: first[name].equals(second[name]) }).toEqual({ name, same: true });
      // Paths on the hosts (root's home for Terraform's scripts) are no paths of this machine.
      const text = first[name].toString("utf8").split(HOST_PATHS.terraformScript).join("");
      for (const machinePath of [a, bCheckout, projectRoot, tmpdir(), "/home/", "/root/", "/Users/"]) {
        expect({ name, machinePath, found: text.includes(machinePath) }).toEqual({ name, machinePath, found: false });
      }
    }
  });
});
