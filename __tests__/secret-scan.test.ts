import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { TerraformOutput } from "cdktf";
import { ENVIRONMENTS, lab } from "../environments";
import { findSecretMaterial, scanStacksForSecrets } from "./support/secret-scan";
import { synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";

const kinds = (text: string) => findSecretMaterial(text, "sample").map((f) => f.kind);
/** A Hetzner Cloud API token's shape: 64 letters and digits. */
const HCLOUD_TOKEN = "Zk9Xq2LmT7vBn4RcW8yHs1JdP6uGe3AoKi5ZtQwVx0MbNfCjYhUlDpEr2SgIaOk7";
const AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

function tool(command: string, args: string[]): string {
  requireTool(command);
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function sshPublicKey(type: "rsa" | "ed25519"): string {
  requireTool("ssh-keygen");
  const dir = mkdtempSync(join(tmpdir(), "hashilab-ssh-"));
  try {
    execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "me@laptop", "-f", join(dir, "key")]);
    return readFileSync(join(dir, "key.pub"), "utf8").trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the secret scanner", () => {
  it("finds token UUIDs, gossip keys, private keys, API tokens, access keys, credentials in URLs and password hashes", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const ageIdentity = tool("age-keygen", []).split("\n").find((line) => line.startsWith("AGE-SECRET-KEY-"))!;
    const samples: Record<string, string> = {
      "token-uuid": `token = "${randomUUID()}"`,
      "gossip-key": `encrypt = "${randomBytes(32).toString("base64")}"`,
      "api-token": `HCLOUD_TOKEN=${HCLOUD_TOKEN}`,
      "aws-access-key": `aws_access_key_id = ${AWS_KEY}`,
      "url-credentials": "S3_ENDPOINT=https://KEYID:wJalrXUtnFEMI@nbg1.your-objectstorage.com",
    };
    for (const [kind, text] of Object.entries(samples)) expect([kind, kinds(text)]).toEqual([kind, [kind]]);
    expect(kinds("REDIS_URL=redis://:hunter2@redis.service.consul:6379")).toEqual(["url-credentials"]);
    // Consul also takes 16-byte gossip keys.
    expect(kinds(randomBytes(16).toString("base64"))).toEqual(["gossip-key"]);
    expect(kinds(privateKey.export({ type: "pkcs8", format: "pem" }) as string)).toEqual(["private-key"]);
    // One finding per key: its base64 lines (64 characters, often letters and digits only) are no API tokens.
    for (let i = 0; i < 5; i++) {
      const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }) as string;
      expect(kinds(rsa)).toEqual(["private-key"]);
    }
    expect(kinds("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----")).toEqual(["private-key"]);
    expect(kinds(ageIdentity)).toEqual(["private-key"]);
    const hashes = [
      tool("openssl", ["passwd", "-apr1", "hunter2"]).trim(),
      tool("openssl", ["passwd", "-6", "hunter2"]).trim(),
      tool("openssl", ["passwd", "-5", "hunter2"]).trim(),
      "$2b$05$tSsm1M1VU9mAPAzuZ/u5zed.xA1zTCUcLP2l0XEC5KYPLZGG71OEq", // htpasswd -B
      `{SHA}${createHash("sha1").update("hunter2").digest("base64")}`, // htpasswd -s
    ];
    for (const hash of hashes) expect([hash.slice(0, 4), kinds(`admin:${hash}`)]).toEqual([hash.slice(0, 4), ["password-hash"]]);
  });

  it("judges only the literal parts of Terraform expressions", () => {
    expect(kinds("${var.hcloud_token}")).toEqual([]);
    expect(kinds("Bearer ${random_password.api.result} for ${data.terraform_remote_state.acl.outputs.nomad_token}")).toEqual([]);
    // A function call wrapping a literal is still the literal.
    expect(kinds(`\${lower("${AWS_KEY}")}`)).toEqual(["aws-access-key"]);
    expect(kinds(`\${format("%s", "${randomUUID()}")}`)).toEqual(["token-uuid"]);
    expect(kinds(`%{ if true }${HCLOUD_TOKEN}%{ endif }`)).toEqual(["api-token"]);
    // $${...} is Nomad's interpolation, written literally.
    expect(kinds(`$\${NOMAD_META_x} ${AWS_KEY}`)).toEqual(["aws-access-key"]);
    // Pieces on both sides of a reference do not join into one.
    expect(kinds(`${HCLOUD_TOKEN.slice(0, 32)}\${var.x}${HCLOUD_TOKEN.slice(32)}`)).toEqual([]);
  });

  it("does not take digests, ids, public keys, certificates or runtime references for secrets", () => {
    const sha256 = createHash("sha256").update("x").digest();
    const samples = [
      `{"nomad_config_sha256":"${sha256.toString("hex")}"}`,
      `image = "docker.io/library/traefik@sha256:${sha256.toString("hex").toUpperCase()}"`,
      `integrity = "sha256-${sha256.toString("base64")}"`,
      `accessor_id = "${randomUUID()}"`,
      `{"AccessorID": "${randomUUID()}", "JobID": "x"}`,
      `job "${randomUUID()}" {`,
      sshPublicKey("rsa"),
      sshPublicKey("ed25519"),
      lab.snapshots?.ageRecipient ?? "",
      "url = \"https://user:{{ .password }}@example.com\"",
      "url = \"https://user:$${DB_PASSWORD}@example.com\"",
      "url = \"https://user:${var.password}@example.com\"",
      "https://user@example.com/path:with@colons",
      ...rootCertificates,
    ];
    for (const sample of samples) expect([sample.slice(0, 40), kinds(sample)]).toEqual([sample.slice(0, 40), []]);
  });

  it("finds a UUID under a secret's name even where ids are usual", () => {
    expect(kinds(`secret_id = "${randomUUID()}"`)).toEqual(["token-uuid"]);
    expect(kinds(`{"SecretID": "${randomUUID()}"}`)).toEqual(["token-uuid"]);
  });

  it("reports only the first characters of what it found", () => {
    const secret = randomUUID();
    const [finding] = findSecretMaterial(secret, "sample");
    expect(finding.excerpt).toBe(`${secret.slice(0, 6)}…`);
    const [url] = findSecretMaterial("https://KEYID:wJalrXUtnFEMI@host", "sample");
    expect(url.excerpt).toBe("https://KEYID:…@");
  });
});

