import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { npm, Packed, packScratchCopy } from "./support/packed";

const ROOT = join(__dirname, "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
/** The project's own TypeScript loader (cdktf.json's app uses it): one node process, where tsx's CLI starts two. */
const TS_LOADER = join(ROOT, "scripts", "build", "ts-loader.cjs");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** A homelab repository of its own: one stack composing the library's constructs. */
const CONSUMER_APP = `import { App, TerraformStack } from "cdktf";
import { NomadProvider } from "@cdktf/provider-nomad/lib/provider";
import { DnsVip, NomadJob, NomadService } from "hashilab";

const app = new App();
const stack = new TerraformStack(app, "homelab");
new NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" });
const whoami: NomadService = new NomadService(stack, "Whoami", {
  image: "docker.io/traefik/whoami:v1.10.3",
  ports: { http: { to: 80 } },
});
new DnsVip(stack, "Dns", { domain: "home.example.org", mode: "none", namespaces: ["default"] });
const jobs: NomadJob[] = stack.node.findAll().filter((c): c is NomadJob => c instanceof NomadJob);
if (jobs.length === 0 || !whoami) throw new Error("no NomadJob in the tree");
app.synth();
`;

/** The init command's template: a project of its own, shipped as source. */
const TEMPLATE = /^scripts\/init\/template\//;

describe("the npm package", () => {
  let packed: Packed;
  let work: string;
  let tarball: string;
  let files: readonly string[];

  beforeAll(() => {
    packed = packScratchCopy();
    ({ work, tarball, files } = packed);
  });

  afterAll(() => packed.dispose());

  test("ships the compiled library, the hcloud bindings it imports, the CLI and init's template, and nothing else", () => {
    expect(files).toEqual(expect.arrayContaining(["package.json", "LICENSE", "dist/constructs/index.js", "dist/constructs/index.d.ts", "dist/policies/index.js", "dist/.gen/providers/hcloud/server/index.js", "dist/scripts/cli/hashilab.js", "scripts/init/template/main.ts"]));
    const unexpected = files.filter(
      (f) => !["package.json", "README.md", "LICENSE"].includes(f) && !/^dist\/(constructs|policies|\.gen\/providers\/hcloud|scripts)\//.test(f) && !TEMPLATE.test(f),
    );
    expect(unexpected).toEqual([]);
    const library = files.filter((f) => !TEMPLATE.test(f));
    expect(library.filter((f) => /(__tests__|\.test\.|environments\/|stacks\/|main\.(ts|js)$|\.ts$)/.test(f.replace(/\.d\.ts$/, "")))).toEqual([]);
  });

  test("publishes a package.json without this repository's prepare script, with the hashilab bin, and leaves the repository's own as it was", () => {
    const published = JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }));
    expect(published.scripts.prepare).toBeUndefined();
    expect(pkg.scripts.prepare).toBe("node scripts/build/prepare.mjs");
    expect(published.bin).toEqual({ hashilab: "dist/scripts/cli/hashilab.js" });
    expect(readFileSync(join(packed.repo, "package.json"), "utf8")).toBe(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(existsSync(join(packed.repo, ".package.json.packing"))).toBe(false);
  });

  test("a pack that failed after prepack (so npm skipped postpack) loses nothing: the next strip restores the saved package.json first", () => {
    const script = join(ROOT, "scripts", "build", "published-manifest.mjs");
    const copy = join(work, "failed-pack");
    mkdirSync(join(copy, "scripts", "build"), { recursive: true });
    copyFileSync(script, join(copy, "scripts", "build", "published-manifest.mjs"));
    const original = readFileSync(join(ROOT, "package.json"), "utf8");
    writeFileSync(join(copy, "package.json"), original);
    const manifest = (...args: string[]) => execFileSync(process.execPath, [join(copy, "scripts", "build", "published-manifest.mjs"), ...args]);
    manifest("strip");
    manifest("strip");
    expect(JSON.parse(readFileSync(join(copy, "package.json"), "utf8")).scripts.prepare).toBeUndefined();
    manifest("restore");
    expect(readFileSync(join(copy, "package.json"), "utf8")).toBe(original);
    expect(existsSync(join(copy, ".package.json.packing"))).toBe(false);
  });

  test("installs offline into another cdktf app that composes NomadService and DnsVip and synthesizes", async () => {
    const consumer = join(work, "consumer");
    mkdirSync(consumer);
    // The library's dependencies, and the cdktf and constructs the consumer brings itself (peer
    // dependencies: one copy shared with the app), come from this checkout's node_modules, so
    // no registry is needed.
    const dependencies: Record<string, string> = { hashilab: `file:${tarball}` };
    for (const dep of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]) {
      dependencies[dep] = `file:${join(ROOT, "node_modules", dep)}`;
    }
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "my-homelab", private: true, dependencies }, null, 2));
    await npm(consumer, "install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts");
    expect(readdirSync(join(consumer, "node_modules", "hashilab"))).toEqual(expect.arrayContaining(["dist", "package.json"]));
    // One cdktf for the app and the library: two copies would split the construct tree.
    const cdktfFrom = (dir: string) => realpathSync(require.resolve("cdktf", { paths: [dir] }));
    expect(cdktfFrom(join(consumer, "node_modules", "hashilab", "dist", "constructs"))).toBe(cdktfFrom(consumer));

    writeFileSync(join(consumer, "main.ts"), CONSUMER_APP);
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, module: "node16", moduleResolution: "node16", target: "ES2022", types: [], skipLibCheck: false, noEmit: true },
        files: ["main.ts"],
      }),
    );
    // The declarations type-check in the consumer (through package.json "exports").
    const tsc = spawnSync(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: consumer, encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");

    const outdir = join(consumer, "cdktf.out");
    const synth = spawnSync(process.execPath, ["--require", TS_LOADER, "main.ts"], { cwd: consumer, encoding: "utf8", env: { ...process.env, CDKTF_OUTDIR: outdir } });
    expect(synth.stderr).toBe("");
    expect(synth.status).toBe(0);
    const stack = JSON.parse(readFileSync(join(outdir, "stacks", "homelab", "cdk.tf.json"), "utf8"));
    const jobspecs = Object.values<any>(stack.resource.nomad_job).map((j) => j.jobspec as string);
    expect(jobspecs.some((j) => j.includes('image = "docker.io/traefik/whoami:v1.10.3"'))).toBe(true);
    expect(jobspecs.some((j) => /coredns/.test(j))).toBe(true);
    expect(Object.keys(stack.resource.nomad_acl_policy ?? {})).toHaveLength(1);
  });
});

test("fails a release whose tag does not name package.json's version, before packing anything", () => {
  const run = spawnSync(join(ROOT, "scripts", "ci", "release.sh"), ["v0.0.0-not-this"], { encoding: "utf8" });
  expect(run.stderr).toBe(`release: tag v0.0.0-not-this does not name package.json's version ${pkg.version}; tag v${pkg.version}, or set the version to 0.0.0-not-this and tag again.\n`);
  expect(run.status).toBe(1);
});
