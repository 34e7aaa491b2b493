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
  /** The job's display name (Nomad's `name` attribute). @default the job id */
  readonly displayName?: string;
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
  /** Place every allocation at once or none (deprecated by Nomad, still parsed). @default false */
  readonly allAtOnce?: boolean;
  /** @default none */
  readonly meta?: Readonly<Record<string, string>>;
  /** Runs a batch/sysbatch job on a schedule. @default none: not periodic */
  readonly periodic?: Periodic;
  /** Makes the job a template that is dispatched with a payload/meta. @default none: not parameterized */
  readonly parameterized?: Parameterized;
  /** Update strategy for every group (groups may override). @default Nomad's update defaults */
  readonly update?: Update;
  /** Reschedule policy for every group (groups may override). @default Nomad's, by job type */
  readonly reschedule?: Reschedule;
  /** Migrate strategy for every group (groups may override). @default Nomad's migrate defaults */
  readonly migrate?: Migrate;
  /** Deployment across federated regions (Nomad Enterprise). @default none: this region only */
  readonly multiregion?: Multiregion;
  /** Vault settings for every task of the job (a task's own `vault` wins). @default none */
  readonly vault?: Vault;
  /** How the Nomad web UI shows the job (since Nomad 1.8). @default none */
  readonly ui?: JobUi;
  /**
   * Attributes and blocks a newer Nomad adds that this model does not have yet, in Nomad's own
   * (snake_case) names; lists of objects become repeated blocks, objects object attributes.
   * Written by the same HCL writer, with the same escaping, after the modelled fields.
   * @default none
   */
  readonly extra?: ConfigMap;
  readonly groups: readonly TaskGroup[];
}

export interface JobUi {
  /** Markdown shown on the job page. @default none */
  readonly description?: string;
  readonly links?: readonly { readonly label: string; readonly url: string }[];
}

export interface Multiregion {
  readonly strategy?: { readonly maxParallel?: number; readonly onFailure?: string };
  readonly regions?: readonly MultiregionRegion[];
}

export interface MultiregionRegion {
  readonly name: string;
  readonly count?: number;
  readonly datacenters?: readonly string[];
  readonly nodePool?: string;
  readonly meta?: Readonly<Record<string, string>>;
}

