import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import type { AppContext } from "../apps";
import { app as gitea } from "../apps/gitea";
import { NomadService, VolumeBackups } from "../constructs";
import type { ClusterFacts } from "../constructs/cluster-facts";
import { evaluateJobspecs, jobStack, LAB_LIKE_FACTS, parseJob, synthJobStack } from "./nomad-job.support";
import { resourcesOf } from "./support/synth";

const FACTS: ClusterFacts = { ...LAB_LIKE_FACTS, volumeProvider: { kind: "hetzner-csi", location: "nbg1" } };

const repository = (scope: Construct) => ({
  endpoint: "https://nbg1.your-objectstorage.com",
  bucket: "hashilab-lab-backups",
  prefix: "lab/",
  s3AccessKeyId: new TerraformVariable(scope, "backups_s3_access_key_id", { type: "string", sensitive: true }),
  s3SecretAccessKey: new TerraformVariable(scope, "backups_s3_secret_access_key", { type: "string", sensitive: true }),
  password: new TerraformVariable(scope, "backups_restic_password", { type: "string", sensitive: true }),
});

async function jobs(stack: Record<string, any>): Promise<Record<string, any>> {
  const out: Record<string, any> = {};
  // What Nomad receives: evaluated by terraform, so Nomad's own ${...} are back.
  const received = evaluateJobspecs(stack);
  for (const [id, resource] of Object.entries<any>(resourcesOf(stack, "nomad_job"))) {
    const parsed = await parseJob(received[id]);
    const [name] = Object.keys(parsed);
    out[name] = { ...parsed[name][0], depends_on: resource.depends_on };
  }
  return out;
}

describe("Gitea with its data volume and nightly backup", () => {
  // Not exposed: the app's volume and backups need no ingress.
  const context = (scope: Construct): AppContext => ({
    ingress: undefined as never,
    environment: "lab",
    domain: "lab.example.com",
    secret: (id) => new TerraformVariable(scope, id, { type: "string", sensitive: true }),
    backupRepository: () => repository(scope),
  });
  const stack = synthJobStack((scope) => gitea.deploy(scope, {}, context(scope)), FACTS);
  let all: Record<string, any>;
  beforeAll(async () => {
    all = await jobs(stack);
  });

  it("runs Gitea with its data on a 10 GiB Hetzner volume", () => {
    const group = all.gitea.group.gitea[0];
    expect(group.volume.data[0]).toMatchObject({ type: "csi", source: "gitea-data" });
    expect(group.task.gitea[0].volume_mount).toEqual([{ volume: "data", destination: "/data" }]);
  });

  it("backs the volume up with a restic job that claims the same volume and reads its secrets from its own variable", () => {
    const job = all["gitea-data-restic"];
    expect(job.type).toBe("batch");
    expect(job.parameterized).toEqual([{ payload: "forbidden", meta_required: ["mode"], meta_optional: ["snapshot"] }]);
    const group = job.group.restic[0];
    expect(group.volume.data[0]).toMatchObject({ type: "csi", source: "gitea-data", access_mode: "single-node-writer" });
    const task = group.task.restic[0];
    expect(task.config[0]).toMatchObject({ image: "docker.io/restic/restic:0.14.0", entrypoint: ["/bin/sh"], args: ["local/restic.sh", "${NOMAD_META_mode}"] });
    expect(task.env[0]).toMatchObject({
      RESTIC_REPOSITORY: "s3:https://nbg1.your-objectstorage.com/hashilab-lab-backups/lab/default/gitea-data",
      BACKUP_PATH: "/data",
      BACKUP_HOST: "default-gitea-data",
      KEEP_LAST: "3",
      KEEP_DAILY: "7",
    });
    const secrets = task.template.filter((t: any) => t.destination.startsWith("secrets/"));
    expect(secrets.map((t: any) => [t.destination, t.perms])).toEqual([
      ["secrets/restic-password", "0400"],
      ["secrets/s3.env", "0400"],
    ]);
    expect(secrets[0].data).toBe('{{ with nomadVar "nomad/jobs/gitea-data-restic" }}{{ .password }}{{ end }}');
    const variable = Object.values<any>(resourcesOf(stack, "nomad_variable")).find((v) => v.path === "nomad/jobs/gitea-data-restic");
    expect(variable.items).toEqual({
      password: "${var.backups_restic_password}",
      s3_access_key_id: "${var.backups_s3_access_key_id}",
      s3_secret_access_key: "${var.backups_s3_secret_access_key}",
    });
  });

  it("runs nightly as nobody, stopping Gitea through the task API with a policy that can only read, scale and dispatch in its namespace", () => {
    const job = all["gitea-data-backup"];
    expect(job.periodic).toEqual([{ crons: ["30 2 * * *"], time_zone: "UTC", prohibit_overlap: true }]);
    const task = job.group.schedule[0].task.schedule[0];
    expect(task).toMatchObject({ driver: "exec", user: "nobody", identity: [{ env: true }] });
    expect(task.env[0]).toMatchObject({ APP_JOB: "gitea", APP_GROUP: "gitea", APP_COUNT: "1", BACKUP_JOB: "gitea-data-restic", NOMAD_ADDR: "unix://${NOMAD_SECRETS_DIR}/api.sock" });
    const policy = Object.values<any>(resourcesOf(stack, "nomad_acl_policy")).find((p) => p.name === "gitea-data-backup-stop-and-backup");
    expect(policy.rules_hcl).toContain('namespace "default"');
    expect(policy.rules_hcl).toMatch(/capabilities = \["read-job", "list-jobs", "scale-job", "dispatch-job"\]/);
    expect(policy.rules_hcl).not.toContain("alloc-exec");
    expect(all["gitea-data-check"].periodic[0].crons).toEqual(["0 4 * * 0"]);
  });
});

describe("VolumeBackups", () => {
  const error = (build: (scope: Construct) => void): string => {
    try {
      build(jobStack(FACTS));
    } catch (e) {
      return (e as Error).message;
    }
    return "";
  };

  it("fails for an app without volumes, literal secrets, a bad prefix and a retention that keeps nothing", () => {
    const message = error((scope) => {
      const app = new NomadService(scope, "Web", { image: "nginx:1.27" });
      new VolumeBackups(scope, "Backups", {
        app,
        repository: { ...repository(scope), prefix: "/Lab", password: "hunter2" as unknown as TerraformVariable },
        retention: { last: 0, daily: 7, weekly: 4, monthly: -1 },
        preBackupCommand: "pg_dump ${DB} > /data/dump.sql",
      });
    });
    expect(message).toContain("test/Backups: invalid volume backups:");
    expect(message).toContain("app test/Web has no persistentVolumes");
    expect(message).toContain("repository.password");
    expect(message).toContain('repository.prefix "/Lab"');
    expect(message).toContain("retention.last must keep at least 1 snapshot");
    expect(message).toContain("retention.monthly -1");
    expect(message).toContain('preBackupCommand holds "${" or "%{"');
    expect(message).not.toContain("hunter2");
  });
});
