import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack } from "cdktf";
import { AppContext, AppSelection, deployApps } from "../apps";
import { dev, EnvironmentConfig, lab } from "../environments";
import { resourcesOf, StackJson, synthApp, synthEnvironment } from "./support/synth";
import { runNodeScript } from "./support/npm-script";
import { commitAll, git, scratchCopyOfProject } from "./support/scratch-repo";
import { typeCheck } from "./support/type-check";

/** An example app a user would write by following docs/apps.md. */
const WHOAMI_APP = `import { NomadService } from "../constructs";
import { defineApp } from "./app";

export interface WhoamiSettings {
  /** @default "v1.10" */
  readonly imageTag?: string;
  /** @default none */
  readonly hostname?: string;
}

declare module "./app" {
  interface AppCatalog {
    whoami: WhoamiSettings;
  }
}

export const app = defineApp<WhoamiSettings>((scope, settings, context) => {
  const service = new NomadService(scope, "Whoami", { image: \`docker.io/traefik/whoami:\${settings.imageTag ?? "v1.10"}\` });
  if (settings.hostname) service.exposeVia(context.ingress, settings.hostname);
});
`;

describe("adding an app to one environment", () => {
  let repo: string;
  beforeAll(() => {
    repo = scratchCopyOfProject();
    writeFileSync(join(repo, "apps", "whoami.ts"), WHOAMI_APP);
    const labFile = join(repo, "environments", "lab.ts");
    const text = readFileSync(labFile, "utf8");
    writeFileSync(labFile, text.replace("    itTools: {},\n", '    itTools: {},\n    whoami: { hostname: "whoami.lab.example.com" },\n'));
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("touches the app's file and one line of the environment, nothing else", () => {
    expect(git(repo, "status", "--porcelain").split("\n").filter(Boolean).sort()).toEqual([" M environments/lab.ts", "?? apps/whoami.ts"]);
    expect(git(repo, "diff", "--numstat")).toBe("1\t0\tenvironments/lab.ts\n");
  });

  it("type-checks: the environment's apps.whoami is typed by the app's settings", () => {
    const tsconfig = join(repo, "tsconfig.json");
    const ok = typeCheck(tsconfig);
    expect(ok.output).toBe("");
    const labFile = join(repo, "environments", "lab.ts");
    const text = readFileSync(labFile, "utf8");
    try {
      writeFileSync(labFile, text.replace('whoami: { hostname: "whoami.lab.example.com" }', "whoami: { replicas: 2 }"));
      // The file changed, checked against the rest of the project as parsed for the check above.
      const bad = typeCheck(tsconfig, { after: ok, only: [labFile] });
      expect(bad.output).toMatch(/environments\/lab\.ts.*'replicas' does not exist in type 'WhoamiSettings'/);
    } finally {
      writeFileSync(labFile, text);
    }
  });

  it("shows exactly the app's new job in the review, in that environment only", () => {
    commitAll(repo, "whoami in lab");
    const result = runNodeScript("review", ["HEAD~1"], { dir: repo });
    expect(result.stderr).not.toMatch(/review:/);
    expect(result.status).toBe(2);
    const resourceLines = result.stdout.split("\n").filter((l) => /^ {2}(\+|~|-\/\+|-) /.test(l));
    expect(resourceLines).toHaveLength(1);
    expect(resourceLines[0]).toMatch(/^ {2}\+ nomad_job\.Whoami_Job_[0-9A-F]{8} {2}\(lab-workloads\/Whoami\/Job\/Default\)$/);
    expect(result.stdout).toContain("Host(`whoami.lab.example.com`)");
  });
});

/** The construct paths of a stack's Nomad jobs. */
function jobPaths(stack: StackJson): string[] {
  return Object.values<any>(resourcesOf(stack, "nomad_job")).map((job) => job["//"].metadata.path);
}

describe("the environments' apps", () => {
  it.each([["lab", lab], ["dev", dev]] as const)("in %s, run it-tools at the address it had before apps existed", (name, env) => {
    expect(jobPaths(synthEnvironment(env)[`${name}-workloads`])).toContain(`${name}-workloads/ItTools/Job/Default`);
  });

  it("an environment without apps runs none", () => {
    const { apps: _apps, ...bare } = lab;
    expect(jobPaths(synthEnvironment(bare)["lab-workloads"]).filter((path) => path.includes("ItTools"))).toEqual([]);
  });

  it("fails for an app key without a file, naming the key and the file to write", () => {
    const env = { ...lab, apps: { ...lab.apps, giteaa: {} } } as EnvironmentConfig;
    expect(() => synthEnvironment(env)).toThrow(
      /lab-workloads: cannot run the environment's apps:\n {2}- apps\.giteaa: there is no apps\/giteaa\.ts; write the app there \(docs\/apps\.md\) or remove the key/,
    );
  });

  it("fails for a public hostname without a DNS record in an environment without a Cloudflare zone, naming the app's service and the choice", () => {
    expect(() => synthEnvironment({ ...lab, apps: { itTools: { hostnames: ["git.example.com"] } } })).toThrow(
      /lab-workloads\/ItTools: cannot expose "git\.example\.com" via lab-workloads\/Ingress:\n {2}- the ingress has no public zone \(the environment's cloudflare\) .* pass \{ dns: "external" \}, or set a public zone$/,
    );
  });

  it('serves a public hostname whose record is managed elsewhere over HTTPS when the environment says dns: "external"', () => {
    const stack = synthEnvironment({ ...lab, apps: { itTools: { hostnames: [{ hostname: "git.example.com", dns: "external" }] } } })["lab-workloads"];
    expect(jobPaths(stack)).toContain("lab-workloads/Ingress/Acme/Job/Default");
    expect(resourcesOf(stack, "cloudflare_dns_record")).toEqual({});
  });

  it.each(["../stacks/workloads-stack", "it-tools", "App", ""])("fails for the app key %j, which is not a camelCase file name", (key) => {
    expect(() =>
      synthApp((app) => {
        deployApps(new TerraformStack(app, "test"), { [key]: {} } as AppSelection, {} as AppContext, () => ({}));
      }),
    ).toThrow(/test: cannot run the environment's apps:\n {2}- apps\..*: an app key is the camelCase of its file's name/);
  });

  it("fails for an app file that does not export app = defineApp(...)", () => {
    expect(() =>
      synthApp((app) => {
        const stack = new TerraformStack(app, "test");
        deployApps(stack, { itTools: {} }, {} as AppContext, () => ({ itTools: () => undefined }));
      }),
    ).toThrow(/test: cannot run the environment's apps:\n {2}- apps\.itTools: apps\/it-tools\.ts does not export `app = defineApp\(\.\.\.\)`/);
  });
});
