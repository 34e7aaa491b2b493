import { randomBytes, randomUUID, generateKeyPairSync } from "node:crypto";
import { ENVIRONMENTS } from "../environments";
import { findSecretMaterial, scanStacksForSecrets } from "./support/secret-scan";
import { synthEnvironment } from "./support/synth";

describe("the secret scanner", () => {
  it("finds a token UUID, a 32-byte gossip key, a private key and a Hetzner API token in literal text", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const text = JSON.stringify({
      token: randomUUID(),
      gossip: `encrypt = "${randomBytes(32).toString("base64")}"`,
      key: privateKey.export({ type: "pkcs8", format: "pem" }),
      hcloud: "Zk9Xq2LmT7vBn4RcW8yHs1JdP6uGe3AoKi5ZtQwVx0MbNfCjYhUlDpEr2SgIaOk7",
    });
    expect(findSecretMaterial(text, "sample").map((f) => f.kind).sort()).toEqual(["api-token", "gossip-key", "private-key", "token-uuid"]);
  });

  it("does not take a SHA-256 digest for a token", () => {
    expect(findSecretMaterial(`{"nomad_config_sha256":"${"0123456789abcdef".repeat(4)}"}`, "sample")).toEqual([]);
  });

  it("ignores secrets that are Terraform references, and SSH public keys", () => {
    const text = JSON.stringify({
      content: "encrypt = \"${random_bytes.gossip.base64}\"",
      key: "${tls_private_key.host.private_key_pem}",
      ssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKBn0Jv4/LO496vXGweYpXFyRLuAcHNM3Nh3GvKf1/c0 operator@example",
    });
    expect(findSecretMaterial(text, "sample")).toEqual([]);
  });

  it("reports only the first characters of what it found", () => {
    const secret = randomUUID();
    const [finding] = findSecretMaterial(secret, "sample");
    expect(finding.excerpt).toBe(`${secret.slice(0, 6)}…`);
  });
});

describe.each(ENVIRONMENTS.map((env) => [env.name, env] as const))("%s", (_name, env) => {
  const userData: Record<string, string> = {};
  const stacks = synthEnvironment(env, (built) => {
    for (const host of built.hosts?.cluster.hosts ?? []) userData[host.spec.name] = host.userData;
  });

  it("has no plaintext secret in any synthesized stack", () => {
    expect(scanStacksForSecrets(stacks)).toEqual([]);
  });

  it("has no plaintext secret in any host's user-data", () => {
    if (env.cluster.kind === "hetzner") expect(Object.keys(userData).length).toBeGreaterThan(0);
    const findings = Object.entries(userData).flatMap(([host, text]) => findSecretMaterial(text, `user-data of ${host}`));
    expect(findings).toEqual([]);
  });
});
