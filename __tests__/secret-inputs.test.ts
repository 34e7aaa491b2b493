import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { App, DataResource, Fn, Lazy, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { ConsulWorkloadIdentity } from "../constructs/acl/consul-workload-identity";
import { DnsVip } from "../constructs/dns-vip";
import { NomadJob } from "../constructs/nomad-job";
import { NomadService } from "../constructs/nomad-service";
import { NomadVariable } from "../constructs/nomad-variable";
import { ConsulProvider, NomadAclTokenResource, NomadProvider, RandomProvider, RandomUuid } from "../constructs/providers";
import { RaftSnapshots, RaftSnapshotsProps } from "../constructs/raft-snapshots";
import { findPlaintextSecrets, rejectPlaintextSecrets } from "../constructs/secrets";
import { lab } from "../environments";
import { hetznerDnsVip, planVrrpPasswords, SEED_FACTS, SEED_PROPS } from "./dns-vip.support";
import { jobStack, synthJobStack } from "./nomad-job.support";
import { synthApp } from "./support/synth";
import { requireTool } from "./support/tools";

const HCLOUD_TOKEN = "Zk9Xq2LmT7vBn4RcW8yHs1JdP6uGe3AoKi5ZtQwVx0MbNfCjYhUlDpEr2SgIaOk7";
const AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
const secretVar = (scope: Construct, id: string, extra: { default?: string; sensitive?: boolean } = {}) =>
  new TerraformVariable(scope, id, { type: "string", sensitive: true, ...extra });

/** The error `build` throws, as text ("" when it does not throw). */
function errorOf(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    return String(error);
  }
  return "";
}

/** Synthesizes a stack that has the synth-time scan, as every environment stack has. */
function synthScanned(build: (stack: TerraformStack) => void): string {
  return errorOf(() =>
    synthJobStack((scope) => {
      rejectPlaintextSecrets(scope as TerraformStack);
      build(scope as TerraformStack);
    }, SEED_FACTS),
  );
}

