/**
 * A typed model of a Nomad job specification (job → group → task), in Nomad's own words.
 * Field names follow the job-specification docs in camelCase; units are in the names
 * (`cpuMhz`, `memoryMb`). Every optional field is left out of the rendered HCL when unset, so
 * Nomad's own default applies (noted as `@default` where it matters).
 *
 * A string is the value the job gets in Nomad: `${NOMAD_TASK_DIR}`, `${attr.unique.hostname}`
 * and other runtime interpolations stay literal for Nomad to fill in; quotes, backslashes and
 * `%{` need no escaping. cdktf tokens (references to variables or other resources) may appear
 * in any string or number and are resolved by Terraform.
 */

/** A Go duration, e.g. "10s", "5m", "1h30m". Validated at synth. */
export type Duration = string;

/** A value in a driver's free-form `config` (or a scaling policy). Objects render as blocks. */
export type ConfigValue = string | number | boolean | readonly ConfigValue[] | ConfigMap;
export interface ConfigMap {
  readonly [key: string]: ConfigValue;
}

export type JobType = "service" | "batch" | "system" | "sysbatch";

/** Where allocations may and should go; set on the job, a group may add its own. */
export interface Placement {
  /** Where allocations must go. @default none: any eligible node */
  readonly constraints?: readonly Constraint[];
  /** Where allocations should go. @default none */
  readonly affinities?: readonly Affinity[];
  /** How allocations spread over node attributes. @default none: Nomad's bin packing */
  readonly spreads?: readonly Spread[];
}

export interface Job extends Placement {
  /** The job id (`job "<name>"`); unique in its namespace. */
  readonly name: string;
  /** @default "service" */
  readonly type?: JobType;
  /** @default "default" */
  readonly namespace?: string;
  /** @default ["*"] (Nomad: any datacenter) */
  readonly datacenters?: readonly string[];
  /** @default the agent's region */
  readonly region?: string;
  /** @default "default" */
  readonly nodePool?: string;
  /** 1..100. @default 50 */
  readonly priority?: number;
  /** @default none */
  readonly meta?: Readonly<Record<string, string>>;
  /** Runs a batch/sysbatch job on a schedule. @default none: not periodic */
  readonly periodic?: Periodic;
  /** Makes the job a template that is dispatched with a payload/meta. @default none: not parameterized */
  readonly parameterized?: Parameterized;
  /** Update strategy for every group (groups may override). @default Nomad's update defaults */
  readonly update?: Update;
  readonly groups: readonly TaskGroup[];
}

export interface Periodic {
  /** Cron expressions (5-field, or @daily and friends); Nomad runs at the earliest next one. */
  readonly crons: readonly string[];
  /** IANA zone, e.g. "Europe/Berlin". @default "UTC" */
  readonly timeZone?: string;
  /** Skip a launch while the previous one still runs. @default false */
  readonly prohibitOverlap?: boolean;
  /** @default true */
  readonly enabled?: boolean;
}

export interface Parameterized {
  /** @default "optional" */
  readonly payload?: "optional" | "required" | "forbidden";
  readonly metaRequired?: readonly string[];
  readonly metaOptional?: readonly string[];
}

export interface Update {
  /** @default 1 */
  readonly maxParallel?: number;
  /** @default "checks" */
  readonly healthCheck?: "checks" | "task_states" | "manual";
  /** @default "10s" */
  readonly minHealthyTime?: Duration;
  /** @default "5m" */
  readonly healthyDeadline?: Duration;
  /** @default "10m" */
  readonly progressDeadline?: Duration;
  /** @default false */
  readonly autoRevert?: boolean;
  /** Promote canaries once healthy; Nomad only does so when every group with canaries sets it. @default false */
  readonly autoPromote?: boolean;
  /** @default 0 */
  readonly canary?: number;
  /** @default "30s" */
  readonly stagger?: Duration;
}

