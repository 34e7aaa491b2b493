import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dependable, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { NomadJob } from "../nomad-job";
import { secretInputProblems } from "../secrets/inputs";
import { ConsulAclToken, ConsulAclTokenSecretId, NomadAclTokenResource, NomadVariableResource } from "../providers";

export interface RaftSnapshotsProps {
  /** The bucket the snapshots go to; keep it private: snapshots hold every ACL token. */
  readonly bucket: string;
  /** The S3 endpoint, e.g. "https://nbg1.your-objectstorage.com" (path-style requests). */
  readonly endpoint: string;
  /** The region requests are signed for. @default "us-east-1" */
  readonly region?: string;
  /** Prepended to every key, e.g. "lab/". @default "" (keys are nomad/<time>.snap, consul/<time>.snap) */
  readonly prefix?: string;
  /** Snapshots kept per system; older ones are deleted after each upload. @default 14 */
  readonly retention?: number;
  /** A 5-field cron in UTC. @default "0 3 * * *" (daily at 03:00) */
  readonly schedule?: string;
  /** The bucket's access key id: a reference to a sensitive Terraform variable, never a literal. */
  readonly s3AccessKeyId: string;
  /** The bucket's secret key: a reference to a sensitive Terraform variable, never a literal. */
  readonly s3SecretAccessKey: string;
  /** The periodic job's id; its secrets live in the Nomad variable `nomad/jobs/<jobName>`. @default "raft-snapshots" */
  readonly jobName?: string;
  /**
   * The job's namespace (it must exist). Whoever may submit jobs, exec into allocations or
   * read variables there can read the job's management tokens: give it a namespace that only
   * management tokens reach (deny it in every other policy). No other job of the stack may run
   * in it; synth fails otherwise.
   * @default "ops"
   */
  readonly namespace?: string;
  /** Nomad's HTTP API as seen from a client host. @default "http://127.0.0.1:4646" */
  readonly nomadAddress?: string;
  /** Consul's HTTP API as seen from a client host. @default "http://127.0.0.1:8500" */
  readonly consulAddress?: string;
  /** The CA certificate on the hosts, for https addresses. @default none */
  readonly caCertFile?: string;
  /** The name Nomad's certificate is verified against, e.g. "server.global.nomad". @default the address's host */
  readonly nomadTlsServerName?: string;
  /** The name Consul's certificate is verified against, e.g. "server.dc1.consul". @default the address's host */
  readonly consulTlsServerName?: string;
}

/** The task's script: a real file, so shellcheck checks what the job runs. */
const SCRIPT = readFileSync(join(__dirname, "snapshot.sh"), "utf8");
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** The namespace the job runs in unless told otherwise: hashilab's environments declare it management-only. */
export const RAFT_SNAPSHOTS_NAMESPACE = "ops";
/** Consul's built-in management policy. */
const CONSUL_GLOBAL_MANAGEMENT = "global-management";

/**
 * Periodic Raft snapshots of Nomad and Consul (`nomad operator snapshot save`, `consul
 * snapshot save`) uploaded to an S3-compatible bucket, keeping the newest `retention`.
 *
 * Both snapshot APIs require management rights; nothing less privileged exists. So the job gets
 * management tokens of its own (revocable without touching the operators' ones), and they
 * and the S3 keys live only in the Nomad variable `nomad/jobs/<jobName>` of a namespace no
 * other job uses, which only this job's workload identity (and whatever policy reaches that
 * namespace: deny it in all of them) can read. The jobspec holds no secret. The
 * task runs with the exec driver and the hosts' own `nomad`, `consul` and `curl`, so
 * snapshots are always taken by the cluster's own versions.
 *
 * The stack needs the Nomad and Consul providers, configured with management tokens.
 */
export class RaftSnapshots extends Construct {
  readonly job: NomadJob;
  readonly variable: NomadVariableResource;

