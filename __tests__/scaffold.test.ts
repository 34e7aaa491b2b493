import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OFFLINE_NPM_ENV, npm, Packed, packScratchCopy, runOffline, spawnOffline } from "./support/packed";

/**
 * `npx hashilab init` as a new user runs it, from the packed package, offline (npm's cache
 * holds every package this repository's lockfile names; CI fills it with this repository's
 * `npm ci`). The project then installs hashilab from the tarball, or from a git clone: two
 * projects, set up side by side (test.concurrent), since each mostly waits on npm.
 */
describe("npx hashilab init", () => {
  let packed: Packed;
  let bin: string;

  beforeAll(() => {
    packed = packScratchCopy();
    execFileSync("tar", ["-xzf", packed.tarball, "-C", packed.work]);
    bin = join(packed.work, "package", "dist", "scripts", "cli", "hashilab.js");
  });

  afterAll(() => packed.dispose());

  function init(dir: string, ...args: string[]) {
    return spawnOffline(packed.work, process.execPath, bin, "init", dir, ...args);
  }

  /** The README's three commands, and `npx cdktf synth`, in the new project. */
  async function setUpSynthTest(project: string): Promise<{ synth: string }> {
    await npm(project, "ci", "--no-audit", "--no-fund");
    const synth = await npm(project, "run", "--silent", "synth");
    expect(JSON.parse(readFileSync(join(project, "cdktf.out", "stacks", "home", "cdk.tf.json"), "utf8")).resource.nomad_job).toBeDefined();
    await runOffline(project, "npx", "cdktf", "synth");
    await npm(project, "test");
    return { synth };
  }

  test.concurrent("writes a project whose README commands pass offline with hashilab from the release tarball", async () => {
    const result = await init("from-tarball", "--hashilab", `file:${packed.tarball}`);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const project = join(packed.work, "from-tarball");
    expect(readdirSync(project).sort()).toEqual([".gitignore", "README.md", "__tests__", "cdktf.json", "main.ts", "package-lock.json", "package.json", "tsconfig.json"]);
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
    expect(manifest.devDependencies.typescript).toMatch(/^5\.9\.\d+$/);
    for (const pinned of [...Object.values<string>(manifest.dependencies), ...Object.values<string>(manifest.devDependencies)].filter((v) => !v.startsWith("file:"))) {
      expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    }
    const readme = readFileSync(join(project, "README.md"), "utf8");
    expect(readme.split("```sh\n")[1].split("```")[0]).toBe("npm ci\nnpm run synth\nnpm test\n");
    expect(readFileSync(join(project, ".gitignore"), "utf8")).toMatch(/^\*\.tfstate$/m);
    const { synth } = await setUpSynthTest(project);
    expect(synth).toBe("Synthesized 1 stack(s) into cdktf.out/stacks: home\n");
  }, 600_000);

  test.concurrent("writes a project that installs hashilab from a git URL: npm builds dist/ in hashilab's prepare", async () => {
    const result = await init("from-git", "--hashilab", `git+file://${packed.repo}`);
    expect(result.stderr).toBe("");
    const project = join(packed.work, "from-git");
    expect(JSON.parse(readFileSync(join(project, "package.json"), "utf8")).allowScripts).toMatchObject({ [`git+file://${packed.repo}`]: true });
    await setUpSynthTest(project);
    expect(existsSync(join(project, "node_modules", "hashilab", "dist", "constructs", "index.js"))).toBe(true);
  }, 900_000);

  test.each([
    [["init"], "init: no directory given; run npx hashilab init <dir> [--hashilab <npm spec>] [--no-lockfile], e.g. npx hashilab init my-homelab.\n"],
    [["init", "My Homelab"], 'init: "My Homelab" cannot name an npm package; pick a folder name of lowercase letters, digits, dots, dashes and underscores, e.g. my-homelab.\n'],
    [["init", "x", "--hashilab"], "init: --hashilab needs an npm spec after it (a version, git+https://… URL, tarball URL or file: path); run npx hashilab init <dir> [--hashilab <npm spec>] [--no-lockfile].\n"],
    [["init", "x", "--hashilab", "--no-lockfile"], "init: --hashilab needs an npm spec after it (a version, git+https://… URL, tarball URL or file: path); run npx hashilab init <dir> [--hashilab <npm spec>] [--no-lockfile].\n"],
    [["init", "x", "--force"], "init: unknown option --force; run npx hashilab init <dir> [--hashilab <npm spec>] [--no-lockfile].\n"],
    [["deploy"], 'hashilab: unknown command "deploy"; run hashilab <command> with one of import-job, init, synth, e.g. npx hashilab init my-homelab.\n'],
  ])("fails on %j with one sentence naming the fix", (args, message) => {
    const result = spawnSync(process.execPath, [bin, ...args], { cwd: packed.work, encoding: "utf8", env: OFFLINE_NPM_ENV });
    expect(result.stderr).toBe(message);
    expect(result.status).toBe(1);
  });

  test("fails on a folder that is not empty, and writes nothing into it", async () => {
    const dir = join(packed.work, "taken");
    mkdirSync(dir);
    writeFileSync(join(dir, "main.ts"), "mine\n");
    const result = await init("taken", "--no-lockfile");
    expect(result.stderr).toBe(`init: ${dir} is not empty; pick a new folder (init writes package.json, main.ts and more and overwrites nothing).\n`);
    expect(readdirSync(dir)).toEqual(["main.ts"]);
  });
});