describe("secret inputs: a sensitive variable without a default, or a reference to a sensitive value", () => {
  it("fails on a Nomad variable item from a sensitive variable with a default, naming the item, the variable and TF_VAR", () => {
    const stack = jobStack(SEED_FACTS);
    const error = errorOf(() => new NomadVariable(stack, "App", { path: "nomad/jobs/app", items: { TOKEN: secretVar(stack, "app_token", { default: HCLOUD_TOKEN }) } }));
    expect(error).toMatch(
      /test\/App: invalid Nomad variable "nomad\/jobs\/app":\n {2}- item "TOKEN" comes from variable test\/app_token, which has a default: cdktf writes the default to cdk.tf.json in plain text; remove the default and set TF_VAR_app_token at deploy time/,
    );
    expect(error).not.toContain(HCLOUD_TOKEN);
  });

  it("fails on items that are literals, wrap a literal in a function, mix text with a reference, come from a local or a plain variable, or are no string, all at once", () => {
    const stack = jobStack(SEED_FACTS);
    const token = secretVar(stack, "token");
    const local = new TerraformLocal(stack, "password", "hunter2");
    const error = errorOf(
      () =>
        new NomadVariable(stack, "App", {
          path: "nomad/jobs/app",
          items: {
            LITERAL: "hunter2",
            LOWERED: Fn.lower(AWS_KEY),
            SENSITIVE: Fn.sensitive("hunter2"),
            MIXED: `Bearer ${token.stringValue}`,
            LOCAL: local.asString,
            PLAIN: new TerraformVariable(stack, "plain", { type: "string" }),
            NAN: Number.NaN as unknown as string,
          },
        }),
    );
    expect(error.split("\n").slice(1)).toEqual([
      expect.stringMatching(/^ {2}- item "LITERAL" is a literal; pass a sensitive TerraformVariable's value \(a variable without a default, set with TF_VAR_<name>/),
      expect.stringMatching(/^ {2}- item "LOWERED" is a computed Terraform expression that holds a literal or something else than references \(e.g. a function call such as lower\("…"\)\)/),
      expect.stringMatching(/^ {2}- item "SENSITIVE" is a computed Terraform expression/),
      expect.stringMatching(/^ {2}- item "MIXED" mixes literal text with references/),
      expect.stringMatching(/^ {2}- item "LOCAL" refers to local.password, which may hold a literal/),
      expect.stringMatching(/^ {2}- item "PLAIN" comes from variable test\/plain, which is not sensitive/),
      expect.stringMatching(/^ {2}- item "NAN" is a number, not a secret reference/),
    ]);
    expect(error).not.toMatch(/hunter2|AKIA/);
  });

  it("fails on a function of a sensitive value that also takes a literal or a variable with a default, and accepts one of sensitive values alone", () => {
    const stack = jobStack(SEED_FACTS);
    const token = secretVar(stack, "token");
    const items = {
      TRIMMED: Fn.trimspace(token.stringValue),
      JOINED: Fn.join("", [token.stringValue, new RandomUuid(stack, "Salt").result]),
    };
    expect(() => new NomadVariable(stack, "Fine", { path: "nomad/jobs/fine", items })).not.toThrow();
    const error = errorOf(
      () =>
        new NomadVariable(stack, "Bad", {
          path: "nomad/jobs/bad",
          items: {
            SALTED: Fn.join(":", [token.stringValue, "pepper"]),
            DEFAULTED: Fn.trimspace(secretVar(stack, "defaulted", { default: "hunter2" }).stringValue),
          },
        }),
    );
    expect(error.split("\n").slice(1)).toEqual([
      expect.stringMatching(/^ {2}- item "SALTED" is a computed Terraform expression that holds a literal/),
      expect.stringMatching(/^ {2}- item "DEFAULTED" comes from variable test\/defaulted, which has a default/),
    ]);
  });

  it("accepts a sensitive variable without a default, a resource attribute and another stack's sensitive value", () => {
    const stacks = synthApp((app) => {
      const acl = new TerraformStack(app, "acl");
      new NomadProvider(acl, "nomad", { address: "http://127.0.0.1:4646" });
      const token = new NomadAclTokenResource(acl, "Token", { type: "management" });
      const apps = new TerraformStack(app, "apps");
      new NomadProvider(apps, "nomad", { address: "http://127.0.0.1:4646" });
      new RandomProvider(apps, "random");
      rejectPlaintextSecrets(apps);
      new NomadVariable(apps, "App", {
        path: "nomad/jobs/app",
        items: { A: secretVar(apps, "a"), B: new RandomUuid(apps, "B").result, C: token.secretId },
      });
    });
    const items = Object.values<any>(stacks.apps.resource.nomad_variable)[0].items;
    expect(items).toEqual({
      A: "${var.a}",
      B: "${random_uuid.B.result}",
      C: expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-acl\.outputs\.cross-stack-output-nomad_acl_token[^}]*secret_id\}$/),
    });
  });

  it("fails on a DnsVip whose Hetzner token or VRRP password variable has a default or is not sensitive", () => {
    const stack = jobStack(SEED_FACTS);
    const error = errorOf(() =>
      hetznerDnsVip(stack, {
        hetzner: { networkId: "4711", apiToken: secretVar(stack, "hcloud_token", { default: HCLOUD_TOKEN }) },
        vrrpPassword: secretVar(stack, "vrrp", { sensitive: false }),
      }),
    );
    expect(error).toMatch(/^Error: test\/Dns: invalid DnsVip:\n {2}- hetzner.apiToken comes from variable test\/hcloud_token, which has a default: .*set TF_VAR_hcloud_token at deploy time\n {2}- vrrpPassword comes from variable test\/vrrp, which is not sensitive .*declare it with sensitive: true/);
    expect(error).not.toContain(HCLOUD_TOKEN);
  });

  it("fails at plan, by Terraform and without printing it, for a VRRP password keepalived cannot use (no default to check at synth)", () => {
    requireTool("terraform");
    const stack = synthJobStack((scope) => new DnsVip(scope, "Dns", { ...SEED_PROPS, vrrpPassword: secretVar(scope, "vrrp_password") }), SEED_FACTS);
    const results = planVrrpPasswords(stack, ["s3cret", "much-too-long", ""]);
    expect(results.s3cret).toBe("");
    for (const bad of ["much-too-long", ""]) {
      expect([bad, results[bad]]).toEqual([bad, expect.stringMatching(/Resource precondition failed[\s\S]*The VRRP password \(DnsVip vrrpPassword\) must have 1-8 characters/)]);
    }
    expect(results["much-too-long"]).not.toContain("much-too-long");
  });

  it("fails on Raft snapshot keys given as a literal, a function of a literal, or a variable with a default", () => {
    const stack = new TerraformStack(new App(), "test");
    const props: RaftSnapshotsProps = {
      bucket: "hashilab-lab-snapshots",
      endpoint: "https://nbg1.your-objectstorage.com",
      ageRecipient: lab.snapshots!.ageRecipient,
      s3AccessKeyId: Fn.lower(AWS_KEY),
      s3SecretAccessKey: secretVar(stack, "s3_secret", { default: "wJalrXUtnFEMI" }).stringValue,
    };
    const error = errorOf(() => new RaftSnapshots(stack, "Snapshots", props));
    expect(error).toMatch(
      /test\/Snapshots: invalid Raft snapshots:\n {2}- s3AccessKeyId is a computed Terraform expression .*\n {2}- s3SecretAccessKey comes from variable test\/s3_secret, which has a default: .*TF_VAR_s3_secret/,
    );
    expect(error).not.toMatch(/wJalr|AKIA/i);
  });
});