  constructor(scope: Construct, id: string, props: RaftSnapshotsProps) {
    super(scope, id);
    const jobName = props.jobName ?? "raft-snapshots";
    const namespace = props.namespace ?? RAFT_SNAPSHOTS_NAMESPACE;
    const retention = props.retention ?? 14;
    this.validate(props, retention);
    const variablePath = `nomad/jobs/${jobName}`;

    const nomadToken = new NomadAclTokenResource(this, "NomadToken", { name: jobName, type: "management" });
    const consulToken = new ConsulAclToken(this, "ConsulToken", {
      description: `${jobName}: consul snapshot save`,
      policies: [CONSUL_GLOBAL_MANAGEMENT],
    });
    const consulSecret = new ConsulAclTokenSecretId(this, "ConsulTokenSecret", { accessorId: consulToken.accessorId });

    this.variable = new NomadVariableResource(this, "Variable", {
      path: variablePath,
      namespace,
      items: {
        nomad_token: nomadToken.secretId,
        consul_token: consulSecret.secretId,
        s3_access_key_id: props.s3AccessKeyId,
        s3_secret_access_key: props.s3SecretAccessKey,
      },
    });

    const fromVariable = (body: string) => `{{ with nomadVar "${variablePath}" }}${body}{{ end }}`;
    const env: Record<string, string> = {
      NOMAD_ADDR: props.nomadAddress ?? "http://127.0.0.1:4646",
      CONSUL_HTTP_ADDR: props.consulAddress ?? "http://127.0.0.1:8500",
      S3_ENDPOINT: props.endpoint.replace(/\/+$/, ""),
      S3_BUCKET: props.bucket,
      S3_REGION: props.region ?? "us-east-1",
      S3_PREFIX: props.prefix ?? "",
      RETAIN: String(retention),
    };
    if (props.caCertFile) Object.assign(env, { NOMAD_CACERT: props.caCertFile, CONSUL_CACERT: props.caCertFile });
    if (props.nomadTlsServerName) env.NOMAD_TLS_SERVER_NAME = props.nomadTlsServerName;
    if (props.consulTlsServerName) env.CONSUL_TLS_SERVER_NAME = props.consulTlsServerName;

    this.job = new NomadJob(this, "Job", {
      name: jobName,
      namespace,
      type: "batch",
      periodic: { crons: [props.schedule ?? "0 3 * * *"], timeZone: "UTC", prohibitOverlap: true },
      groups: [
        {
          name: "snapshot",
          tasks: [
            {
              name: "save",
              driver: "exec",
              config: { command: "/bin/sh", args: ["local/snapshot.sh"] },
              env,
              templates: [
                { destination: "local/snapshot.sh", data: SCRIPT, perms: "0755" },
                {
                  destination: "secrets/tokens.env",
                  env: true,
                  perms: "0400",
                  data: fromVariable("\nNOMAD_TOKEN={{ .nomad_token }}\nCONSUL_HTTP_TOKEN={{ .consul_token }}\n"),
                },
                {
                  destination: "secrets/s3.curlrc",
                  perms: "0400",
                  data: fromVariable('\nuser = "{{ .s3_access_key_id }}:{{ .s3_secret_access_key }}"\n'),
                },
              ],
              resources: { cpuMhz: 200, memoryMb: 256 },
            },
          ],
        },
      ],
    });
    // The first run must find its variable.
    this.job.resource.dependsOn = [dependable(this.variable)];
    this.node.addValidation({ validate: () => this.sharedNamespaceProblems() });
  }

  /** Jobs added to the stack later count too, hence a validation (cdktf prefixes the construct path). */
  private sharedNamespaceProblems(): string[] {
    const others = TerraformStack.of(this)
      .node.findAll()
      .filter((c): c is NomadJob => c instanceof NomadJob && c !== this.job && c.namespace === this.job.namespace);
    if (others.length === 0) return [];
    return [
      `namespace "${this.job.namespace}" also runs ${others.map((job) => `job "${job.jobId}" (${job.node.path})`).join(", ")}; ` +
        `whoever may submit, exec into or read variables of jobs there can read the snapshot job's management tokens, ` +
        `so it needs a namespace of its own: move the other jobs or set the snapshot namespace to one no other job uses`,
    ];
  }

  private validate(props: RaftSnapshotsProps, retention: number): void {
    const problems: string[] = [];
    if (!Token.isUnresolved(props.bucket) && !BUCKET.test(props.bucket)) {
      problems.push(`bucket "${props.bucket}" is not an S3 bucket name: 3-63 of a-z 0-9 . - starting and ending with a letter or digit`);
    }
    if (!Token.isUnresolved(props.endpoint) && !/^https?:\/\/[^/\s]+\/?$/.test(props.endpoint)) {
      problems.push(`endpoint "${props.endpoint}" is not an S3 endpoint: give scheme and host without a path, e.g. "https://nbg1.your-objectstorage.com"`);
    }
    if (!Number.isInteger(retention) || retention < 1) {
      problems.push(`retention ${retention} must be a whole number of snapshots, at least 1`);
    }
    const prefix = props.prefix ?? "";
    if (prefix !== "" && (!prefix.endsWith("/") || prefix.startsWith("/"))) {
      problems.push(`prefix "${prefix}" must end with "/" and not start with one, e.g. "lab/"`);
    }
    problems.push(...secretInputProblems("s3AccessKeyId", props.s3AccessKeyId), ...secretInputProblems("s3SecretAccessKey", props.s3SecretAccessKey));
    if (problems.length > 0) throw new Error(`${this.node.path}: invalid Raft snapshots:\n  - ${problems.join("\n  - ")}`);
  }
}
