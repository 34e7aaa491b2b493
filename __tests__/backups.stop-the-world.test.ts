import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The order of operations of constructs/backups/stop-the-world.sh, with a stand-in `nomad` on
 * PATH that records its calls and answers as the CLI of Nomad 2.0.5 does for the commands the
 * script uses (command/job_scale.go, job_dispatch.go "Dispatched Job ID = ...", job_allocs.go
 * -json, alloc_exec.go -job; their flags were read there at v2.0.5). It checks the script's
 * order and failure handling, not Nomad; the jobs' policies are checked in backups.jobs.test.ts.
 */
const SCRIPT = join(__dirname, "..", "constructs", "backups", "stop-the-world.sh");

const FAKE_NOMAD = `#!/bin/sh
echo "$*" >>"$FAKE_DIR/calls"
case "$1 $2" in
"job allocs")
  for last; do :; done
  if [ "$last" = gitea ]; then
    if [ -f "$FAKE_DIR/stopped" ]; then echo '[]'; else printf '[\\n  {\\n    "ClientStatus": "running"\\n  }\\n]\\n'; fi
  elif [ ! -f "$FAKE_DIR/dispatch-seen" ]; then
    touch "$FAKE_DIR/dispatch-seen"; echo '[]'
  else
    printf '[\\n  {\\n    "ClientStatus": "%s"\\n  }\\n]\\n' "$FAKE_BACKUP_STATUS"
  fi ;;
"job scale")
  for last; do :; done
  if [ "$last" = 0 ]; then touch "$FAKE_DIR/stopped"; else rm -f "$FAKE_DIR/stopped"; fi ;;
"job dispatch") echo "Dispatched Job ID = gitea-data-restic/dispatch-1764170000-abcd1234" ; echo "Evaluation ID     = 0000" ;;
"alloc exec") exit "$FAKE_HOOK_RC" ;;
*) echo "unexpected: $*" >&2; exit 2 ;;
esac
`;

function run(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), `hashilab-stw-${process.pid}-`));
  try {
    writeFileSync(join(dir, "nomad"), FAKE_NOMAD);
    if (env.FAKE_STOPPED) writeFileSync(join(dir, "stopped"), "");
    chmodSync(join(dir, "nomad"), 0o755);
    const result = spawnSync("sh", [SCRIPT], {
      encoding: "utf8",
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        FAKE_DIR: dir,
        FAKE_BACKUP_STATUS: "complete",
        FAKE_HOOK_RC: "0",
        NOMAD_TASK_DIR: dir,
        APP_JOB: "gitea",
        APP_GROUP: "gitea",
        APP_TASK: "gitea",
        APP_COUNT: "1",
        BACKUP_JOB: "gitea-data-restic",
        PRE_BACKUP_COMMAND: "",
        STOP_TIMEOUT_SECONDS: "30",
        BACKUP_TIMEOUT_SECONDS: "30",
        POLL_SECONDS: "0",
        ...env,
      },
    });
    const calls = readFileSync(join(dir, "calls"), "utf8").trim().split("\n");
    return { status: result.status, output: result.stdout + result.stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("stop-the-world.sh (with a stand-in nomad CLI)", () => {
  it("stops the app, backs up with the dispatched restic job, waits for it and starts the app again", () => {
    const { status, calls } = run({});
    expect(status).toBe(0);
    expect(calls).toEqual([
      "job allocs -json gitea",
      "job scale -detach gitea gitea 0",
      "job allocs -json gitea",
      "job dispatch -detach -id-prefix-template scheduled -meta mode=backup gitea-data-restic",
      "job allocs -json gitea-data-restic/dispatch-1764170000-abcd1234",
      "job allocs -json gitea-data-restic/dispatch-1764170000-abcd1234",
      "job scale -detach gitea gitea 1",
    ]);
  });

  it("fails the run when the backup never finishes (e.g. cannot claim the volume), and still starts the app again", () => {
    const { status, output, calls } = run({ FAKE_BACKUP_STATUS: "pending", BACKUP_TIMEOUT_SECONDS: "0" });
    expect(status).toBe(1);
    expect(output).toContain("did not finish within 0 s");
    expect(calls[calls.length - 1]).toBe("job scale -detach gitea gitea 1");
  });

  it("fails the run when the backup failed, and still starts the app again", () => {
    const { status, output, calls } = run({ FAKE_BACKUP_STATUS: "failed" });
    expect(status).toBe(1);
    expect(output).toContain("the backup gitea-data-restic/dispatch-1764170000-abcd1234 failed");
    expect(calls[calls.length - 1]).toBe("job scale -detach gitea gitea 1");
  });

  it("backs up an app someone stopped without starting it", () => {
    const { status, calls } = run({ FAKE_STOPPED: "1" });
    expect(status).toBe(0);
    expect(calls.filter((c) => c.startsWith("job scale"))).toEqual([]);
    expect(calls).toContain("job dispatch -detach -id-prefix-template scheduled -meta mode=backup gitea-data-restic");
  });

  it("runs the pre-backup command in the app first, and stops nothing when it fails", () => {
    const ok = run({ PRE_BACKUP_COMMAND: "sqlite3 /data/gitea.db .dump > /data/dump.sql" });
    expect(ok.calls[1]).toBe("alloc exec -i=false -t=false -job -task gitea gitea /bin/sh -c sqlite3 /data/gitea.db .dump > /data/dump.sql");
    const failed = run({ PRE_BACKUP_COMMAND: "false", FAKE_HOOK_RC: "1" });
    expect(failed.status).toBe(1);
    expect(failed.calls).toEqual(["job allocs -json gitea", "alloc exec -i=false -t=false -job -task gitea gitea /bin/sh -c false"]);
  });
});
