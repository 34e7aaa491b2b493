import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Bucket } from "./support/s3-bucket";
import { requireTool } from "./support/tools";

/**
 * The volume backup script (constructs/backups/restic.sh) run for real with Debian's restic
 * (0.14, the version the backup image pins), against a local repository and against an S3
 * stand-in that checks every SigV4 signature as S3 does, aws-chunked uploads included.
 */
const SCRIPT = join(__dirname, "..", "constructs", "backups", "restic.sh");
const KEYS = { accessKeyId: "AKIAHASHILABTEST", secretAccessKey: "s3cr3t/Key+With=Signs" };
const PASSWORD = "correct horse battery staple\n";

interface Run {
  readonly code: number;
  readonly out: string;
}

/** Runs the script asynchronously (the S3 stand-in answers in this process). */
function script(mode: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile("sh", [SCRIPT, mode], { env: { PATH: process.env.PATH!, HOME: env.HOME ?? tmpdir(), ...env }, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

function restic(args: string[], env: Record<string, string>): string {
  return execFileSync("restic", args, { env: { PATH: process.env.PATH!, ...env }, encoding: "utf8" });
}

/**
 * A snapshot of the volume with the host and tag the script's backup gives it, without the
 * script's repository check and retention pass (two more openings of the repository): for
 * cases about what comes after a backup. Returns the id restic reports.
 */
function snapshot(env: Record<string, string>, ...args: string[]): string {
  const out = restic(["backup", "--host", env.BACKUP_HOST, "--tag", env.BACKUP_TAG, ...args, env.BACKUP_PATH], env);
  return /^snapshot ([0-9a-f]{8}) saved$/m.exec(out)![1];
}

/** A volume with mixed content: text, binary, an empty file, a nested dir, a symlink, odd names. */
function fillVolume(dir: string): void {
  mkdirSync(join(dir, "repos", "a b"), { recursive: true });
  writeFileSync(join(dir, "app.ini"), "[server]\nROOT_URL = https://git.example\n");
  writeFileSync(join(dir, "repos", "a b", "pack.bin"), Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251)));
  writeFileSync(join(dir, "empty"), "");
  writeFileSync(join(dir, "quote\"and$dollar"), "x");
  execFileSync("ln", ["-s", "app.ini", join(dir, "link")]);
}

/** Every file under `dir` with its bytes (symlinks as their targets' names), for comparing trees. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = join(sub, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isSymbolicLink()) out[path] = `-> ${execFileSync("readlink", [join(dir, path)], { encoding: "utf8" })}`;
      else out[path] = readFileSync(join(dir, path)).toString("base64");
    }
  };
  walk("");
  return out;
}

describe("restic.sh, the volume backup", () => {
  let root: string;
  let env: Record<string, string>;
  let volume: string;

  // One `restic init` for the cases that start from an existing repository: each opening of a
  // repository derives its key with the scrypt cost restic calibrates at init (most of this
  // file's CPU), and init calibrates it anew. The cases about a new repository init their own.
  let initialized: string;
  beforeAll(() => {
    requireTool("restic");
    initialized = mkdtempSync(join(tmpdir(), `hashilab-restic-init-${process.pid}-`));
    writeFileSync(join(initialized, "password"), PASSWORD);
    restic(["init", "--quiet"], { RESTIC_REPOSITORY: join(initialized, "repo"), RESTIC_PASSWORD_FILE: join(initialized, "password"), RESTIC_CACHE_DIR: join(initialized, "cache") });
  });
  afterAll(() => rmSync(initialized, { recursive: true, force: true }));
  /** This case's repository (RESTIC_REPOSITORY), initialized and empty: a copy of the one made in beforeAll. */
  const existingRepository = () => cpSync(join(initialized, "repo"), env.RESTIC_REPOSITORY, { recursive: true });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), `hashilab-restic-${process.pid}-`));
    volume = join(root, "data");
    mkdirSync(volume);
    writeFileSync(join(root, "password"), PASSWORD);
    env = {
      HOME: root,
      RESTIC_CACHE_DIR: join(root, "cache"),
      RESTIC_REPOSITORY: join(root, "repo"),
      RESTIC_PASSWORD_FILE: join(root, "password"),
      BACKUP_PATH: volume,
      BACKUP_HOST: "default-gitea-data",
      BACKUP_TAG: "volume",
      KEEP_LAST: "3",
      KEEP_DAILY: "7",
      KEEP_WEEKLY: "4",
      KEEP_MONTHLY: "6",
      CHECK_SUBSET: "100%",
    };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("backs up a volume into a new local repository, and a restore brings back exactly those bytes after changes", async () => {
    fillVolume(volume);
    const before = tree(volume);
    expect((await script("backup", env)).code).toBe(0);
    writeFileSync(join(volume, "app.ini"), "changed");
    writeFileSync(join(volume, "new-file"), "added after the backup");
    rmSync(join(volume, "empty"));
    const restore = await script("restore", { ...env, RESTORE_SNAPSHOT: "latest" });
    expect(restore.code).toBe(0);
    expect(tree(volume)).toEqual(before);
    // What was there before the restore is kept as a snapshot of its own.
    const snapshots = JSON.parse(restic(["snapshots", "--json"], env));
    expect(snapshots.map((s: any) => s.tags)).toEqual([["volume"], ["pre-restore"]]);
    expect(snapshots.every((s: any) => s.hostname === "default-gitea-data")).toBe(true);
  });

  it("restores a named older snapshot, not the newest", async () => {
    existingRepository();
    writeFileSync(join(volume, "v"), "one");
    const first = snapshot(env);
    writeFileSync(join(volume, "v"), "two");
    snapshot(env);
    expect((await script("restore", { ...env, RESTORE_SNAPSHOT: first })).code).toBe(0);
    expect(readFileSync(join(volume, "v"), "utf8")).toBe("one");
  });

  it("fails a restore of a snapshot that does not exist, leaving the volume untouched", async () => {
    existingRepository();
    writeFileSync(join(volume, "v"), "keep me");
    snapshot(env);
    const run = await script("restore", { ...env, RESTORE_SNAPSHOT: "deadbeef" });
    expect(run.code).not.toBe(0);
    expect(run.out).toContain("no snapshot deadbeef of default-gitea-data");
    expect(readFileSync(join(volume, "v"), "utf8")).toBe("keep me");
  });

  it("keeps what the retention says: the newest daily ones and the newest of each month", async () => {
    existingRepository();
    writeFileSync(join(volume, "v"), "x");
    snapshot(env);
    for (const time of ["2024-01-15 10:00:00", "2024-01-20 10:00:00", "2024-02-10 10:00:00", "2024-03-05 10:00:00"]) snapshot(env, "--time", time);
    // The last one, one daily (today's) and three monthly: this month's, March's and February's; January's two go.
    expect((await script("backup", { ...env, KEEP_LAST: "1", KEEP_DAILY: "1", KEEP_WEEKLY: "0", KEEP_MONTHLY: "3" })).code).toBe(0);
    const kept = JSON.parse(restic(["snapshots", "--json"], env)).map((s: any) => s.time.slice(0, 10));
    expect(kept.filter((day: string) => day.startsWith("2024"))).toEqual(["2024-02-10", "2024-03-05"]);
    expect(kept.length).toBe(3);
    // Pruned: the repository holds only what the kept snapshots need, and is sound.
    expect((await script("check", env)).code).toBe(0);
  });

  it("fails the job when the backup fails: no volume mounted, a wrong password, a corrupted repository", async () => {
    const missing = await script("backup", { ...env, BACKUP_PATH: join(root, "not-mounted") });
    expect(missing.code).toBe(1);
    expect(missing.out).toContain("is not a directory: is the volume mounted?");

    existingRepository();
    writeFileSync(join(volume, "v"), "x");
    expect((await script("backup", env)).code).toBe(0);
    writeFileSync(join(root, "wrong"), "not the password\n");
    const wrong = await script("backup", { ...env, RESTIC_PASSWORD_FILE: join(root, "wrong") });
    expect(wrong.code).not.toBe(0);
    // It must not try to initialize over a repository it cannot open.
    expect(wrong.out).toContain("not initializing over it");

    const packs = join(root, "repo", "data");
    const sub = readdirSync(packs).find((d) => readdirSync(join(packs, d)).length > 0)!;
    const [pack] = readdirSync(join(packs, sub));
    // Bit rot: one flipped byte in a pack (a missing or truncated pack makes restic retry for minutes).
    const bytes = readFileSync(join(packs, sub, pack));
    bytes[bytes.length >> 1] ^= 0xff;
    rmSync(join(packs, sub, pack), { force: true });
    writeFileSync(join(packs, sub, pack), bytes);
    const check = await script("check", env);
    expect(check.code).not.toBe(0);
    expect(check.out).toContain("repository contains errors");
  });

  it("runs under busybox's sh and applets, as in the restic image (Alpine), with nothing else on PATH", async () => {
    requireTool("busybox");
    const bin = join(root, "bin");
    mkdirSync(bin);
    for (const applet of ["sh", "env", "find", "mktemp", "tr", "sed", "grep", "rm", "cat"]) execFileSync("ln", ["-s", "/usr/bin/busybox", join(bin, applet)]);
    execFileSync("ln", ["-s", execFileSync("sh", ["-c", "command -v restic"], { encoding: "utf8" }).trim(), join(bin, "restic")]);
    const busybox = (mode: string, extra: Record<string, string> = {}) =>
      new Promise<Run>((resolve) =>
        execFile(join(bin, "sh"), [SCRIPT, mode], { env: { ...env, PATH: bin, ...extra } }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
        ),
      );
    fillVolume(volume);
    const before = tree(volume);
    expect((await busybox("backup")).code).toBe(0);
    writeFileSync(join(volume, "app.ini"), "changed");
    expect((await busybox("restore", { RESTORE_SNAPSHOT: "latest" })).code).toBe(0);
    expect(tree(volume)).toEqual(before);
    // A dispatch without the snapshot meta leaves Nomad's placeholder: refused, nothing touched.
    const unset = await busybox("restore", { RESTORE_SNAPSHOT: "$" + "{NOMAD_META_snapshot}" });
    expect(unset.out).toContain('set RESTORE_SNAPSHOT to a snapshot id or "latest"');
  });

  it("passes shellcheck as POSIX sh, as does the stop-the-world script, and neither holds what Nomad would read as its own", () => {
    requireTool("shellcheck");
    const stopTheWorld = join(__dirname, "..", "constructs", "backups", "stop-the-world.sh");
    execFileSync("shellcheck", ["-s", "sh", SCRIPT, stopTheWorld]);
    // HCL interpolation (${, %{) and consul-template actions ({{): both scripts are template data.
    for (const file of [SCRIPT, stopTheWorld]) expect(readFileSync(file, "utf8")).not.toMatch(/[$%]\{|\{\{/);
  });

  describe("against S3", () => {
    let bucket: S3Bucket;
    let endpoint: string;
    beforeEach(async () => {
      bucket = new S3Bucket({ bucket: "hashilab-backups", region: "us-east-1", ...KEYS });
      endpoint = await bucket.start();
    });
    afterEach(() => bucket.stop());

    const s3Env = () => ({
      ...env,
      RESTIC_REPOSITORY: `s3:${endpoint}/hashilab-backups/lab/default/gitea-data`,
      AWS_ACCESS_KEY_ID: KEYS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey,
    });

    it("backs up and restores through signed requests S3 accepts, every object under the environment's prefix", async () => {
      fillVolume(volume);
      const before = tree(volume);
      const backup = await script("backup", s3Env());
      expect(backup.out).not.toContain("Fatal");
      expect(backup.code).toBe(0);
      writeFileSync(join(volume, "app.ini"), "changed");
      const restore = await script("restore", { ...s3Env(), RESTORE_SNAPSHOT: "latest" });
      expect(restore.out).not.toContain("error");
      expect(restore.code).toBe(0);
      expect(tree(volume)).toEqual(before);
      expect([...bucket.objects.keys()].every((key) => key.startsWith("lab/default/gitea-data/"))).toBe(true);
      // Only "not there yet" answers: every signature (chunked uploads included) was accepted.
      expect(bucket.requests.filter((r) => r.error !== undefined && r.error !== "NoSuchKey")).toEqual([]);
      expect(bucket.requests.some((r) => r.headers["x-amz-content-sha256"] === "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")).toBe(true);
    });

    it("fails the backup when S3 refuses the keys", async () => {
      writeFileSync(join(volume, "v"), "x");
      const run = await script("backup", { ...s3Env(), AWS_SECRET_ACCESS_KEY: "wrong" });
      expect(run.code).not.toBe(0);
      expect(bucket.objects.size).toBe(0);
      expect(bucket.requests.some((r) => r.error === "SignatureDoesNotMatch")).toBe(true);
      expect(run.out).toContain("not initializing over it");
    });
  });
});