describe.each(ENVIRONMENTS.map((env) => [env.name, env] as const))("%s", (_name, env) => {
  const userData: Record<string, string> = {};
  const stacks = synthEnvironment(env, (built) => {
    const cluster = built.hosts?.cluster;
    for (const host of cluster && "hosts" in cluster ? cluster.hosts : []) userData[host.spec.name] = host.userData;
  });

  it("has no plaintext secret in any synthesized stack", () => {
    expect(Object.keys(stacks).length).toBeGreaterThan(2);
    expect(scanStacksForSecrets(stacks)).toEqual([]);
  });

  it("has no plaintext secret in any host's user-data", () => {
    if (env.cluster.kind === "hetzner") expect(Object.keys(userData).length).toBeGreaterThan(0);
    const findings = Object.entries(userData).flatMap(([host, text]) => findSecretMaterial(text, `user-data of ${host}`));
    expect(findings).toEqual([]);
  });

  it("fails synth on secrets added to its stacks, naming every one in a stack at once", () => {
    let error = "";
    try {
      synthEnvironment(env, (built) => {
        new TerraformOutput(built.workloads, "leak", { value: AWS_KEY });
        new TerraformOutput(built.workloads, "token", { value: `\${lower("${HCLOUD_TOKEN}")}` });
      });
    } catch (e) {
      error = String(e);
    }
    expect(error).toMatch(
      new RegExp(`${env.name}-workloads/leak: value holds an AWS-style access key id \\(AKIA.*\\) \\("AKIAIO…"\\) in plain text; pass a reference to a sensitive value instead`),
    );
    expect(error).toMatch(new RegExp(`${env.name}-workloads/token: value holds a 64-character token`));
    expect(error).not.toContain(HCLOUD_TOKEN);
  });
});
