import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HASHICORP_APT_KEY_FINGERPRINT, hashicorpKeyring } from "../constructs/hetzner-cluster/apt-repository";
import { requireTool } from "./support/tools";

/** The fingerprint HashiCorp publishes for its Linux package repositories (https://www.hashicorp.com/trust/security). */
const PUBLISHED_FINGERPRINT = "798A EC65 4E5C 1542 8C8E  42EE AA16 FCBC A621 E701";

describe("the vendored HashiCorp apt key", () => {
  const dir = mkdtempSync(join(tmpdir(), `hashilab-apt-key-${process.pid}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** gpg's machine-readable view of the vendored key, without touching any keyring (a throwaway GNUPGHOME). */
  function showKey(): string[][] {
    requireTool("gpg");
    const file = join(dir, "hashicorp.asc");
    writeFileSync(file, hashicorpKeyring());
    const result = spawnSync("gpg", ["--show-keys", "--with-fingerprint", "--with-colons", file], {
      encoding: "utf8",
      env: { ...process.env, GNUPGHOME: dir },
    });
    expect(result.status).toBe(0);
    return result.stdout.split("\n").map((line) => line.split(":"));
  }

  it("is the key with HashiCorp's published fingerprint, and the one the hosts' apt source names", () => {
    const records = showKey();
    const primary = records.findIndex((r) => r[0] === "pub");
    expect(records[primary + 1][0]).toBe("fpr");
    expect(records[primary + 1][9]).toBe(PUBLISHED_FINGERPRINT.replace(/\s+/g, ""));
    expect(HASHICORP_APT_KEY_FINGERPRINT).toBe(PUBLISHED_FINGERPRINT.replace(/\s+/g, ""));
    expect(records.filter((r) => r[0] === "pub")).toHaveLength(1);
  });

  it("has not expired: apt refuses packages signed by an expired key (renew the vendored file from apt.releases.hashicorp.com/gpg)", () => {
    const expiries = showKey()
      .filter((r) => r[0] === "pub" || r[0] === "sub")
      .map((r) => Number(r[6]));
    for (const expiry of expiries) expect(expiry === 0 || expiry * 1000 > Date.now()).toBe(true);
  });
});
