import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { addDependsOn, throwIfProblems } from "../core";
import { NomadJob, Volume } from "../nomad-job";
import type { NomadService } from "../nomad-service";
import { NomadVariable } from "../nomad-variable";
import { secretInputProblems } from "../secrets";

/** Where an environment's volume backups go: an S3-compatible bucket, one restic repository per volume under `prefix`. */
export interface BackupRepository {
  /** The S3 endpoint, e.g. "https://nbg1.your-objectstorage.com". */
  readonly endpoint: string;
  /** The private bucket, e.g. "hashilab-lab-backups". */
  readonly bucket: string;
  /** Prepended to every repository's path, e.g. "lab/": one folder per environment. */
  readonly prefix: string;
  /** The bucket's access key id: a sensitive Terraform variable. */
  readonly s3AccessKeyId: TerraformVariable;
  /** The bucket's secret key: a sensitive Terraform variable. */
  readonly s3SecretAccessKey: TerraformVariable;
  /** The repositories' password (restic encrypts everything with it; a restore needs it): a sensitive Terraform variable. */
  readonly password: TerraformVariable;
}

export interface VolumeBackupsProps {
  /** The app whose volumes are backed up (a NomadService with persistentVolumes). */
  readonly app: NomadService;
  readonly repository: BackupRepository;
  /** A 5-field cron in UTC. @default "30 2 * * *" (nightly at 02:30) */
  readonly schedule?: string;
  /**
   * A command run in the app's task before it is stopped, e.g. a database dump into the volume
   * (`pg_dump -U gitea -f /data/backup.sql gitea`), so the backup also holds a logical copy.
   * @default none
   */
  readonly preBackupCommand?: string;
  /** Snapshots kept: the newest `last`, then one per day, week and month. @default { last: 3, daily: 7, weekly: 4, monthly: 6 } */
  readonly retention?: BackupRetention;
  /** Share of the repository's data `restic check` reads on each weekly check. @default "10%" */
  readonly checkSubset?: string;
}

export interface BackupRetention {
  readonly last: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}

/** The restic image the backup jobs run: Debian 12's restic version, which the tests run. */
export const RESTIC_IMAGE = "docker.io/restic/restic:0.14.0";
const RESTIC_SCRIPT = readFileSync(join(__dirname, "restic.sh"), "utf8");
const STOP_THE_WORLD_SCRIPT = readFileSync(join(__dirname, "stop-the-world.sh"), "utf8");
const DEFAULT_RETENTION: BackupRetention = { last: 3, daily: 7, weekly: 4, monthly: 6 };
/** The schedule job runs as nobody (exec); Nomad's template uid is numeric (Debian: 65534). */
const NOBODY = { name: "nobody", uid: 65534, gid: 65534 } as const;

/**
 * Nightly, consistent restic backups of every volume of an app, a weekly `restic check`, and
 * a restore an operator dispatches. Per volume `<vol>` of job `<job>`:
 * - `<job>-<vol>-restic`, a parameterized batch job (docker, restic's own image) that claims
 *   the volume and runs restic.sh with `mode` backup, check or restore; its repository
 *   password and S3 keys come from its own Nomad variable, readable by it alone;
 * - `<job>-<vol>-backup`, a periodic job that stops the app (scales its group to 0, after
 *   the optional pre-backup command), dispatches the restic job with mode=backup, waits for
 *   it and starts the app again, also when the backup failed (which fails the run);
 * - `<job>-<vol>-check`, a weekly periodic dispatch of mode=check.
 * A restore: `nomad job scale <job> <group> 0`, then `nomad job dispatch -meta mode=restore
 * -meta snapshot=<id|latest> <job>-<vol>-restic` (docs/operations.md "Restore one app").
 */
export class VolumeBackups extends Construct {
  /** The restic jobs by volume name. */
  readonly resticJobs: Readonly<Record<string, NomadJob>>;