describe("the synth-time scan of a stack", () => {
  it("fails on a secret in a job of a consumer's own stack, which no environment set up: every stack with a job is scanned", () => {
    const error = errorOf(() =>
      synthJobStack((scope) => {
        new NomadJob(scope, "App", {
          name: "app",
          groups: [{ name: "web", tasks: [{ name: "server", driver: "docker", config: { image: "docker.io/library/nginx:1.27" }, env: { HCLOUD_TOKEN } }] }],
        });
      }),
    );
    expect(error).toMatch(/test: secrets in plain text would be written to cdk\.tf\.json:\n {2}- test\/App: groups\[web\]\.tasks\[server\]\.env\.HCLOUD_TOKEN holds a 64-character token/);
  });

  it("fails on secrets in a Nomad job's env, meta and template data, naming the job, the field and the Nomad variable to use", () => {
    const uuid = randomUUID();
    const error = synthScanned((stack) => {
      new NomadJob(stack, "App", {
        name: "app",
        meta: { deployed_by: uuid },
        groups: [
          {
            name: "web",
            tasks: [
              {
                name: "server",
                driver: "docker",
                config: { image: "docker.io/library/nginx:1.27" },
                env: { HCLOUD_TOKEN },
                templates: [{ destination: "secrets/htpasswd", data: "admin:$apr1$abcdefgh$ckT15POyCRlen.h6XtGAZ1\n" }],
              },
            ],
          },
        ],
      });
    });
    const fix = 'keep the value in a Nomad variable \\(NomadVariable\\) and read it at runtime with NomadService\'s secrets or a template \\{\\{ with nomadVar "nomad/jobs/app" \\}\\}';
    expect(error).toMatch(new RegExp(`test/App: meta.deployed_by holds a UUID .*\\("${uuid.slice(0, 6)}…"\\) in plain text; ${fix}`));
    expect(error).toMatch(new RegExp(`test/App: groups\\[web\\].tasks\\[server\\].env.HCLOUD_TOKEN holds a 64-character token .* in plain text; ${fix}`));
    expect(error).toMatch(new RegExp(`test/App: groups\\[web\\].tasks\\[server\\].templates\\[secrets/htpasswd\\].data holds an htpasswd/crypt password hash`));
    expect(error).not.toMatch(new RegExp(`${uuid}|${HCLOUD_TOKEN}|ckT15`));
  });

  it("fails on a secret that a token in a job's spec stands for, naming the field", () => {
    const error = synthScanned((stack) => {
      new NomadJob(stack, "App", {
        name: "app",
        groups: [{ name: "web", tasks: [{ name: "server", driver: "docker", config: { image: "nginx" }, env: { HCLOUD_TOKEN: Lazy.stringValue({ produce: () => HCLOUD_TOKEN }) } }] }],
      });
    });
    expect(error).toMatch(/test\/App: groups\[web\]\.tasks\[server\]\.env\.HCLOUD_TOKEN holds a 64-character token/);
  });

  it("fails on a secret used as a key or a name, without printing it whole", () => {
    const error = synthScanned((stack) => {
      new NomadJob(stack, "App", {
        name: "app",
        meta: { [HCLOUD_TOKEN]: "x" },
        groups: [{ name: "web", tasks: [{ name: "server", driver: "docker", config: { image: "nginx" }, env: { [`TOKEN_${AWS_KEY}`]: "1" } }] }],
      });
    });
    expect(error).toMatch(/test\/App: meta\.Zk9Xq2… holds a 64-character token/);
    expect(error).toMatch(/test\/App: groups\[web\]\.tasks\[server\]\.env\.TOKEN_… holds an AWS-style access key id/);
    expect(error).not.toMatch(new RegExp(`${HCLOUD_TOKEN}|${AWS_KEY}`));
  });

  it("fails on a secret in a NomadService's env and points to its secrets", () => {
    const error = synthScanned((stack) => new NomadService(stack, "Gitea", { image: "gitea/gitea:1.22", env: { DATABASE_URL: "postgres://gitea:hunter2@db:5432/gitea" } }));
    expect(error).toMatch(/test\/Gitea\/Job: groups\[[^\]]+\]\.tasks\[[^\]]+\]\.env\.DATABASE_URL holds a URL with a user and password \(user:password@host\) \("postgres:\/\/gitea:…@"\) in plain text; .*NomadService's secrets/);
    expect(error).not.toContain("hunter2");
  });

  it("fails on credentials in the Raft snapshot endpoint and on a private key given as its CA certificate (both would land in the task's env)", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const error = synthScanned((stack) => {
      new ConsulProvider(stack, "consul", { address: "http://127.0.0.1:8500" });
      new RaftSnapshots(stack, "Snapshots", {
        bucket: "hashilab-lab-snapshots",
        endpoint: "https://KEYID:wJalrXUtnFEMI@nbg1.your-objectstorage.com",
        ageRecipient: lab.snapshots!.ageRecipient,
        s3AccessKeyId: secretVar(stack, "s3_key").stringValue,
        s3SecretAccessKey: secretVar(stack, "s3_secret").stringValue,
        namespace: "dns",
        caCertFile: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
      });
    });
    expect(error).toMatch(/test\/Snapshots\/Job: groups\[snapshot\]\.tasks\[save\]\.env\.S3_ENDPOINT holds a URL with a user and password/);
    expect(error).toMatch(/test\/Snapshots\/Job: groups\[snapshot\]\.tasks\[save\]\.env\.NOMAD_CACERT holds a private key/);
    expect(error).not.toContain("wJalr");
  });

  it("fails on a private key given where Consul expects Nomad's CA certificate, and passes the certificate", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const withCa = (nomadCaPem: string) =>
      synthScanned((stack) => {
        new ConsulProvider(stack, "consul", { address: "http://127.0.0.1:8500" });
        new ConsulWorkloadIdentity(stack, "WorkloadIdentity", { nomadAddress: "https://127.0.0.1:4646", nomadCaPem });
      });
    expect(withCa(privateKey.export({ type: "pkcs8", format: "pem" }) as string)).toMatch(
      /test\/WorkloadIdentity\/[^:]+: config_json holds a private key \(PEM, or an age identity\) \("-----B…"\) in plain text; pass a reference to a sensitive value instead/,
    );
    expect(withCa(rootCertificates[0])).toBe("");
  });

  it("fails on secrets in provider settings, locals, outputs, variable defaults and provisioner commands", () => {
    const gossip = randomBytes(32).toString("base64");
    const error = synthScanned((stack) => {
      new NomadProvider(stack, "nomad2", { address: "http://127.0.0.1:4646", secretId: randomUUID(), alias: "other" });
      new TerraformLocal(stack, "gossip", `encrypt = "${gossip}"`);
      new TerraformOutput(stack, "url", { value: "https://admin:hunter2@nomad.lab.example.com" });
      new TerraformVariable(stack, "region", { type: "string", default: AWS_KEY });
      new DataResource(stack, "Deliver", {
        provisioners: [{ type: "local-exec", command: `curl -H "Authorization: Bearer ${HCLOUD_TOKEN}" https://api.hetzner.cloud/v1/servers` }],
      });
    });
    expect(error).toMatch(/test\/nomad2: secret_id holds a UUID .* in plain text; pass a reference to a sensitive value instead/);
    expect(error).toMatch(/test\/gossip: gossip holds a base64 16- or 32-byte key/);
    expect(error).toMatch(/test\/url: value holds a URL with a user and password/);
    expect(error).toMatch(/test\/region: default holds an AWS-style access key id/);
    expect(error).toMatch(/test\/Deliver: provisioner\[0\]\.local-exec\.command holds a 64-character token/);
    expect(error).not.toMatch(new RegExp(`hunter2|${HCLOUD_TOKEN}|${gossip.replace(/[+/]/g, ".")}`));
  });

  it("fails with cdktf's HCL output too", () => {
    const outdir = mkdtempSync(join(tmpdir(), "hashilab-hcl-"));
    try {
      const app = new App({ outdir, hclOutput: true });
      const stack = new TerraformStack(app, "test");
      rejectPlaintextSecrets(stack);
      new TerraformOutput(stack, "token", { value: HCLOUD_TOKEN });
      expect(errorOf(() => app.synth())).toMatch(/test\/token: value holds a 64-character token/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("fails on a sensitive variable with a default, even one given by an override", () => {
    const error = synthScanned((stack) => {
      secretVar(stack, "db_password", { default: "hunter2" });
      secretVar(stack, "api_token").addOverride("default", "correct horse");
      secretVar(stack, "optional_token", { default: "" });
    });
    expect(error).toMatch(/test\/db_password: the default of sensitive variable "db_password" is written to cdk.tf.json in plain text; remove the default and set TF_VAR_db_password at deploy time/);
    expect(error).toMatch(/test\/api_token: the default of sensitive variable "api_token"/);
    expect(error).not.toMatch(/optional_token|hunter2|horse/);
  });

  it("passes secrets that are references, and ids that look like tokens, in a job and in an output", () => {
    const stack = jobStack(SEED_FACTS);
    const token = secretVar(stack, "token");
    new NomadJob(stack, "App", {
      name: "app",
      meta: { run_id: randomUUID(), deploymentID: randomUUID() },
      groups: [
        {
          name: "web",
          // Pinning to one node compares its id.
          constraints: [{ attribute: "${node.unique.id}", value: randomUUID() }],
          tasks: [{ name: "server", driver: "docker", config: { image: "nginx" }, env: { TOKEN: token.stringValue } }],
        },
      ],
    });
    new TerraformOutput(stack, "token_out", { value: token.stringValue, sensitive: true });
    expect(findPlaintextSecrets(stack)).toEqual([]);
  });
});