export interface Restart {
  /** @default 2 (service), 3 (batch) */
  readonly attempts?: number;
  /** @default "30m" (service), "24h" (batch) */
  readonly interval?: Duration;
  /** @default "15s" */
  readonly delay?: Duration;
  /** @default "fail" */
  readonly mode?: "delay" | "fail";
  /** @default false */
  readonly renderTemplates?: boolean;
}

export interface Reschedule {
  readonly attempts?: number;
  readonly interval?: Duration;
  readonly delay?: Duration;
  readonly delayFunction?: "constant" | "exponential" | "fibonacci";
  readonly maxDelay?: Duration;
  readonly unlimited?: boolean;
}

export interface Migrate {
  /** @default 1 */
  readonly maxParallel?: number;
  /** @default "checks" */
  readonly healthCheck?: "checks" | "task_states";
  /** @default "10s" */
  readonly minHealthyTime?: Duration;
  /** @default "5m" */
  readonly healthyDeadline?: Duration;
}

export interface Constraint {
  /** e.g. "${attr.kernel.name}"; not used by distinct_hosts. */
  readonly attribute?: string;
  /** @default "=" */
  readonly operator?: string;
  readonly value?: string;
}

export interface Affinity {
  readonly attribute: string;
  /** @default "=" */
  readonly operator?: string;
  readonly value: string;
  /** -100..100. @default 50 */
  readonly weight?: number;
}

export interface Spread {
  readonly attribute: string;
  /** @default 0 */
  readonly weight?: number;
  readonly targets?: readonly { readonly value: string; readonly percent: number }[];
}

export interface TaskGroup extends Placement {
  readonly name: string;
  /** @default 1 */
  readonly count?: number;
  readonly network?: Network;
  /** Group services (Nomad's recommended place, next to the network). */
  readonly services?: readonly Service[];
  readonly update?: Update;
  readonly restart?: Restart;
  readonly reschedule?: Reschedule;
  readonly migrate?: Migrate;
  readonly volumes?: readonly Volume[];
  readonly ephemeralDisk?: EphemeralDisk;
  /** Time between deregistering services and killing tasks. */
  readonly shutdownDelay?: Duration;
  readonly scaling?: Scaling;
  readonly meta?: Readonly<Record<string, string>>;
  readonly tasks: readonly Task[];
}

export interface Network {
  /** "host", "bridge", "none" or "cni/<name>". @default "host" */
  readonly mode?: string;
  readonly ports?: readonly Port[];
  readonly dns?: NetworkDns;
  readonly hostname?: string;
}

export interface Port {
  /** The port's label, used by services and task config (`ports = ["http"]`). */
  readonly label: string;
  /** A fixed host port; omit for a dynamic one (20000-32000). */
  readonly static?: number;
  /** The port inside the task's network namespace (bridge mode). */
  readonly to?: number;
  /** A `client.host_network` name the port binds on. @default the default interface */
  readonly hostNetwork?: string;
}

export interface NetworkDns {
  readonly servers?: readonly string[];
  readonly searches?: readonly string[];
  readonly options?: readonly string[];
}

export interface Volume {
  readonly name: string;
  /** @default "host" */
  readonly type?: "host" | "csi";
  readonly source: string;
  /** @default false */
  readonly readOnly?: boolean;
  readonly accessMode?: string;
  readonly attachmentMode?: string;
  readonly perAlloc?: boolean;
}

export interface EphemeralDisk {
  /** @default 300 */
  readonly sizeMb?: number;
  readonly migrate?: boolean;
  readonly sticky?: boolean;
}

export interface Scaling {
  readonly min?: number;
  readonly max: number;
  /** @default true */
  readonly enabled?: boolean;
  /** Autoscaler policy, free-form. */
  readonly policy?: ConfigMap;
}

