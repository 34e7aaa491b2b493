import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
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

function npm(cwd: string, ...args: string[]): string {
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
}

describe("the npm package", () => {
  let work: string;
  let tarball: string;
  let files: string[];

  beforeAll(() => {
    work = realpathSync(mkdtempSync(join(tmpdir(), "hashilab-pack-")));
    // `npm pack` runs prepack (npm run build); scripts print before the JSON.
    const out = npm(ROOT, "pack", "--json", "--pack-destination", work);
    const packed = JSON.parse(out.slice(out.indexOf("\n[") + 1))[0];
    tarball = join(work, packed.filename);
    files = packed.files.map((f: { path: string }) => f.path);
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("ships the compiled library, the hcloud bindings it imports, and nothing else", () => {
    expect(files).toEqual(expect.arrayContaining(["package.json", "LICENSE", "dist/constructs/index.js", "dist/constructs/index.d.ts", "dist/policies/index.js", "dist/.gen/providers/hcloud/server/index.js"]));
    const unexpected = files.filter(
      (f) => !["package.json", "README.md", "LICENSE"].includes(f) && !/^dist\/(constructs|policies|\.gen\/providers\/hcloud|scripts)\//.test(f),
    );
    expect(unexpected).toEqual([]);
    expect(files.filter((f) => /(__tests__|\.test\.|environments\/|stacks\/|main\.(ts|js)$|\.ts$)/.test(f.replace(/\.d\.ts$/, "")))).toEqual([]);
  });

  test("installs offline into another cdktf app that composes NomadService and DnsVip and synthesizes", () => {
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
    npm(consumer, "install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts");
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
    const synth = spawnSync(process.execPath, [TSX, "main.ts"], { cwd: consumer, encoding: "utf8", env: { ...process.env, CDKTF_OUTDIR: outdir } });
    expect(synth.stderr).toBe("");
    expect(synth.status).toBe(0);
    const stack = JSON.parse(readFileSync(join(outdir, "stacks", "homelab", "cdk.tf.json"), "utf8"));
    const jobspecs = Object.values<any>(stack.resource.nomad_job).map((j) => j.jobspec as string);
    expect(jobspecs.some((j) => j.includes('image = "docker.io/traefik/whoami:v1.10.3"'))).toBe(true);
    expect(jobspecs.some((j) => /coredns/.test(j))).toBe(true);
    expect(Object.keys(stack.resource.nomad_acl_policy ?? {})).toHaveLength(1);
  });
});
