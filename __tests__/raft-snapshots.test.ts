import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { dev, EnvironmentConfig, lab } from "../environments";
import { NomadJob } from "../constructs/nomad-job";
import { RaftSnapshots, RaftSnapshotsProps } from "../constructs/raft-snapshots";
import { S3Bucket } from "./support/s3-bucket";
import { evaluateJobspecs, parseJob } from "./nomad-job.support";
import { scanStacksForSecrets } from "./support/secret-scan";
import { resourcesOf, synthEnvironment } from "./support/synth";
import { evaluateWithTerraform } from "./support/terraform";
import { requireTool } from "./support/tools";

const SCRIPT = join(__dirname, "..", "constructs", "raft-snapshots", "snapshot.sh");
const AGE_RECIPIENT = lab.snapshots!.ageRecipient;

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
      AGE_RECIPIENT: lab.snapshots!.ageRecipient,
    });
  });

  it("read tokens and S3 keys from the job's own Nomad variable into the secrets dir, never from the jobspec, readable only by the task's user", () => {
    const task = job.group.snapshot[0].task.save[0];
    expect(task.user).toBe("nobody");
    const nobody = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }));
    const nogroup = Number(execFileSync("id", ["-g", "nobody"], { encoding: "utf8" }));
    const secretTemplates = task.template.filter((t: any) => t.destination.startsWith("secrets/"));
    expect(secretTemplates.map((t: any) => [t.destination, t.perms, t.uid, t.gid])).toEqual([
      ["secrets/tokens.env", "0400", nobody, nogroup],
      ["secrets/s3.curlrc", "0400", nobody, nogroup],
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

  it("keep the state of the variable they created themselves before it was a NomadVariable (a moved block, no replacement)", () => {
    const [id] = Object.keys(resourcesOf(stack, "nomad_variable")).filter((key) => key.startsWith("RaftSnapshots_Variable_"));
    // The address the variable had as RaftSnapshots' own resource "Variable" of the lab's workloads stack.
    expect((stack as any).moved).toEqual([{ from: "nomad_variable.RaftSnapshots_Variable_1921D02D", to: `nomad_variable.${id}` }]);
  });

  it("fails at plan, without printing them, on S3 keys that would break curl's config file (a quote, backslash, space or line break)", () => {
    requireTool("terraform");
    const [variable] = Object.values<any>(resourcesOf(stack, "nomad_variable")).filter((v) => v.path.startsWith("nomad/jobs/raft"));
    const [precondition] = variable.lifecycle.precondition;
    // The synthesized precondition, on a resource Terraform has built in, with the keys as sensitive variables.
    const plan = (secretKey: string) =>
      evaluateWithTerraform({ planned: true }, {
        variable: {
          snapshots_s3_access_key_id: { type: "string", sensitive: true, default: "AKIDEXAMPLE" },
          snapshots_s3_secret_access_key: { type: "string", sensitive: true, default: secretKey },
        },
        resource: { terraform_data: { keys: { lifecycle: { precondition: [precondition] } } } },
      });
    expect(() => plan("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")).not.toThrow();
    for (const broken of ['wJalr"XUtn', "wJalr\\XUtn", "wJalr XUtn", "wJalrXUtn\n"]) {
      let failure = "";
      try {
        plan(broken);
      } catch (e: any) {
        failure = String(e.stderr);
      }
      expect(failure.replace(/\s+/g, " ")).toContain("lab-workloads/RaftSnapshots: s3AccessKeyId and s3SecretAccessKey may hold only printable ASCII without spaces, quotes or backslashes");
      expect(failure).not.toContain("wJalr");
    }
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
      /^lab-workloads\/RaftSnapshots: invalid Raft snapshots:\n  - namespace "lab" is not management-only in this cluster \(management-only: ops\), so the operator policy .* could read the snapshot job's management tokens; make it management-only in the environment's namespaces \(managementOnly: true\), or use "ops"/,
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
      ageRecipient: AGE_RECIPIENT,
      ...props,
    });
  };

  it("accepts the recipient age-keygen prints", () => {
    requireTool("age-keygen");
    const generated = execFileSync("age-keygen", { encoding: "utf8", stdio: "pipe" });
    const recipient = /^# public key: (age1\w+)$/m.exec(generated)![1];
    expect(() => build({ ageRecipient: recipient })).not.toThrow();
  });

  it("fails on an age private key as the recipient, without echoing it", () => {
    const privateKey = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
    const attempt = () => build({ ageRecipient: privateKey });
    expect(attempt).toThrow(/^test\/snapshots: invalid Raft snapshots:\n  - ageRecipient holds an age private key \(AGE-SECRET-KEY-\.\.\.\); give its public key \(age-keygen -y key\.txt\), keep the private key offline/);
    expect(attempt).not.toThrow(/QQQQ/);
  });

  it("fails on a recipient that is not an age X25519 public key (ssh key, upper case, plugin, truncated), without echoing it", () => {
    for (const wrong of ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE", AGE_RECIPIENT.toUpperCase(), `age1yubikey1${AGE_RECIPIENT.slice(12)}`, AGE_RECIPIENT.slice(0, -1), "s3-secret-key"]) {
      const attempt = () => build({ ageRecipient: wrong });
      expect(attempt).toThrow(/ageRecipient \(\d+ characters\) is not an age X25519 recipient, "age1" and 58 lowercase bech32 characters: set it to the "Public key: age1\.\.\." that age-keygen prints/);
      expect(attempt).not.toThrow(wrong);
    }
  });

  it("fails on a recipient with a typo (bech32 checksum), which age would refuse at 03:00", () => {
    const typo = AGE_RECIPIENT.slice(0, 10) + (AGE_RECIPIENT[10] === "q" ? "p" : "q") + AGE_RECIPIENT.slice(11);
    expect(() => build({ ageRecipient: typo })).toThrow(/ageRecipient has an invalid bech32 checksum \(a typo\?\)/);
  });

  it("fails on a prefix the script could not put into a URL unencoded", () => {
    for (const prefix of ["my lab/", "lab/../", "lab//", "lab?/", "ça/"]) {
      expect(() => build({ prefix })).toThrow(/prefix ".*" may hold only A-Z a-z 0-9 \. _ ~ - and "\/" between non-empty segments/);
    }
  });

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
   * The script as the job runs it: rendered with the lab job's templates (perms, owner) into a
   * task dir, run as the task's user with the machine's curl 7.88.1 and age against a stand-in
   * bucket that checks SigV4 as S3 does, with stand-ins for `nomad` and `consul` (not on this
   * machine) that write random snapshots. curl and age are wrapped to record their arguments.
   */
  describe("as the lab's task, against a stand-in S3 bucket", () => {
    const ACCESS_KEY_ID = "AKIDEXAMPLE";
    const S3_SECRET = "s3-secret/key+with=signs";
    const TOKENS = { nomad_token: "nomad-token-secret", consul_token: "consul-token-secret" };
    let dir: string;
    let bucket: S3Bucket;
    let endpoint: string;
    let ageKey: string;
    let recipient: string;
    let task: any;
    let taskUser: { uid: number; gid: number };

    /** Root runs setpriv/chown itself; a CI runner uses passwordless sudo, passing the environment through env(1) (sudo resets it). */
    const privileged = (command: string[], env: Record<string, string> = {}) =>
      process.getuid?.() === 0 ? command : ["sudo", "-n", "env", "-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...command];
    const run = (command: string[]) => execFileSync(command[0], command.slice(1), { stdio: "pipe" });

    /** Writes a template's file as Nomad does: the rendered text, its perms, its uid/gid. */
    function render(template: any, values: Record<string, string>): string {
      const text = String(template.data)
        .replace(/\{\{ with nomadVar "[^"]+" \}\}|\{\{ end \}\}/g, "")
        .replace(/\{\{ \.(\w+) \}\}/g, (_, name: string) => values[name]);
      const file = join(dir, template.destination);
      writeFileSync(file, text);
      chmodSync(file, parseInt(template.perms, 8));
      if (template.uid !== undefined) run(privileged(["chown", `${template.uid}:${template.gid}`, file]));
      return text;
    }

    beforeAll(async () => {
      for (const tool of ["curl", "age", "age-keygen", "setpriv", "sha256sum"]) requireTool(tool);
      const stack = synthEnvironment(lab)["lab-workloads"];
      const [jobId] = Object.keys(resourcesOf(stack, "nomad_job")).filter((id) => id.startsWith("RaftSnapshots"));
      task = (await parseJob(evaluateJobspecs(stack)[jobId]))["raft-snapshots"][0].group.snapshot[0].task.save[0];
      taskUser = {
        uid: Number(execFileSync("id", ["-u", task.user], { encoding: "utf8" })),
        gid: Number(execFileSync("id", ["-g", task.user], { encoding: "utf8" })),
      };

      dir = mkdtempSync(join(tmpdir(), "hashilab-snapshot-"));
      chmodSync(dir, 0o755);
      for (const sub of ["bin", "local", "secrets", "taken"]) mkdirSync(join(dir, sub), { mode: 0o777 });
      // Nomad's task dirs are writable by the task; mkdir's mode is masked by the umask.
      for (const sub of ["local", "secrets", "taken"]) chmodSync(join(dir, sub), 0o777);
      writeFileSync(join(dir, "argv.log"), "");
      chmodSync(join(dir, "argv.log"), 0o666);
      const tool = (name: string, body: string) => writeFileSync(join(dir, "bin", name), `#!/bin/sh\nset -eu\nprintf '%s\\n' "${name} $*" >> "${dir}/argv.log"\n${body}\n`, { mode: 0o755 });
      // Random bytes: a binary body, and the nomad one above curl's 1 MiB Expect: 100-continue threshold.
      tool("nomad", `[ "$1 $2 $3" = "operator snapshot save" ] && [ "$NOMAD_TOKEN" = ${TOKENS.nomad_token} ]\nhead -c 1500000 /dev/urandom > "$4"\ncp "$4" "${dir}/taken/nomad"`);
      tool("consul", `[ "$1 $2" = "snapshot save" ] && [ "$CONSUL_HTTP_TOKEN" = ${TOKENS.consul_token} ]\nhead -c 4096 /dev/urandom > "$3"\ncp "$3" "${dir}/taken/consul"`);
      for (const real of ["curl", "age"]) tool(real, `exec ${execFileSync("sh", ["-c", `command -v ${real}`], { encoding: "utf8" }).trim()} "$@"`);

      ageKey = join(dir, "age.key");
      execFileSync("age-keygen", ["-o", ageKey], { stdio: "pipe" });
      recipient = /^# public key: (age1\w+)$/m.exec(readFileSync(ageKey, "utf8"))![1];

      bucket = new S3Bucket({ bucket: "snaps", region: "nbg1", accessKeyId: ACCESS_KEY_ID, secretAccessKey: S3_SECRET });
      endpoint = await bucket.start();
    });
    afterAll(async () => {
      await bucket?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      bucket.objects.clear();
      bucket.requests.length = 0;
      bucket.denied.clear();
      bucket.pageSize = 1000;
      bucket.movedTo = undefined;
      bucket.slowDowns = 0;
      writeFileSync(join(dir, "argv.log"), "");
    });

    /** Renders the task's templates, then runs local/snapshot.sh as the job would. */
    function runTask(
      env: Record<string, string> = {},
      secretsOwner?: { uid: number; gid: number },
      whileRunning?: (child: ChildProcess) => void,
    ): Promise<{ code: number | null; out: string }> {
      const values = { ...TOKENS, s3_access_key_id: ACCESS_KEY_ID, s3_secret_access_key: S3_SECRET };
      const taskEnv: Record<string, string> = {};
      for (const template of task.template) {
        const rendered = render(secretsOwner && template.uid !== undefined ? { ...template, ...secretsOwner } : template, values);
        if (template.env) for (const [, name, value] of rendered.matchAll(/^(\w+)=(.*)$/gm)) taskEnv[name] = value;
      }
      const jobEnv: Record<string, string> = {
        ...task.env[0],
        ...taskEnv,
        PATH: `${join(dir, "bin")}:/usr/bin:/bin`,
        NOMAD_TASK_DIR: join(dir, "local"),
        NOMAD_SECRETS_DIR: join(dir, "secrets"),
        S3_ENDPOINT: endpoint,
        S3_BUCKET: "snaps",
        S3_REGION: "nbg1",
        RETAIN: "3",
        AGE_RECIPIENT: recipient,
        ...env,
      };
      const asTaskUser = ["setpriv", `--reuid=${taskUser.uid}`, `--regid=${taskUser.gid}`, "--clear-groups", "--", task.config[0].command, ...task.config[0].args];
      return new Promise((resolve) => {
        const [command, ...args] = privileged(asTaskUser, jobEnv);
        const child = spawn(command, args, { cwd: dir, env: jobEnv });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("close", (code) => resolve({ code, out }));
        whileRunning?.(child);
      });
    }

    const seed = (keys: string[]) => keys.forEach((k) => bucket.objects.set(k, Buffer.from("old")));
    const keysUnder = (prefix: string) => [...bucket.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    const decrypt = (ciphertext: Buffer) => execFileSync("age", ["--decrypt", "--identity", ageKey], { input: ciphertext, stdio: "pipe", maxBuffer: 16 << 20 });
    const nothingSecretIn = (text: string) => {
      for (const secret of [S3_SECRET, ...Object.values(TOKENS)]) expect(text).not.toContain(secret);
    };
    const leftOnHost = () => [
      ...readdirSync(join(dir, "local")).filter((f) => !f.endsWith(".sh")),
      ...readdirSync(join(dir, "secrets")).filter((f) => f.includes(".snap")),
    ];

    it("uploads both snapshots as age ciphertext that the private key decrypts back to the snapshot", async () => {
      const result = await runTask();
      expect(result.out).toMatch(/uploaded lab\/nomad\/\d{8}T\d{6}Z\.snap\.age\nuploaded lab\/consul\//);
      expect(result.code).toBe(0);
      expect(bucket.requests.filter((r) => r.error)).toEqual([]);
      for (const system of ["nomad", "consul"]) {
        const [key] = keysUnder(`lab/${system}/`);
        expect(key).toMatch(new RegExp(`^lab/${system}/\\d{8}T\\d{6}Z\\.snap\\.age$`));
        const stored = bucket.objects.get(key)!;
        expect(stored.subarray(0, 22).toString()).toBe("age-encryption.org/v1\n");
        expect(decrypt(stored).equals(readFileSync(join(dir, "taken", system)))).toBe(true);
      }
      expect(leftOnHost()).toEqual([]);
      // The plaintext exists only in the secrets tmpfs (memory), sized for it in the jobspec.
      const argv = readFileSync(join(dir, "argv.log"), "utf8");
      expect(argv).toContain(`nomad operator snapshot save ${join(dir, "secrets")}/nomad-`);
      expect(argv).toContain(`consul snapshot save ${join(dir, "secrets")}/consul-`);
      expect(task.resources[0]).toMatchObject({ memory: 512, secrets: 256 });
    });

    it("signs every request with x-amz-content-sha256 (the body's hash on uploads), which curl 7.88 does not send itself", async () => {
      await runTask();
      const puts = bucket.requests.filter((r) => r.method === "PUT");
      expect(puts).toHaveLength(2);
      for (const put of puts) {
        expect(put.headers["x-amz-content-sha256"]).toBe(createHash("sha256").update(bucket.objects.get(decodeURIComponent(put.target.slice("/snaps/".length)))!).digest("hex"));
      }
      for (const request of bucket.requests) {
        expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/nbg1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=/);
      }
    });

    it("deletes all but the newest RETAIN of each system, plaintext ones from before included, across list pages, and leaves other keys alone", async () => {
      bucket.pageSize = 2;
      const others = ["lab/nomad/README", "lab/nomad/manual/20240101T000000Z.snap", "lab/consul-extra/20240101T000000Z.snap"];
      seed(others);
      seed(["10", "11", "12"].map((day) => `lab/nomad/202501${day}T030000Z.snap`));
      seed(["13", "14"].map((day) => `lab/nomad/202501${day}T030000Z.snap.age`));
      seed(["lab/consul/20250110T030000Z.snap.age"]);
      const result = await runTask();
      expect(result.code).toBe(0);
      const nomad = keysUnder("lab/nomad/").filter((k) => !others.includes(k));
      expect(nomad).toEqual(["lab/nomad/20250113T030000Z.snap.age", "lab/nomad/20250114T030000Z.snap.age", expect.stringMatching(/^lab\/nomad\/\d{8}T\d{6}Z\.snap\.age$/)]);
      expect(keysUnder("lab/consul/")).toHaveLength(2);
      for (const other of others) expect(bucket.objects.has(other)).toBe(true);
      expect(result.out).toContain("deleted lab/nomad/20250110T030000Z.snap\n");
      // Paged with the continuation token, URI-encoded and in SigV4's parameter order.
      const pages = bucket.requests.filter((r) => r.target.includes("continuation-token="));
      expect(pages.length).toBeGreaterThan(1);
      for (const page of pages) expect(page.target).toMatch(/^\/snaps\?continuation-token=1%2F[A-Za-z0-9%]+&list-type=2&prefix=lab%2F(nomad|consul)%2F$/);
    });

    it("pages past S3's 1,000 keys a listing", async () => {
      // Other keys sort first ("0" < "2"), so this job's only come on the second page.
      seed(Array.from({ length: 1001 }, (_, i) => `lab/nomad/0-note-${String(i).padStart(4, "0")}`));
      seed(["10", "11", "12", "13"].map((day) => `lab/nomad/202501${day}T030000Z.snap.age`));
      const result = await runTask();
      expect(result.code).toBe(0);
      expect(keysUnder("lab/nomad/2")).toEqual(["lab/nomad/20250112T030000Z.snap.age", "lab/nomad/20250113T030000Z.snap.age", expect.stringMatching(/^lab\/nomad\/\d{8}T\d{6}Z\.snap\.age$/)]);
      expect(keysUnder("lab/nomad/0-note-")).toHaveLength(1001);
      expect(bucket.requests.filter((r) => r.target.startsWith("/snaps?continuation-token=") && r.target.includes("prefix=lab%2Fnomad%2F"))).toHaveLength(1);
    });

    it("fails the run when listing is denied, after the upload, with S3's error", async () => {
      bucket.denied.add("s3:ListBucket");
      const result = await runTask();
      expect(result.code).not.toBe(0);
      expect(result.out).toContain("<Code>AccessDenied</Code>");
      expect(keysUnder("lab/nomad/")).toHaveLength(1);
      expect(keysUnder("lab/consul/")).toEqual([]);
      expect(leftOnHost()).toEqual([]);
    });

    it("fails the run when a delete is denied, and the old snapshot stays", async () => {
      bucket.denied.add("s3:DeleteObject");
      seed(["10", "11", "12", "13"].map((day) => `lab/nomad/202501${day}T030000Z.snap.age`));
      const result = await runTask();
      expect(result.code).not.toBe(0);
      expect(result.out).toContain("<Code>AccessDenied</Code>");
      expect(bucket.objects.has("lab/nomad/20250110T030000Z.snap.age")).toBe(true);
    });

    it("fails on a rejected upload and leaves no snapshot (they hold every ACL secret) on the client", async () => {
      const result = await runTask({ S3_BUCKET: "no-such-bucket" });
      expect(result.code).not.toBe(0);
      expect(result.out).toContain("<Code>NoSuchBucket</Code>");
      expect(leftOnHost()).toEqual([]);
    });

    it("retries a transient S3 error (503 SlowDown) instead of failing the night's run", async () => {
      bucket.slowDowns = 1;
      const result = await runTask();
      expect(result.code).toBe(0);
      expect(bucket.requests.map((r) => r.error).filter(Boolean)).toEqual(["SlowDown"]);
      expect(keysUnder("lab/nomad/")).toHaveLength(1);
    });

    it("fails when the endpoint is the wrong one for the bucket (S3's 301, which curl --fail passes)", async () => {
      bucket.movedTo = "fsn1.your-objectstorage.com";
      const result = await runTask();
      expect(result.code).not.toBe(0);
      expect(result.out).toContain("<Code>PermanentRedirect</Code>");
      expect(result.out).toContain("raft-snapshots: S3 answered HTTP 301 to: --upload-file");
    });

    it("leaves no plaintext behind when Nomad stops the task mid-snapshot, nor the .tmp file a failed `nomad operator snapshot save` leaves", async () => {
      const realNomad = readFileSync(join(dir, "bin", "nomad"));
      // Like Nomad 2.0.5's CLI: it streams into <file>.tmp and, on failure, returns without removing it.
      writeFileSync(join(dir, "bin", "nomad"), '#!/bin/sh\nhead -c 4096 /dev/urandom > "$4.tmp"\nsleep 2\nexit 1\n', { mode: 0o755 });
      try {
        const stopped = await runTask({}, undefined, (child) => setTimeout(() => child.kill("SIGTERM"), 500));
        expect(stopped.code).not.toBe(0);
        expect(leftOnHost()).toEqual([]);
        const failed = await runTask();
        expect(failed.code).not.toBe(0);
        expect(leftOnHost()).toEqual([]);
      } finally {
        writeFileSync(join(dir, "bin", "nomad"), realNomad);
      }
      expect(bucket.requests.filter((r) => r.method === "PUT")).toEqual([]);
    });

    it("refuses to upload plaintext: a failing age or one that does not encrypt stops the run before any upload", async () => {
      const failing = await runTask({ AGE_RECIPIENT: "age1notakey" });
      expect(failing.code).not.toBe(0);
      const realAge = readFileSync(join(dir, "bin", "age"));
      writeFileSync(join(dir, "bin", "age"), '#!/bin/sh\n# copies its input to --output: "encrypts" nothing\nwhile [ $# -gt 1 ]; do [ "$1" = --output ] && out=$2; shift; done\ncp "$1" "$out"\n');
      try {
        const copying = await runTask();
        expect(copying.code).not.toBe(0);
        expect(copying.out).toContain("is not age ciphertext; refusing to upload it");
      } finally {
        writeFileSync(join(dir, "bin", "age"), realAge);
      }
      expect(bucket.requests.filter((r) => r.method === "PUT")).toEqual([]);
      expect(leftOnHost()).toEqual([]);
    });

    it("keeps every secret out of its output and out of every command line", async () => {
      bucket.denied.add("s3:DeleteObject");
      seed(["10", "11", "12", "13"].map((day) => `lab/nomad/202501${day}T030000Z.snap.age`));
      const result = await runTask();
      nothingSecretIn(result.out);
      const argv = readFileSync(join(dir, "argv.log"), "utf8");
      expect(argv).toMatch(/^curl /m);
      expect(argv).toMatch(/^age --encrypt --recipient age1/m);
      nothingSecretIn(argv);
      for (const request of bucket.requests) nothingSecretIn(JSON.stringify(request.headers));
    });

    it("fails as the task's user when the secret files are the agent's (root's), as they were before uid/gid", async () => {
      const result = await runTask({}, { uid: 0, gid: 0 });
      expect(result.code).not.toBe(0);
      expect(result.out).toContain("curl: option --config: error encountered when reading a file");
      expect(bucket.requests).toEqual([]);
    });
  });
});

/** The stand-in bucket refuses what S3 refuses from curl 7.88.1 (the script's mistakes before). */
describe("the stand-in S3 bucket", () => {
  let bucket: S3Bucket;
  let endpoint: string;
  let dir: string;
  beforeAll(async () => {
    requireTool("curl");
    bucket = new S3Bucket({ bucket: "snaps", region: "nbg1", accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" });
    endpoint = await bucket.start();
    dir = mkdtempSync(join(tmpdir(), "hashilab-s3-"));
    writeFileSync(join(dir, "body"), "snapshot bytes");
  });
  afterAll(async () => {
    await bucket?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const EMPTY = createHash("sha256").update("").digest("hex");
  /** One curl 7.88 request signed as the script signs; S3's error code or "ok". Async: the bucket serves from this process. */
  const curl = (...args: string[]) =>
    new Promise<string>((resolve) => {
      const argv = ["--disable", "--silent", "--max-time", "20", "--fail-with-body", "--user", "AKIDEXAMPLE:secret", "--aws-sigv4", "aws:amz:nbg1:s3", ...args];
      execFile("curl", argv, (error, stdout) => resolve(error ? (/<Code>(\w+)<\/Code>/.exec(stdout)?.[1] ?? `curl exit ${error.code}`) : "ok"));
    });
  const sha = (text: string) => `x-amz-content-sha256: ${createHash("sha256").update(text).digest("hex")}`;

  it("accepts a request signed as S3 requires, and lists what it stored", async () => {
    expect(await curl("-H", sha("snapshot bytes"), "--upload-file", join(dir, "body"), `${endpoint}/snaps/lab/nomad/a.snap.age`)).toBe("ok");
    expect(await curl("-H", `x-amz-content-sha256: ${EMPTY}`, `${endpoint}/snaps?list-type=2&prefix=lab%2Fnomad%2F`)).toBe("ok");
    expect([...bucket.objects.keys()]).toEqual(["lab/nomad/a.snap.age"]);
  });

  it("fails an upload without x-amz-content-sha256 (curl 7.88 sends none) or with the wrong one", async () => {
    expect(await curl("--upload-file", join(dir, "body"), `${endpoint}/snaps/x`)).toBe("InvalidRequest");
    expect(await curl("-H", `x-amz-content-sha256: ${EMPTY}`, "--upload-file", join(dir, "body"), `${endpoint}/snaps/x`)).toBe("XAmzContentSHA256Mismatch");
  });

  it("fails a list whose query curl 7.88 signed as written: unencoded, out of SigV4's order, or lower-case hex (--data-urlencode)", async () => {
    const list = (query: string) => curl("-H", `x-amz-content-sha256: ${EMPTY}`, `${endpoint}/snaps?${query}`);
    expect(await list("list-type=2&prefix=lab/nomad/")).toBe("SignatureDoesNotMatch");
    expect(await list("prefix=lab%2Fnomad%2F&list-type=2")).toBe("SignatureDoesNotMatch");
    expect(await curl("-H", `x-amz-content-sha256: ${EMPTY}`, "--get", "--data", "list-type=2", "--data-urlencode", "prefix=lab/nomad/", `${endpoint}/snaps`)).toBe("SignatureDoesNotMatch");
    expect(await list("list-type=2&prefix=lab%2Fnomad%2F")).toBe("ok");
  });

  it("fails a request signed with another secret or for another region", async () => {
    expect(await curl("--user", "AKIDEXAMPLE:wrong", "-H", `x-amz-content-sha256: ${EMPTY}`, `${endpoint}/snaps?list-type=2`)).toBe("SignatureDoesNotMatch");
    expect(await curl("--aws-sigv4", "aws:amz:us-east-1:s3", "-H", `x-amz-content-sha256: ${EMPTY}`, `${endpoint}/snaps?list-type=2`)).toBe("AuthorizationHeaderMalformed");
  });
});