export interface Service {
  /** Required when a group or task has more than one service. @default "<job>-<group>[-<task>]" */
  readonly name?: string;
  /** @default "consul" */
  readonly provider?: "nomad" | "consul";
  /** A port label, or a number with addressMode "alloc"/"driver". */
  readonly port?: string | number;
  readonly tags?: readonly string[];
  readonly canaryTags?: readonly string[];
  /** @default "auto" */
  readonly addressMode?: "alloc" | "auto" | "driver" | "host";
  readonly address?: string;
  /** For group services: the task whose address/checks the service uses. */
  readonly task?: string;
  readonly meta?: Readonly<Record<string, string>>;
  readonly checks?: readonly Check[];
}

export interface Check {
  readonly name?: string;
  /** The nomad provider supports http and tcp only. */
  readonly type: "http" | "tcp" | "script" | "grpc";
  /** Required for http checks. */
  readonly path?: string;
  /** @default "GET" */
  readonly method?: string;
  /** @default "http" */
  readonly protocol?: "http" | "https";
  readonly interval: Duration;
  readonly timeout: Duration;
  /** @default the service's port */
  readonly port?: string | number;
  readonly addressMode?: "alloc" | "driver" | "host";
  /** Script checks. */
  readonly command?: string;
  readonly args?: readonly string[];
  readonly task?: string;
  readonly header?: Readonly<Record<string, readonly string[]>>;
  readonly onUpdate?: "require_healthy" | "ignore_warnings" | "ignore";
  readonly checkRestart?: CheckRestart;
}

export interface CheckRestart {
  /** Restart after this many consecutive failures. @default 0 (never) */
  readonly limit?: number;
  /** @default "1s" */
  readonly grace?: Duration;
  /** @default false */
  readonly ignoreWarnings?: boolean;
}

/** Fields every task has, whatever its driver. */
export interface TaskBase {
  readonly name: string;
  /** The user the task runs as. @default the driver's default */
  readonly user?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly resources?: Resources;
  readonly lifecycle?: Lifecycle;
  readonly templates?: readonly Template[];
  readonly identities?: readonly Identity[];
  readonly artifacts?: readonly Artifact[];
  readonly volumeMounts?: readonly VolumeMount[];
  readonly logs?: Logs;
  /** @default "5s" */
  readonly killTimeout?: Duration;
  /** @default "SIGINT" */
  readonly killSignal?: string;
  /** When the leader exits, the other tasks of the group are stopped. @default false */
  readonly leader?: boolean;
  readonly services?: readonly Service[];
  readonly restart?: Restart;
  readonly constraints?: readonly Constraint[];
  readonly meta?: Readonly<Record<string, string>>;
  readonly shutdownDelay?: Duration;
  /** Makes the task a CSI plugin (`csi_plugin` block). @default none: not a plugin */
  readonly csiPlugin?: CsiPlugin;
}

/** A task that is a CSI plugin (Nomad's `csi_plugin` block, api/tasks.go TaskCSIPluginConfig). */
export interface CsiPlugin {
  /** The plugin id volumes name as `plugin_id`, e.g. "csi.hetzner.cloud". */
  readonly id: string;
  readonly type: "controller" | "node" | "monolith";
  /** Where the plugin's socket directory is mounted inside the task. @default "/csi" */
  readonly mountDir?: string;
  /** Where volumes are staged and published inside the task. @default "/local/csi" */
  readonly stagePublishBaseDir?: string;
  /** How long Nomad waits for the plugin to become healthy. @default "30s" */
  readonly healthTimeout?: Duration;
}

/** Config shared by the docker and podman drivers. */
export interface ContainerConfig {
  readonly image: string;
  readonly command?: string;
  readonly args?: readonly string[];
  readonly entrypoint?: readonly string[];
  /** Group network port labels the container publishes. */
  readonly ports?: readonly string[];
  readonly networkMode?: string;
  /** @default false */
  readonly forcePull?: boolean;
  /** "host:container" bind mounts; relative host paths are inside the task dir. */
  readonly volumes?: readonly string[];
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  /** @default false */
  readonly privileged?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly workDir?: string;
  /** Any other driver option, rendered as written (objects become blocks). */
  readonly extra?: ConfigMap;
}