export interface Periodic {
  /**
   * Cron expressions (5-field, or @daily and friends); Nomad runs at the earliest next one.
   * Nomad's older single `cron = "..."` is the same as a list of one (imports read it so).
   */
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

/** What happens to allocations on a client that stops heartbeating (since Nomad 1.8). */
export interface Disconnect {
  /** Mark the allocations lost after this long without contact. @default none: at once */
  readonly lostAfter?: Duration;
  /** Stop the allocations on the disconnected client after this long. @default none: keep them */
  readonly stopOnClientAfter?: Duration;
  /** Start replacements while the client is away. @default true */
  readonly replace?: boolean;
  /** Which allocation wins when the client comes back. @default "best_score" */
  readonly reconcile?: "best_score" | "keep_original" | "keep_replacement" | "longest_running";
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

/** Nomad's `consul` block: which Consul cluster, namespace and partition the tasks use. */
export interface ConsulSettings {
  /** @default the agent's Consul namespace */
  readonly namespace?: string;
  /** @default "default" */
  readonly cluster?: string;
  /** Consul Enterprise admin partition. @default none */
  readonly partition?: string;
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
  /** The group network. Nomad reads at most one. @default none: the host's network, no ports */
  readonly network?: Network;
  /** Group services (Nomad's recommended place, next to the network). */
  readonly services?: readonly Service[];
  readonly update?: Update;
  readonly restart?: Restart;
  readonly reschedule?: Reschedule;
  readonly migrate?: Migrate;
  readonly volumes?: readonly Volume[];
  readonly ephemeralDisk?: EphemeralDisk;
  /** Time between deregistering services and killing tasks. @default none */
  readonly shutdownDelay?: Duration;
  /** Batch groups: stop allocations that run longer (since Nomad 1.9). @default none */
  readonly maxRunDuration?: Duration;
  /** Deprecated by `disconnect.stopOnClientAfter`, still parsed. @default none */
  readonly stopAfterClientDisconnect?: Duration;
  /** Deprecated by `disconnect.lostAfter`, still parsed. @default none */
  readonly maxClientDisconnect?: Duration;
  /** Do not replace allocations of a lost node (since Nomad 1.8). @default false */
  readonly preventRescheduleOnLost?: boolean;
  readonly disconnect?: Disconnect;
  readonly consul?: ConsulSettings;
  readonly scaling?: Scaling;
  readonly meta?: Readonly<Record<string, string>>;
  readonly tasks: readonly Task[];
  /**
   * Attributes and blocks a newer Nomad adds that this model does not have yet, in Nomad's own
   * (snake_case) names; lists of objects become repeated blocks, objects object attributes.
   * Written by the same HCL writer, with the same escaping, after the modelled fields.
   * @default none
   */
  readonly extra?: ConfigMap;
}

export interface Network {
  /** "host", "bridge", "none" or "cni/<name>". @default "host" */
  readonly mode?: string;
  readonly ports?: readonly Port[];
  /** Fixed host ports in Nomad's legacy form (`reserved_ports`), still parsed. @default none */
  readonly reservedPorts?: readonly Port[];
  readonly dns?: NetworkDns;
  readonly hostname?: string;
  /** Bandwidth ask, ignored by Nomad's scheduler since 1.0. @default none */
  readonly mbits?: number;
  /** Legacy task network fields. @default none */
  readonly device?: string;
  readonly cidr?: string;
  readonly ip?: string;
  /** Arguments to CNI plugins (since Nomad 1.10). @default none */
  readonly cni?: { readonly args?: Readonly<Record<string, string>> };
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
  /** Allow a static port another allocation already uses (since Nomad 1.10). @default false */
  readonly ignoreCollision?: boolean;
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
  /** Host volumes: keep the same volume across reschedules (since Nomad 1.10). @default false */
  readonly sticky?: boolean;
  readonly accessMode?: string;
  readonly attachmentMode?: string;
  readonly perAlloc?: boolean;
  /** CSI volumes: filesystem and mount flags. @default the volume's own */
  readonly mountOptions?: { readonly fsType?: string; readonly mountFlags?: readonly string[] };
}

export interface EphemeralDisk {
  /** @default 300 */
  readonly sizeMb?: number;
  readonly migrate?: boolean;
  readonly sticky?: boolean;
}

export interface Scaling {
  /** Task scaling policies (Enterprise): "vertical_cpu" or "vertical_mem", the label. @default horizontal */
  readonly type?: string;
  /** @default the group's count */
  readonly min?: number;
  readonly max?: number;
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
  /** Which Consul cluster registers the service. @default "default" */
  readonly cluster?: string;
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
  /** Meta while the allocation is a canary. @default meta */
  readonly canaryMeta?: Readonly<Record<string, string>>;
  /** Consul tagged addresses, e.g. { wan: "1.2.3.4" }. @default none */
  readonly taggedAddresses?: Readonly<Record<string, string>>;
  /** Let Consul anti-entropy keep tags changed outside Nomad. @default false */
  readonly enableTagOverride?: boolean;
  /** @default "require_healthy" */
  readonly onUpdate?: "require_healthy" | "ignore_warnings" | "ignore";
  /** Consul service kind (e.g. for gateways). @default none */
  readonly kind?: string;
  /** Applies to every check of the service. @default none */
  readonly checkRestart?: CheckRestart;
  readonly checks?: readonly Check[];
  /** Consul Connect (service mesh). @default none */
  readonly connect?: Connect;
  /** The service's workload identity for Consul. @default Nomad's */
  readonly identity?: Identity;
  /** Consul DNS SRV weights. @default { passing: 1, warning: 1 } */
  readonly weights?: { readonly passing?: number; readonly warning?: number };
  /**
   * Attributes and blocks a newer Nomad adds that this model does not have yet, in Nomad's own
   * (snake_case) names; lists of objects become repeated blocks, objects object attributes.
   * Written by the same HCL writer, with the same escaping, after the modelled fields.
   * @default none
   */
  readonly extra?: ConfigMap;
}

/** Consul Connect for a service: a sidecar proxy, a native app, or a gateway. */
export interface Connect {
  /** The app speaks Connect itself. @default false */
  readonly native?: boolean;
  /** Run an Envoy sidecar (an empty object gives Nomad's defaults). @default none */
  readonly sidecarService?: SidecarService;
  /** Overrides of the sidecar task Nomad injects. @default Nomad's Envoy task */
  readonly sidecarTask?: SidecarTask;
  /** Run this service as a Consul gateway. Free-form: proxy, ingress, terminating, mesh blocks. @default none */
  readonly gateway?: ConfigMap;
}

export interface SidecarService {
  readonly tags?: readonly string[];
  /** @default a dynamic port */
  readonly port?: string;
  /** @default false */
  readonly disableDefaultTcpCheck?: boolean;
  readonly meta?: Readonly<Record<string, string>>;
  readonly proxy?: ConnectProxy;
}

export interface ConnectProxy {
  readonly localServiceAddress?: string;
  readonly localServicePort?: number;
  readonly upstreams?: readonly Upstream[];
  /** Expose paths (e.g. health checks) outside the mesh. */
  readonly expose?: { readonly paths?: readonly ExposePath[] };
  readonly transparentProxy?: TransparentProxy;
  /** Envoy proxy config, free-form. */
  readonly config?: ConfigMap;
}

export interface Upstream {
  readonly destinationName: string;
  readonly localBindPort: number;
  readonly destinationNamespace?: string;
  readonly destinationPeer?: string;
  readonly destinationPartition?: string;
  readonly destinationType?: string;
  readonly datacenter?: string;
  readonly localBindAddress?: string;
  readonly localBindSocketPath?: string;
  readonly localBindSocketMode?: string;
  readonly meshGateway?: { readonly mode?: "local" | "remote" | "none" };
  readonly config?: ConfigMap;
}

export interface ExposePath {
  readonly path: string;
  readonly protocol?: "http" | "http2";
  readonly localPathPort: number;
  readonly listenerPort: string;
}

export interface TransparentProxy {
  readonly uid?: string;
  readonly outboundPort?: number;
  readonly excludeInboundPorts?: readonly string[];
  readonly excludeOutboundPorts?: readonly number[];
  readonly excludeOutboundCidrs?: readonly string[];
  readonly excludeUids?: readonly string[];
  /** @default false */
  readonly noDns?: boolean;
}

/** The parts of the injected Envoy task a job may change. */
export interface SidecarTask {
  readonly name?: string;
  readonly driver?: string;
  readonly user?: string;
  readonly config?: ConfigMap;
  readonly env?: Readonly<Record<string, string>>;
  readonly resources?: Resources;
  readonly meta?: Readonly<Record<string, string>>;
  readonly killTimeout?: Duration;
  readonly logs?: Logs;
  readonly shutdownDelay?: Duration;
  readonly killSignal?: string;
  readonly volumeMounts?: readonly VolumeMount[];
  readonly identities?: readonly Identity[];
}

export interface Check {
  readonly name?: string;
  /** The nomad provider supports http and tcp only. */
  readonly type: "http" | "tcp" | "script" | "grpc";
  /** The status before the first run (Consul only). @default "critical" */
  readonly initialStatus?: "passing" | "warning" | "critical";
  /** Expose the check through the Connect sidecar. @default false */
  readonly expose?: boolean;
  /** Advertised address:port Consul checks (Consul only). @default none */
  readonly advertise?: string;
  readonly notes?: string;
  readonly tlsServerName?: string;
  /** @default false */
  readonly tlsSkipVerify?: boolean;
  readonly grpcService?: string;
  /** @default false */
  readonly grpcUseTls?: boolean;
  /** @default 0 */
  readonly successBeforePassing?: number;
  /** @default 0 */
  readonly failuresBeforeCritical?: number;
  /** @default 0 */
  readonly failuresBeforeWarning?: number;
  /** HTTP request body. @default none */
  readonly body?: string;
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
  /** Task kind, set by Nomad for injected tasks (e.g. "connect-proxy:web"). @default none */
  readonly kind?: string;
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
  readonly affinities?: readonly Affinity[];
  readonly meta?: Readonly<Record<string, string>>;
  readonly shutdownDelay?: Duration;
  /** A Vault token for the task (since Nomad 1.7 via workload identity). @default none */
  readonly vault?: Vault;
  /** Which Consul the task's templates and services use. @default the group's */
  readonly consul?: ConsulSettings;
  /** Where a dispatched job's payload is written, relative to local/. @default none */
  readonly dispatchPayload?: { readonly file: string };
  /** Registers the task as a CSI plugin. @default none */
  readonly csiPlugin?: CsiPlugin;
  /** Task scaling policies (Enterprise). @default none */
  readonly scaling?: readonly Scaling[];
  /** Commands an operator may run in the task (`nomad action`, since Nomad 1.7). @default none */
  readonly actions?: readonly TaskAction[];
  /** Secrets from a provider, as env (since Nomad 2.0). @default none */
  readonly secrets?: readonly TaskSecret[];
  /** Run only in a time window (Enterprise). @default none */
  readonly schedule?: { readonly cron?: { readonly start?: string; readonly end?: string; readonly timezone?: string } };
  /**
   * Attributes and blocks a newer Nomad adds that this model does not have yet, in Nomad's own
   * (snake_case) names; lists of objects become repeated blocks, objects object attributes.
   * Written by the same HCL writer, with the same escaping, after the modelled fields.
   * @default none
   */
  readonly extra?: ConfigMap;
}

export interface TaskAction {
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
}

export interface TaskSecret {
  readonly name: string;
  readonly provider?: string;
  readonly path?: string;
  readonly config?: ConfigMap;
  readonly env?: Readonly<Record<string, string>>;
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

export interface Vault {
  /** Legacy token policies (Vault tokens from Nomad's own token). @default none */
  readonly policies?: readonly string[];
  /** The Vault role for workload identity auth. @default the cluster's default role */
  readonly role?: string;
  readonly namespace?: string;
  /** @default "default" */
  readonly cluster?: string;
  /** Expose the token as VAULT_TOKEN. @default true */
  readonly env?: boolean;
  /** Do not write the token to secrets/vault_token. @default false */
  readonly disableFile?: boolean;
  /** @default "restart" */
  readonly changeMode?: "noop" | "restart" | "signal";
  readonly changeSignal?: string;
  /** @default false */
  readonly allowTokenExpiration?: boolean;
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

/** A docker or podman task: its config is typed. */
export interface ContainerTask extends TaskBase {
  readonly driver: "docker" | "podman";
  readonly config: ContainerConfig;
}

export interface DockerTask extends ContainerTask {
  readonly driver: "docker";
}

export interface PodmanTask extends ContainerTask {
  readonly driver: "podman";
}

/**
 * Any other driver (exec, raw_exec, java, qemu or a plugin) takes a free-form config in the
 * driver's own option names, e.g. `{ command: "local/app", args: [...] }`.
 */
export interface GenericTask extends TaskBase {
  readonly driver: string;
  readonly config?: ConfigMap;
}

/** Whether the task's config is the typed docker/podman one. */
export function isContainerTask(task: Task): task is ContainerTask {
  return task.driver === "docker" || task.driver === "podman";
}

export type Task = ContainerTask | GenericTask;

export interface Resources {
  /** @default 100 */
  readonly cpuMhz?: number;
  /** Deprecated disk ask (use the group's ephemeralDisk), still parsed. @default none */
  readonly diskMb?: number;
  /** Deprecated, still parsed. @default none */
  readonly iops?: number;
  /** Task-level network, deprecated since Nomad 0.12 but still parsed. @default none */
  readonly networks?: readonly Network[];
  /** Devices such as GPUs, e.g. { name: "nvidia/gpu", count: 1 }. @default none */
  readonly devices?: readonly Device[];
  /** NUMA-aware placement (Enterprise). @default none */
  readonly numa?: { readonly affinity?: "none" | "prefer" | "require"; readonly devices?: readonly string[] };
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

export interface Device {
  /** "<vendor>/<type>/<name>", any part from the right optional, e.g. "nvidia/gpu". */
  readonly name: string;
  /** @default 1 */
  readonly count?: number;
  readonly constraints?: readonly Constraint[];
  readonly affinities?: readonly Affinity[];
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
  /** Render once and never watch again (since Nomad 1.8). @default false */
  readonly once?: boolean;
  /** Deprecated Vault grace, still parsed. @default none */
  readonly vaultGrace?: Duration;
  /** With changeMode "script": the script to run. */
  readonly changeScript?: {
    readonly command: string;
    readonly args?: readonly string[];
    /** @default "5s" */
    readonly timeout?: Duration;
    /** @default false */
    readonly failOnError?: boolean;
    /** @default false */
    readonly runOnFirstRender?: boolean;
  };
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
  /** File path of the token, instead of secrets/. @default none */
  readonly filepath?: string;
  /** For a service identity: the service it is for. @default none */
  readonly serviceName?: string;
  /** Extra claims (Enterprise). @default none */
  readonly extraClaims?: readonly string[];
}

export interface Artifact {
  readonly source: string;
  /** @default "local/" */
  readonly destination?: string;
  readonly mode?: "any" | "file" | "dir";
  readonly options?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly chown?: boolean;
  /** Allow TLS without verification. @default false */
  readonly insecure?: boolean;
}

export interface VolumeMount {
  readonly volume: string;
  readonly destination: string;
  /** @default false */
  readonly readOnly?: boolean;
  readonly propagationMode?: "private" | "host-to-task" | "bidirectional";
  /** SELinux relabel of the volume: "z" (shared) or "Z" (private). @default none */
  readonly selinuxLabel?: "z" | "Z" | "";
}

export interface Logs {
  /** @default 10 */
  readonly maxFiles?: number;
  /** @default 10 */
  readonly maxFileSizeMb?: number;
  /** @default false */
  readonly disabled?: boolean;
  /** Deprecated opposite of disabled, still parsed. @default true */
  readonly enabled?: boolean;
}
