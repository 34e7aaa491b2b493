import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { dev, EnvironmentConfig, lab } from "../environments";
import { NomadJob } from "../constructs/nomad-job";
import { RaftSnapshots, RaftSnapshotsProps } from "../constructs/raft-snapshots";
import { evaluateJobspecs, parseJob } from "./nomad-job.support";
import { scanStacksForSecrets } from "./support/secret-scan";
import { resourcesOf, synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";

const SCRIPT = join(__dirname, "..", "constructs", "raft-snapshots", "snapshot.sh");

describe("the lab's Raft snapshots", () => {
  const stack = synthEnvironment(lab)["lab-workloads"];
  const [jobId] = Object.keys(resourcesOf(stack, "nomad_job")).filter((id) => id.startsWith("RaftSnapshots"));
  let job: any;
  beforeAll(async () => {
    const received = evaluateJobspecs(stack)[jobId];
    job = (await parseJob(received))["raft-snapshots"][0];
  });

  it("run as a periodic batch job that never overlaps itself", () => {
    expect(job.type).toBe("batch");
    expect(job.periodic).toEqual([{ crons: ["0 3 * * *"], time_zone: "UTC", prohibit_overlap: true }]);
  });

  it("use the hosts' own nomad and consul over the local HTTPS APIs, verified with the cluster CA", () => {
    const task = job.group.snapshot[0].task.save[0];
    expect(task.driver).toBe("exec");
    expect(task.config).toEqual([{ command: "/bin/sh", args: ["local/snapshot.sh"] }]);
    expect(task.env[0]).toMatchObject({
      NOMAD_ADDR: "https://127.0.0.1:4646",
      CONSUL_HTTP_ADDR: "https://127.0.0.1:8501",
      NOMAD_CACERT: "/etc/hashilab/tls/ca.pem",
      CONSUL_CACERT: "/etc/hashilab/tls/ca.pem",
      S3_BUCKET: "hashilab-lab-snapshots",
      S3_ENDPOINT: "https://nbg1.your-objectstorage.com",
      S3_PREFIX: "lab/",
      RETAIN: "14",
    });
  });

  it("read tokens and S3 keys from the job's own Nomad variable into the secrets dir, never from the jobspec", () => {
    const task = job.group.snapshot[0].task.save[0];
    const secretTemplates = task.template.filter((t: any) => t.destination.startsWith("secrets/"));
    expect(secretTemplates.map((t: any) => [t.destination, t.perms])).toEqual([
      ["secrets/tokens.env", "0400"],
      ["secrets/s3.curlrc", "0400"],
    ]);
    for (const t of secretTemplates) expect(t.data).toMatch(/^\{\{ with nomadVar "nomad\/jobs\/raft-snapshots" \}\}/);
    expect(secretTemplates[0].env).toBe(true);
    expect(task.template[0].data).toBe(readFileSync(SCRIPT, "utf8"));
  });

  it("run in the management-only namespace ops, alone", () => {
    expect(job.namespace).toBe("ops");
    expect(lab.namespaces.find((ns) => ns.name === "ops")?.managementOnly).toBe(true);
    const inOps = Object.values<any>(resourcesOf(stack, "nomad_job")).filter((j) => /^\s*namespace\s*=\s*"ops"/m.test(j.jobspec));
    expect(inOps).toHaveLength(1);
  });

  it("keep their secrets in nomad/jobs/<job id> of the job's namespace, from management tokens of their own and sensitive variables", () => {
    const [variable] = Object.values<any>(resourcesOf(stack, "nomad_variable")).filter((v) => v.path.startsWith("nomad/jobs/raft"));
    expect([variable.path, variable.namespace]).toEqual(["nomad/jobs/raft-snapshots", "ops"]);
    expect(variable.items).toEqual({
      nomad_token: expect.stringMatching(/^\$\{nomad_acl_token\.RaftSnapshots_NomadToken_\w+\.secret_id\}$/),
      consul_token: expect.stringMatching(/^\$\{data\.consul_acl_token_secret_id\.RaftSnapshots_ConsulTokenSecret_\w+\.secret_id\}$/),
      s3_access_key_id: "${var.snapshots_s3_access_key_id}",
      s3_secret_access_key: "${var.snapshots_s3_secret_access_key}",
    });
    expect(stack.variable.snapshots_s3_secret_access_key.sensitive).toBe(true);
    expect(stack.variable.snapshots_s3_access_key_id.sensitive).toBe(true);
    const [nomadToken] = Object.values<any>(resourcesOf(stack, "nomad_acl_token")).filter((t) => t.name === "raft-snapshots");
    expect(nomadToken.type).toBe("management");
    const [consulToken] = Object.values<any>(resourcesOf(stack, "consul_acl_token"));
    expect(consulToken.policies).toEqual(["global-management"]);
    expect(resourcesOf(stack, "nomad_job")[jobId].depends_on).toEqual([expect.stringMatching(/^nomad_variable\.RaftSnapshots_Variable_/)]);
  });

  it("configure the Consul provider from the acl stack's token", () => {
    expect(stack.provider.consul[0].token).toContain("cross-stack-reference-input-lab-acl");
  });

  it("synthesize no secret material", () => {
    expect(scanStacksForSecrets({ "lab-workloads": stack })).toEqual([]);
  });
});

describe("the snapshot namespace", () => {
  const snapshotsIn = (namespace: string): EnvironmentConfig => ({ ...lab, snapshots: { ...lab.snapshots!, namespace } });

  it("fails when it is not declared managementOnly, since the operator policy would reach the tokens", () => {
    expect(() => synthEnvironment(snapshotsIn("lab"))).toThrow(
      /^lab-workloads: snapshots\.namespace "lab" is not declared managementOnly in environment "lab", so the operator policy .* could read the snapshot job's management tokens; declare it with managementOnly: true or use "ops"/,
    );
  });

  it("fails when another job of the stack runs in it (even one added after the snapshot job), naming that job", () => {
    expect(() =>
      synthEnvironment(lab, ({ workloads }) => {
        new NomadJob(workloads, "cleanup", {
          name: "cleanup",
          namespace: "ops",
          groups: [{ name: "cleanup", tasks: [{ name: "run", driver: "exec", config: { command: "/bin/true" } }] }],
        });
      }),
    ).toThrow(/\[lab-workloads\/RaftSnapshots\] namespace "ops" also runs job "cleanup" \(lab-workloads\/cleanup\); whoever may submit, exec into or read variables of jobs there can read the snapshot job's management tokens/);
  });
});

it("dev has no snapshot job and no Consul provider in its workloads stack", () => {
  const stack = synthEnvironment(dev)["dev-workloads"];
  expect(Object.keys(resourcesOf(stack, "nomad_job")).filter((id) => id.startsWith("RaftSnapshots"))).toEqual([]);
  expect(stack.provider.consul).toBeUndefined();
});

describe("RaftSnapshots", () => {
  const build = (props: Partial<RaftSnapshotsProps>) => {
    const stack = new TerraformStack(Testing.app(), "test");
    const secret = (id: string) => new TerraformVariable(stack, id, { sensitive: true }).stringValue;
    return new RaftSnapshots(stack, "snapshots", {
      bucket: "snaps",
      endpoint: "https://nbg1.your-objectstorage.com",
      s3AccessKeyId: secret("key_id"),
      s3SecretAccessKey: secret("secret_key"),
      ...props,
    });
  };

  it("fails on a literal S3 secret key, naming the construct", () => {
    expect(() => build({ s3SecretAccessKey: "wJalrXUtnFEMI" })).toThrow(/^test\/snapshots: invalid Raft snapshots:\n  - s3SecretAccessKey is a literal; pass a sensitive TerraformVariable's value/);
  });

  it("fails on a bucket name S3 would reject", () => {
    expect(() => build({ bucket: "My_Bucket" })).toThrow(/bucket "My_Bucket" is not an S3 bucket name/);
  });

  it("fails on an endpoint with a path", () => {
    expect(() => build({ endpoint: "https://nbg1.your-objectstorage.com/snaps" })).toThrow(/endpoint ".*\/snaps" is not an S3 endpoint: give scheme and host without a path/);
  });

  it("fails on a retention below one", () => {
    expect(() => build({ retention: 0 })).toThrow(/retention 0 must be a whole number of snapshots, at least 1/);
  });

  it("fails on a prefix without a trailing slash", () => {
    expect(() => build({ prefix: "lab" })).toThrow(/prefix "lab" must end with "\/"/);
  });

  it("fails on an invalid cron schedule (checked by NomadJob)", () => {
    expect(() => build({ schedule: "every day" })).toThrow(/test\/snapshots\/Job: invalid Nomad job/);
  });
});

describe("snapshot.sh", () => {
  it("passes shellcheck", () => {
    requireTool("shellcheck");
    execFileSync("shellcheck", ["--shell=sh", SCRIPT], { stdio: "pipe" });
  });

  /**
   * The script with the real curl against a stand-in for the three S3 calls it makes (PUT
   * object, ListObjectsV2, DELETE object) and stand-ins for `nomad` and `consul`, which the
   * test machine does not have.
   */
  describe("against a stand-in S3 bucket", () => {
    let dir: string;
    const objects = new Map<string, string>();
    const authorizations: string[] = [];
    let server: ReturnType<typeof createServer>;
    let endpoint: string;

    function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
      authorizations.push(String(req.headers.authorization ?? ""));
      const url = new URL(req.url!, "http://x");
      const [, bucket, ...key] = url.pathname.split("/");
      if (bucket !== "snaps") return void res.writeHead(404).end();
      if (req.method === "PUT") objects.set(key.join("/"), body);
      else if (req.method === "DELETE") objects.delete(key.join("/"));
      else if (req.method === "GET" && url.searchParams.get("list-type") === "2") {
        const prefix = url.searchParams.get("prefix") ?? "";
        const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
        return void res.end(`<ListBucketResult>${keys.map((k) => `<Contents><Key>${k}</Key></Contents>`).join("")}</ListBucketResult>`);
      }
      res.end();
    }

    beforeAll(async () => {
      requireTool("curl");
      dir = mkdtempSync(join(tmpdir(), "hashilab-snapshot-"));
      for (const sub of ["bin", "local", "secrets"]) mkdirSync(join(dir, sub));
      const stub = (name: string, check: string, file: string) => {
        writeFileSync(join(dir, "bin", name), `#!/bin/sh\nset -eu\n${check}\necho "${name} snapshot" > "${file}"\n`);
        chmodSync(join(dir, "bin", name), 0o755);
      };
      stub("nomad", '[ "$1 $2 $3" = "operator snapshot save" ] && [ "$NOMAD_TOKEN" = nomad-token ]', "$4");
      stub("consul", '[ "$1 $2" = "snapshot save" ] && [ "$CONSUL_HTTP_TOKEN" = consul-token ]', "$3");
      writeFileSync(join(dir, "secrets", "s3.curlrc"), 'user = "AKIDEXAMPLE:s3-secret-key"\n');
      server = createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => handle(req, res, body));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server?.close(() => resolve()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Runs the script as the job would, with the stand-ins first on PATH. */
    function runScript(overrides: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
      return new Promise((resolve) => {
        const child = spawn("sh", [SCRIPT], {
          env: {
            PATH: `${join(dir, "bin")}:${process.env.PATH}`,
            NOMAD_TASK_DIR: join(dir, "local"),
            NOMAD_SECRETS_DIR: join(dir, "secrets"),
            NOMAD_TOKEN: "nomad-token",
            CONSUL_HTTP_TOKEN: "consul-token",
            S3_ENDPOINT: endpoint,
            S3_BUCKET: "snaps",
            S3_REGION: "nbg1",
            S3_PREFIX: "lab/",
            RETAIN: "3",
            ...overrides,
          },
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("close", (code) => resolve({ code, out }));
      });
    }

    it("uploads both snapshots, signed with SigV4, and deletes all but the newest RETAIN of each", async () => {
      for (let day = 10; day < 15; day++) objects.set(`lab/nomad/202501${day}T030000Z.snap`, "old");
      objects.set("lab/consul/20250110T030000Z.snap", "old");
      const result = await runScript();
      expect(result.out).not.toContain("s3-secret-key");
      expect(result.code).toBe(0);
      const nomad = [...objects.keys()].filter((k) => k.startsWith("lab/nomad/")).sort();
      expect(nomad).toHaveLength(3);
      expect(nomad.slice(0, 2)).toEqual(["lab/nomad/20250113T030000Z.snap", "lab/nomad/20250114T030000Z.snap"]);
      expect(objects.get(nomad[2])).toBe("nomad snapshot\n");
      const consul = [...objects.keys()].filter((k) => k.startsWith("lab/consul/")).sort();
      expect(consul).toHaveLength(2);
      expect(objects.get(consul[1])).toBe("consul snapshot\n");
      expect(result.out).toContain("deleted lab/nomad/20250110T030000Z.snap");
      for (const auth of authorizations) {
        expect(auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/nbg1\/s3\/aws4_request/);
        expect(auth).not.toContain("s3-secret-key");
      }
    });

    it("fails on a rejected upload and leaves no snapshot (they hold every ACL secret) on the client", async () => {
      const result = await runScript({ S3_BUCKET: "no-such-bucket" });
      expect(result.code).not.toBe(0);
      expect(readdirSync(join(dir, "local")).filter((f) => f.endsWith(".snap"))).toEqual([]);
    });
  });
});