export type DockerConfig = ContainerConfig;
export type PodmanConfig = ContainerConfig;

export interface DockerTask extends TaskBase {
  readonly driver: "docker";
  readonly config: DockerConfig;
}

export interface PodmanTask extends TaskBase {
  readonly driver: "podman";
  readonly config: PodmanConfig;
}

/** exec, raw_exec and java take a free-form config, e.g. `{ command: "local/app", args: [...] }`. */
export interface GenericTask extends TaskBase {
  readonly driver: "exec" | "raw_exec" | "java";
  readonly config?: ConfigMap;
}

export type Task = DockerTask | PodmanTask | GenericTask;

export interface Resources {
  /** @default 100 */
  readonly cpuMhz?: number;
  /** Reserved whole cores (instead of cpuMhz). */
  readonly cores?: number;
  /** @default 300 */
  readonly memoryMb?: number;
  /** Oversubscription limit; must be >= memoryMb. */
  readonly memoryMaxMb?: number;
  /**
   * Size of the task's secrets/ directory, a tmpfs (memory, never the disk), counted in the
   * task's memory; at most memoryMb (nomad/structs Resources.Validate).
   * @default 1 (Nomad's)
   */
  readonly secretsMb?: number;
}

export interface Lifecycle {
  readonly hook: "prestart" | "poststart" | "poststop";
  /** Keep running beside the main task instead of running to completion. @default false */
  readonly sidecar?: boolean;
}

export interface Template {
  /** Inline consul-template text (multi-line renders as a heredoc). Set this or `source`. */
  readonly data?: string;
  readonly source?: string;
  /** Inside the task: `local/...`, `secrets/...` or `alloc/...`. */
  readonly destination: string;
  /** @default "restart" */
  readonly changeMode?: "noop" | "restart" | "signal" | "script";
  readonly changeSignal?: string;
  /** @default "5s" */
  readonly splay?: Duration;
  /** Read the rendered file as environment variables. @default false */
  readonly env?: boolean;
  /** Octal file mode, e.g. "0600". @default "0644" */
  readonly perms?: string;
  /**
   * Numeric owner of the rendered file: give a "0400" secret to the user the task runs as
   * (an `exec` task runs as nobody unless `user` says otherwise).
   * @default the Nomad agent's user (root on the hosts)
   */
  readonly uid?: number;
  /** Numeric group of the rendered file. @default the Nomad agent's group */
  readonly gid?: number;
  /** @default "{{" */
  readonly leftDelimiter?: string;
  /** @default "}}" */
  readonly rightDelimiter?: string;
  readonly errorOnMissingKey?: boolean;
  readonly wait?: { readonly min?: Duration; readonly max?: Duration };
}

export interface Identity {
  /** Omit for the default workload identity. */
  readonly name?: string;
  readonly aud?: readonly string[];
  /** Expose the token as NOMAD_TOKEN / NOMAD_TOKEN_<name>. @default false */
  readonly env?: boolean;
  /** Write the token to secrets/. @default false */
  readonly file?: boolean;
  readonly ttl?: Duration;
  readonly changeMode?: "noop" | "restart" | "signal";
  readonly changeSignal?: string;
}

export interface Artifact {
  readonly source: string;
  /** @default "local/" */
  readonly destination?: string;
  readonly mode?: "any" | "file" | "dir";
  readonly options?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly chown?: boolean;
}

export interface VolumeMount {
  readonly volume: string;
  readonly destination: string;
  /** @default false */
  readonly readOnly?: boolean;
  readonly propagationMode?: "private" | "host-to-task" | "bidirectional";
}

export interface Logs {
  /** @default 10 */
  readonly maxFiles?: number;
  /** @default 10 */
  readonly maxFileSizeMb?: number;
  /** @default false */
  readonly disabled?: boolean;
}