  constructor(scope: Construct, id: string, props: VolumeBackupsProps) {
    super(scope, id);
    const { app, repository } = props;
    const volumes = app.volumes;
    const retention = props.retention ?? DEFAULT_RETENTION;
    const schedule = props.schedule ?? "30 2 * * *";
    const problems = [
      ...secretInputProblems("repository.s3AccessKeyId", repository.s3AccessKeyId),
      ...secretInputProblems("repository.s3SecretAccessKey", repository.s3SecretAccessKey),
      ...secretInputProblems("repository.password", repository.password),
    ];
    if (!volumes) problems.push(`app ${app.node.path} has no persistentVolumes; give it one, or back up nothing`);
    if (!Token.isUnresolved(repository.endpoint) && !/^https?:\/\/[^/\s]+\/?$/.test(repository.endpoint)) {
      problems.push(`repository.endpoint "${repository.endpoint}" is not an S3 endpoint: scheme and host without a path, e.g. "https://nbg1.your-objectstorage.com"`);
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(repository.bucket)) problems.push(`repository.bucket "${repository.bucket}" is not an S3 bucket name`);
    if (!/^([a-z0-9-]+\/)*$/.test(repository.prefix)) problems.push(`repository.prefix "${repository.prefix}" must be lower-case path segments each ending in "/", e.g. "lab/"`);
    for (const [name, keep] of Object.entries(retention)) {
      if (!Number.isInteger(keep) || keep < 0) problems.push(`retention.${name} ${keep} must be a whole number, 0 or more`);
    }
    if (retention.last < 1) problems.push("retention.last must keep at least 1 snapshot, or a forget could remove the backup just made");
    if (!/^\d+(\.\d+)?%$/.test(props.checkSubset ?? "10%")) problems.push(`checkSubset "${props.checkSubset}" must be a percentage, e.g. "10%"`);
    if (props.preBackupCommand !== undefined && /[$%]\{/.test(props.preBackupCommand)) {
      problems.push('preBackupCommand holds "${" or "%{", which Nomad would interpolate itself before the shell sees it; write $VAR instead of ${VAR}');
    }
    if (!/^(\S+\s+){4}\S+$/.test(schedule)) problems.push(`schedule "${schedule}" is not a 5-field cron, e.g. "30 2 * * *"`);
    throwIfProblems(this, "invalid volume backups", problems);

    const group = app.job.spec.groups[0];
    const task = group.tasks[0];
    const jobs: Record<string, NomadJob> = {};
    for (const volume of (volumes?.groupVolumes ?? []) as Volume[]) {
      const mountPath = volumes!.volumeMounts.find((m) => m.volume === volume.name)!.destination;
      const resticJobName = `${app.jobId}-${volume.name}-restic`;
      // Dispatched and periodic children sign their identities as the parent job
      // (Job.GetIDforWorkloadIdentity, nomad/structs/structs.go at v2.0.5): they read the parent's
      // nomad/jobs/<job> variable, and the policies bound to the parent apply to them.
      const variable = new NomadVariable(this, `${volume.name}-secrets`, {
        path: `nomad/jobs/${resticJobName}`,
        namespace: app.namespace,
        items: { password: repository.password, s3_access_key_id: repository.s3AccessKeyId, s3_secret_access_key: repository.s3SecretAccessKey },
      });
      const fromVariable = (body: string) => `{{ with nomadVar "nomad/jobs/${resticJobName}" }}${body}{{ end }}`;
      const restic = new NomadJob(this, `${volume.name}-restic`, {
        name: resticJobName,
        namespace: app.namespace,
        type: "batch",
        datacenters: app.job.spec.datacenters,
        parameterized: { payload: "forbidden", metaRequired: ["mode"], metaOptional: ["snapshot"] },
        groups: [
          {
            name: "restic",
            // A failed backup is a failed dispatch, not a retry over an app that is down.
            restart: { attempts: 0, mode: "fail" },
            reschedule: { attempts: 0, unlimited: false },
            network: { mode: "bridge" },
            volumes: [{ ...volume, readOnly: false }],
            tasks: [
              {
                name: "restic",
                driver: "docker",
                config: { image: RESTIC_IMAGE, entrypoint: ["/bin/sh"], args: ["local/restic.sh", "${NOMAD_META_mode}"] },
                volumeMounts: [{ volume: volume.name, destination: mountPath }],
                env: {
                  RESTIC_REPOSITORY: `s3:${repository.endpoint.replace(/\/+$/, "")}/${repository.bucket}/${repository.prefix}${app.namespace}/${volume.source}`,
                  RESTIC_PASSWORD_FILE: "/secrets/restic-password",
                  RESTIC_CACHE_DIR: "/local/cache",
                  BACKUP_PATH: mountPath,
                  BACKUP_HOST: `${app.namespace}-${volume.source}`,
                  BACKUP_TAG: "volume",
                  KEEP_LAST: String(retention.last),
                  KEEP_DAILY: String(retention.daily),
                  KEEP_WEEKLY: String(retention.weekly),
                  KEEP_MONTHLY: String(retention.monthly),
                  CHECK_SUBSET: props.checkSubset ?? "10%",
                  RESTORE_SNAPSHOT: "${NOMAD_META_snapshot}",
                },
                templates: [
                  { destination: "local/restic.sh", data: RESTIC_SCRIPT, perms: "0755" },
                  { destination: "secrets/restic-password", perms: "0400", data: fromVariable("{{ .password }}") },
                  {
                    destination: "secrets/s3.env",
                    env: true,
                    perms: "0400",
                    data: fromVariable("\nAWS_ACCESS_KEY_ID={{ .s3_access_key_id }}\nAWS_SECRET_ACCESS_KEY={{ .s3_secret_access_key }}\n"),
                  },
                ],
                resources: { cpuMhz: 500, memoryMb: 512 },
              },
            ],
          },
        ],
      });
      addDependsOn(restic.resource, variable.resource);
      jobs[volume.name] = restic;

      const backup = this.scheduleJob(`${volume.name}-backup`, `${app.jobId}-${volume.name}-backup`, app, schedule, {
        APP_JOB: app.jobId,
        APP_GROUP: group.name,
        APP_TASK: task.name,
        APP_COUNT: String(group.count ?? 1),
        BACKUP_JOB: resticJobName,
        PRE_BACKUP_COMMAND: props.preBackupCommand ?? "",
        STOP_TIMEOUT_SECONDS: "300",
        POLL_SECONDS: "5",
        BACKUP_TIMEOUT_SECONDS: "14400",
      });
      backup.attachPolicy("StopAndBackup", {
        namespaces: [
          {
            name: app.namespace,
            capabilities: ["read-job", "list-jobs", "scale-job", "dispatch-job", ...(props.preBackupCommand ? (["alloc-exec"] as const) : [])],
          },
        ],
      });
      const check = this.scheduleJob(`${volume.name}-check`, `${app.jobId}-${volume.name}-check`, app, "0 4 * * 0", { BACKUP_JOB: resticJobName }, true);
      check.attachPolicy("Dispatch", { namespaces: [{ name: app.namespace, capabilities: ["read-job", "dispatch-job"] }] });
      addDependsOn(backup.resource, restic.resource);
      addDependsOn(check.resource, restic.resource);
    }
    this.resticJobs = jobs;
  }

  /** A periodic exec job (as nobody) that drives Nomad through the task API with its workload identity. */
  private scheduleJob(id: string, name: string, app: NomadService, cron: string, env: Record<string, string>, checkOnly = false): NomadJob {
    const command = checkOnly
      ? ["-c", 'nomad job dispatch -detach -meta mode=check "$BACKUP_JOB"']
      : ["local/stop-the-world.sh"];
    return new NomadJob(this, id, {
      name,
      namespace: app.namespace,
      type: "batch",
      datacenters: app.job.spec.datacenters,
      periodic: { crons: [cron], timeZone: "UTC", prohibitOverlap: true },
      groups: [
        {
          name: "schedule",
          restart: { attempts: 0, mode: "fail" },
          reschedule: { attempts: 0, unlimited: false },
          network: { mode: "bridge" },
          tasks: [
            {
              name: "schedule",
              driver: "exec",
              user: NOBODY.name,
              config: { command: "/bin/sh", args: command },
              // The task API socket: no agent address, no token in the jobspec.
              env: { ...env, NOMAD_ADDR: "unix://${NOMAD_SECRETS_DIR}/api.sock" },
              identities: [{ env: true }],
              templates: checkOnly ? [] : [{ destination: "local/stop-the-world.sh", data: STOP_THE_WORLD_SCRIPT, perms: "0755" }],
              resources: { cpuMhz: 100, memoryMb: 128 },
            },
          ],
        },
      ],
    });
  }
}
