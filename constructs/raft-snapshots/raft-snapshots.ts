import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Fn, Op, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { clusterFactsOf, factSource } from "../cluster-facts";
import { addDependsOn, throwIfProblems } from "../core";
import { NomadJob } from "../nomad-job";
import { secretInputProblems } from "../secrets";
import { NomadVariable } from "../nomad-variable";
import { ConsulAclToken, ConsulAclTokenSecretId, NomadAclTokenResource } from "../providers";

export interface RaftSnapshotsProps {
  /** The bucket the snapshots go to; keep it private: snapshots hold every ACL token. */
  readonly bucket: string;
  /** The S3 endpoint, e.g. "https://nbg1.your-objectstorage.com" (path-style requests). */
  readonly endpoint: string;
  /** The region requests are signed for. @default "us-east-1" */
  readonly region?: string;
  /** Prepended to every key, e.g. "lab/". @default "" (keys are nomad/<time>.snap.age, consul/<time>.snap.age) */
  readonly prefix?: string;
  /** Snapshots kept per system; older ones are deleted after each upload. @default 14 */
  readonly retention?: number;
  /** A 5-field cron in UTC. @default "0 3 * * *" (daily at 03:00) */
  readonly schedule?: string;
  /** The bucket's access key id: a reference to a sensitive Terraform variable, never a literal. */
  readonly s3AccessKeyId: string;
  /** The bucket's secret key: a reference to a sensitive Terraform variable, never a literal. */
  readonly s3SecretAccessKey: string;
  /**
   * The age public key (X25519, `age1...`, from `age-keygen`) every snapshot is encrypted to
   * on the host before it is uploaded. Not a secret; keep its private half offline, it is what
   * a restore needs.
   */
  readonly ageRecipient: string;
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
 * Who the task runs as: named in the jobspec (the exec driver's default, kept explicit), and by
 * number as the owner of its secret files, since Nomad's template `uid`/`gid` are numeric.
 * nobody:nogroup are 65534:65534 on Debian, Ubuntu and Fedora.
 */
export const RAFT_SNAPSHOTS_TASK_USER = { name: "nobody", uid: 65534, gid: 65534 } as const;
/** bech32's data characters; an X25519 recipient is "age1" and 58 of them (32 bytes and a 6-character checksum). */
const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const AGE_RECIPIENT = new RegExp(`^age1[${BECH32}]{58}$`);

/**
 * Periodic Raft snapshots of Nomad and Consul (`nomad operator snapshot save`, `consul
 * snapshot save`), encrypted on the host with `age` to `ageRecipient` and uploaded to an
 * S3-compatible bucket as `<prefix><system>/<UTC time>.snap.age`, keeping the newest
 * `retention` of each. A snapshot holds every ACL secret and the keyring: nothing but age
 * ciphertext leaves the host, and any failed step (save, encrypt, upload, list, delete) fails
 * the allocation. Requests are signed with the hosts' curl (`--aws-sigv4`); the script sends
 * `x-amz-content-sha256` and an already-canonical query itself, which curl 7.88 does not.
 *
 * Both snapshot APIs require management rights; nothing less privileged exists. So the job gets
 * management tokens of its own (revocable without touching the operators' ones), and they
 * and the S3 keys live only in the Nomad variable `nomad/jobs/<jobName>` of a namespace no
 * other job uses, which only this job's workload identity (and whatever policy reaches that
 * namespace: deny it in all of them) can read. The jobspec holds no secret. The
 * task runs with the exec driver as `nobody` (its secret files are rendered for that user) and
 * the hosts' own `nomad`, `consul`, `curl` and `age` (Debian's package, which hashilab's
 * cloud-init installs; without it the job fails rather than upload plaintext), so snapshots
 * are always taken by the cluster's own versions.
 *
 * The stack needs the Nomad and Consul providers, configured with management tokens.
 */
export class RaftSnapshots extends Construct {
  readonly job: NomadJob;
  /** The job's secrets: its management tokens and the bucket's keys. */
  readonly variable: NomadVariable;

  constructor(scope: Construct, id: string, props: RaftSnapshotsProps) {
    super(scope, id);
    const settings = withDefaults(props);
    const { jobName, namespace, retention } = settings;
    this.validate(settings);
    const variablePath = `nomad/jobs/${jobName}`;

    const nomadToken = new NomadAclTokenResource(this, "NomadToken", { name: jobName, type: "management" });
    const consulToken = new ConsulAclToken(this, "ConsulToken", {
      description: `${jobName}: consul snapshot save`,
      policies: [CONSUL_GLOBAL_MANAGEMENT],
    });
    const consulSecret = new ConsulAclTokenSecretId(this, "ConsulTokenSecret", { accessorId: consulToken.accessorId });

    this.variable = new NomadVariable(this, "Variable", {
      path: variablePath,
      namespace,
      items: {
        nomad_token: nomadToken.secretId,
        consul_token: consulSecret.secretId,
        s3_access_key_id: settings.s3AccessKeyId,
        s3_secret_access_key: settings.s3SecretAccessKey,
      },
    });
    const variable = this.variable.resource;
    variable.lifecycle = { precondition: [curlrcSafeKeys(this.node.path, settings.s3AccessKeyId, settings.s3SecretAccessKey)] };
    // The variable used to be this construct's own resource "Variable": a moved block carries its
    // state over, where a replacement could delete the path right after writing it again.
    variable.moveFromId(`${variable.terraformResourceType}.${TerraformStack.of(this).getLogicalId(this.variable.node)}`);

    // Readable by the task's user only: curl reads s3.curlrc as that user.
    const secretFile = { perms: "0400", uid: RAFT_SNAPSHOTS_TASK_USER.uid, gid: RAFT_SNAPSHOTS_TASK_USER.gid };
    const fromVariable = (body: string) => `{{ with nomadVar "${variablePath}" }}${body}{{ end }}`;
    const env: Record<string, string> = {
      NOMAD_ADDR: settings.nomadAddress,
      CONSUL_HTTP_ADDR: settings.consulAddress,
      S3_ENDPOINT: settings.endpoint.replace(/\/+$/, ""),
      S3_BUCKET: settings.bucket,
      S3_REGION: settings.region,
      S3_PREFIX: settings.prefix,
      RETAIN: String(retention),
      AGE_RECIPIENT: settings.ageRecipient,
    };
    if (settings.caCertFile) Object.assign(env, { NOMAD_CACERT: settings.caCertFile, CONSUL_CACERT: settings.caCertFile });
    if (settings.nomadTlsServerName) env.NOMAD_TLS_SERVER_NAME = settings.nomadTlsServerName;
    if (settings.consulTlsServerName) env.CONSUL_TLS_SERVER_NAME = settings.consulTlsServerName;

    this.job = new NomadJob(this, "Job", {
      name: jobName,
      namespace,
      type: "batch",
      periodic: { crons: [settings.schedule], timeZone: "UTC", prohibitOverlap: true },
      groups: [
        {
          name: "snapshot",
          tasks: [
            {
              name: "save",
              driver: "exec",
              user: RAFT_SNAPSHOTS_TASK_USER.name,
              config: { command: "/bin/sh", args: ["local/snapshot.sh"] },
              env,
              templates: [
                { destination: "local/snapshot.sh", data: SCRIPT, perms: "0755" },
                {
                  destination: "secrets/tokens.env",
                  env: true,
                  ...secretFile,
                  data: fromVariable("\nNOMAD_TOKEN={{ .nomad_token }}\nCONSUL_HTTP_TOKEN={{ .consul_token }}\n"),
                },
                {
                  destination: "secrets/s3.curlrc",
                  ...secretFile,
                  data: fromVariable('\nuser = "{{ .s3_access_key_id }}:{{ .s3_secret_access_key }}"\n'),
                },
              ],
              // The plaintext snapshot lives in the secrets tmpfs until it is encrypted: a
              // homelab's Raft state is a few MB; a larger one fails the run, loudly.
              resources: { cpuMhz: 200, memoryMb: 512, secretsMb: 256 },
            },
          ],
        },
      ],
    });
    // The first run must find its variable.
    addDependsOn(this.job.resource, variable);
    this.node.addValidation({ validate: () => this.sharedNamespaceProblems() });
  }

  /** Where the cluster declares which namespaces only management tokens reach, this must be one. */
  private namespaceProblems(namespace: string): string[] {
    const facts = clusterFactsOf(this);
    const managementOnly = facts?.managementOnlyNamespaces;
    if (!facts || managementOnly === undefined || managementOnly.includes(namespace)) return [];
    return [
      `namespace "${namespace}" is not management-only in this cluster (management-only: ${managementOnly.join(", ") || "none"}), ` +
        `so the operator policy (write and all variables in every other namespace) could read the snapshot job's management tokens; ` +
        `make it management-only in ${factSource(facts, "managementOnlyNamespaces")}, or use "${RAFT_SNAPSHOTS_NAMESPACE}"`,
    ];
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

  private validate(settings: RaftSnapshotsSettings): void {
    const { prefix, retention } = settings;
    const problems: string[] = [...this.namespaceProblems(settings.namespace)];
    if (!Token.isUnresolved(settings.bucket) && !BUCKET.test(settings.bucket)) {
      problems.push(`bucket "${settings.bucket}" is not an S3 bucket name: 3-63 of a-z 0-9 . - starting and ending with a letter or digit`);
    }
    if (!Token.isUnresolved(settings.endpoint) && !/^https?:\/\/[^/\s]+\/?$/.test(settings.endpoint)) {
      problems.push(`endpoint "${settings.endpoint}" is not an S3 endpoint: give scheme and host without a path, e.g. "https://nbg1.your-objectstorage.com"`);
    }
    if (!Number.isInteger(retention) || retention < 1) {
      problems.push(`retention ${retention} must be a whole number of snapshots, at least 1`);
    }
    if (prefix !== "" && (!prefix.endsWith("/") || prefix.startsWith("/"))) {
      problems.push(`prefix "${prefix}" must end with "/" and not start with one, e.g. "lab/"`);
    }
    // The script puts keys into URLs as they are: only characters SigV4 leaves unencoded, no dot segments.
    if (!/^[A-Za-z0-9._~/-]*$/.test(prefix) || prefix.split("/").some((s, i, all) => (s === "" && i < all.length - 1) || s === "." || s === "..")) {
      problems.push(`prefix ${JSON.stringify(prefix)} may hold only A-Z a-z 0-9 . _ ~ - and "/" between non-empty segments other than "." and "..", e.g. "lab/"`);
    }
    problems.push(...ageRecipientProblems(settings.ageRecipient));
    problems.push(...secretInputProblems("s3AccessKeyId", settings.s3AccessKeyId), ...secretInputProblems("s3SecretAccessKey", settings.s3SecretAccessKey));
    throwIfProblems(this, "invalid Raft snapshots", problems);
  }
}

/** The props with every default applied: the one place each default is written. */
type RaftSnapshotsSettings = RaftSnapshotsProps &
  Required<Pick<RaftSnapshotsProps, "region" | "prefix" | "retention" | "schedule" | "jobName" | "namespace" | "nomadAddress" | "consulAddress">>;

function withDefaults(props: RaftSnapshotsProps): RaftSnapshotsSettings {
  return {
    ...props,
    region: props.region ?? "us-east-1",
    prefix: props.prefix ?? "",
    retention: props.retention ?? 14,
    schedule: props.schedule ?? "0 3 * * *",
    jobName: props.jobName ?? "raft-snapshots",
    namespace: props.namespace ?? RAFT_SNAPSHOTS_NAMESPACE,
    nomadAddress: props.nomadAddress ?? "http://127.0.0.1:4646",
    consulAddress: props.consulAddress ?? "http://127.0.0.1:8500",
  };
}

/**
 * The keys are known only at plan. curl reads them from a quoted value of its config file, where
 * a quote or backslash would be parsed and a space or line break would end the value: the run
 * would fail at 03:00 with a curl syntax error. A precondition, not a variable validation:
 * Terraform 1.11 prints a failing variable's value even when it is sensitive.
 */
function curlrcSafeKeys(path: string, accessKeyId: string, secretAccessKey: string) {
  // Printable ASCII but space, '"' and '\\'. cdktf writes the pattern into HCL quotes as it is,
  // so HCL's escapes are doubled here: RE2 sees ^[!#-\[\]-~]+$.
  const safe = (key: string) => Fn.can(Fn.regex("^[!#-\\\\[\\\\]-~]+$", key));
  return {
    condition: Op.and(safe(accessKeyId), safe(secretAccessKey)),
    errorMessage:
      `${path}: s3AccessKeyId and s3SecretAccessKey may hold only printable ASCII without spaces, quotes or backslashes, ` +
      `since curl reads them from a quoted config value; check the keys given for a stray quote, space or line break`,
  };
}

/**
 * What age 1.1's CLI accepts as a native recipient (cmd/age/parse.go, x25519.go): "age1", a
 * bech32 data part without another "1" (that would be a plugin, absent on the hosts) and a valid
 * checksum, so a typo fails here instead of in the nightly run.
 */
function ageRecipientProblems(recipient: string): string[] {
  if (Token.isUnresolved(recipient)) return [];
  // Never echo what looks like a private key: the error lands in CI logs.
  if (/^AGE-SECRET-KEY-/i.test(recipient.trim())) {
    return ["ageRecipient holds an age private key (AGE-SECRET-KEY-...); give its public key (age-keygen -y key.txt), keep the private key offline and treat this one as leaked"];
  }
  // Not echoed either: a wrong field may hold any secret.
  const fix = 'set it to the "Public key: age1..." that age-keygen prints (an X25519 recipient)';
  if (!AGE_RECIPIENT.test(recipient)) {
    return [`ageRecipient (${recipient.length} characters) is not an age X25519 recipient, "age1" and 58 lowercase bech32 characters: ${fix}`];
  }
  if (!bech32ChecksumOk("age", recipient.slice(4))) {
    return [`ageRecipient has an invalid bech32 checksum (a typo?): ${fix}`];
  }
  return [];
}

/** BIP-173's checksum over the human-readable part and the data characters (checksum included). */
function bech32ChecksumOk(hrp: string, data: string): boolean {
  const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  const values = [...hrp].map((c) => c.charCodeAt(0) >> 5);
  values.push(0, ...[...hrp].map((c) => c.charCodeAt(0) & 31), ...[...data].map((c) => BECH32.indexOf(c)));
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk = (chk ^ GENERATOR[i]) >>> 0;
  }
  return chk === 1;
}
