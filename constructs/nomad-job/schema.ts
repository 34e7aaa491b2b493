import * as M from "./model";

/**
 * The one description of how the model maps to Nomad's HCL (names at Nomad v2.0.5, from the
 * `hcl:"..."` tags in api/jobs.go, api/tasks.go, api/services.go, api/consul.go,
 * api/resources.go). The renderer, the unknown-field check and the importer all walk it, so a
 * field added here is rendered, checked and imported at once. Each schema names every field of
 * its model type (`Required<T>`), so the compiler keeps the two in step.
 *
 * The order of the fields is the order they are rendered in: attributes as the Nomad docs list
 * them, then blocks.
 */
export type FieldSpec =
  /** The block's label (`job "<name>"`). */
  | { readonly kind: "label" }
  /**
   * An attribute: a scalar or a list. `omitEmpty`: an empty list means the same as none.
   * `number`: a number in the model, which Nomad also reads from a numeric string ("8080").
   */
  | { readonly kind: "attr"; readonly hcl: string; readonly omitEmpty?: boolean; readonly number?: boolean }
  /** A string map (env, meta): a block, or an object attribute when a key is not an identifier. */
  | { readonly kind: "map"; readonly hcl: string }
  /** A free-form block (driver config, scaling policy): objects become nested blocks. */
  | { readonly kind: "free"; readonly hcl: string }
  /** One nested block. */
  | { readonly kind: "block"; readonly hcl: string; readonly schema: () => BlockSchema }
  /** Repeated nested blocks, one per list item. */
  | { readonly kind: "blocks"; readonly hcl: string; readonly schema: () => BlockSchema }
  /** A task's `config`: typed for docker and podman, free-form for other drivers. */
  | { readonly kind: "taskConfig" }
  /** The escape hatch: free-form items written into the block itself. */
  | { readonly kind: "extra" };

export type BlockSchema = Readonly<Record<string, FieldSpec>>;
type SchemaOf<T> = { readonly [K in keyof Required<T>]: FieldSpec };

const label = { kind: "label" } as const;
const extra = { kind: "extra" } as const;
const a = (hcl: string, omitEmpty?: boolean): FieldSpec => ({ kind: "attr", hcl, omitEmpty });
const num = (hcl: string): FieldSpec => ({ kind: "attr", hcl, number: true });
const map = (hcl: string): FieldSpec => ({ kind: "map", hcl });
const free = (hcl: string): FieldSpec => ({ kind: "free", hcl });
const one = (hcl: string, schema: () => BlockSchema): FieldSpec => ({ kind: "block", hcl, schema });
const many = (hcl: string, schema: () => BlockSchema): FieldSpec => ({ kind: "blocks", hcl, schema });

const CONSTRAINT: SchemaOf<M.Constraint> = { attribute: a("attribute"), operator: a("operator"), value: a("value") };
const AFFINITY: SchemaOf<M.Affinity> = { attribute: a("attribute"), operator: a("operator"), value: a("value"), weight: num("weight") };
const SPREAD_TARGET: SchemaOf<{ value: string; percent: number }> = { value: label, percent: num("percent") };
const SPREAD: SchemaOf<M.Spread> = { attribute: a("attribute"), weight: num("weight"), targets: many("target", () => SPREAD_TARGET) };
export { CONSTRAINT as CONSTRAINT_SCHEMA, AFFINITY as AFFINITY_SCHEMA };
const PLACEMENT: SchemaOf<M.Placement> = {
  constraints: many("constraint", () => CONSTRAINT),
  affinities: many("affinity", () => AFFINITY),
  spreads: many("spread", () => SPREAD),
};

const UPDATE: SchemaOf<M.Update> = {
  maxParallel: num("max_parallel"),
  healthCheck: a("health_check"),
  minHealthyTime: a("min_healthy_time"),
  healthyDeadline: a("healthy_deadline"),
  progressDeadline: a("progress_deadline"),
  autoRevert: a("auto_revert"),
  autoPromote: a("auto_promote"),
  canary: num("canary"),
  stagger: a("stagger"),
};
const RESTART: SchemaOf<M.Restart> = {
  attempts: num("attempts"),
  interval: a("interval"),
  delay: a("delay"),
  mode: a("mode"),
  renderTemplates: a("render_templates"),
};
const RESCHEDULE: SchemaOf<M.Reschedule> = {
  attempts: num("attempts"),
  interval: a("interval"),
  delay: a("delay"),
  delayFunction: a("delay_function"),
  maxDelay: a("max_delay"),
  unlimited: a("unlimited"),
};
const MIGRATE: SchemaOf<M.Migrate> = {
  maxParallel: num("max_parallel"),
  healthCheck: a("health_check"),
  minHealthyTime: a("min_healthy_time"),
  healthyDeadline: a("healthy_deadline"),
};
const CONSUL: SchemaOf<M.ConsulSettings> = { namespace: a("namespace"), cluster: a("cluster"), partition: a("partition") };
const VAULT: SchemaOf<M.Vault> = {
  policies: a("policies"),
  role: a("role"),
  namespace: a("namespace"),
  cluster: a("cluster"),
  env: a("env"),
  disableFile: a("disable_file"),
  changeMode: a("change_mode"),
  changeSignal: a("change_signal"),
  allowTokenExpiration: a("allow_token_expiration"),
};

const PORT: SchemaOf<M.Port> = { label, static: num("static"), to: num("to"), hostNetwork: a("host_network"), ignoreCollision: a("ignore_collision") };
const NETWORK: SchemaOf<M.Network> = {
  mode: a("mode"),
  hostname: a("hostname"),
  mbits: num("mbits"),
  device: a("device"),
  cidr: a("cidr"),
  ip: a("ip"),
  ports: many("port", () => PORT),
  reservedPorts: many("reserved_ports", () => PORT),
  dns: one("dns", () => ({ servers: a("servers"), searches: a("searches"), options: a("options") }) satisfies SchemaOf<M.NetworkDns>),
  cni: one("cni", () => ({ args: map("args") })),
};

const CHECK_RESTART: SchemaOf<M.CheckRestart> = { limit: num("limit"), grace: a("grace"), ignoreWarnings: a("ignore_warnings") };
const CHECK: SchemaOf<M.Check> = {
  name: a("name"),
  type: a("type"),
  port: a("port"),
  protocol: a("protocol"),
  method: a("method"),
  path: a("path"),
  command: a("command"),
  args: a("args"),
  task: a("task"),
  addressMode: a("address_mode"),
  interval: a("interval"),
  timeout: a("timeout"),
  onUpdate: a("on_update"),
  initialStatus: a("initial_status"),
  expose: a("expose"),
  advertise: a("advertise"),
  notes: a("notes"),
  tlsServerName: a("tls_server_name"),
  tlsSkipVerify: a("tls_skip_verify"),
  grpcService: a("grpc_service"),
  grpcUseTls: a("grpc_use_tls"),
  successBeforePassing: num("success_before_passing"),
  failuresBeforeCritical: num("failures_before_critical"),
  failuresBeforeWarning: num("failures_before_warning"),
  body: a("body"),
  header: map("header"),
  checkRestart: one("check_restart", () => CHECK_RESTART),
};

const IDENTITY: SchemaOf<M.Identity> = {
  name: a("name"),
  aud: a("aud"),
  env: a("env"),
  file: a("file"),
  filepath: a("filepath"),
  serviceName: a("service_name"),
  ttl: a("ttl"),
  changeMode: a("change_mode"),
  changeSignal: a("change_signal"),
  extraClaims: a("extra_claims"),
};
const VOLUME_MOUNT: SchemaOf<M.VolumeMount> = {
  volume: a("volume"),
  destination: a("destination"),
  readOnly: a("read_only"),
  propagationMode: a("propagation_mode"),
  selinuxLabel: a("selinux_label"),
};
const LOGS: SchemaOf<M.Logs> = { maxFiles: num("max_files"), maxFileSizeMb: num("max_file_size"), disabled: a("disabled"), enabled: a("enabled") };
const DEVICE: SchemaOf<M.Device> = {
  name: label,
  count: num("count"),
  constraints: many("constraint", () => CONSTRAINT),
  affinities: many("affinity", () => AFFINITY),
};
const RESOURCES: SchemaOf<M.Resources> = {
  cpuMhz: num("cpu"),
  cores: num("cores"),
  memoryMb: num("memory"),
  memoryMaxMb: num("memory_max"),
  secretsMb: num("secrets"),
  diskMb: num("disk"),
  iops: num("iops"),
  networks: many("network", () => NETWORK),
  devices: many("device", () => DEVICE),
  numa: one("numa", () => ({ affinity: a("affinity"), devices: a("devices") })),
};

const UPSTREAM: SchemaOf<M.Upstream> = {
  destinationName: a("destination_name"),
  destinationNamespace: a("destination_namespace"),
  destinationPeer: a("destination_peer"),
  destinationPartition: a("destination_partition"),
  destinationType: a("destination_type"),
  localBindPort: num("local_bind_port"),
  localBindAddress: a("local_bind_address"),
  localBindSocketPath: a("local_bind_socket_path"),
  localBindSocketMode: a("local_bind_socket_mode"),
  datacenter: a("datacenter"),
  meshGateway: one("mesh_gateway", () => ({ mode: a("mode") })),
  config: free("config"),
};
const EXPOSE_PATH: SchemaOf<M.ExposePath> = {
  path: a("path"),
  protocol: a("protocol"),
  localPathPort: num("local_path_port"),
  listenerPort: a("listener_port"),
};
const TRANSPARENT_PROXY: SchemaOf<M.TransparentProxy> = {
  uid: num("uid"),
  outboundPort: num("outbound_port"),
  excludeInboundPorts: a("exclude_inbound_ports"),
  excludeOutboundPorts: a("exclude_outbound_ports"),
  excludeOutboundCidrs: a("exclude_outbound_cidrs"),
  excludeUids: a("exclude_uids"),
  noDns: a("no_dns"),
};
const PROXY: SchemaOf<M.ConnectProxy> = {
  localServiceAddress: a("local_service_address"),
  localServicePort: num("local_service_port"),
  upstreams: many("upstreams", () => UPSTREAM),
  expose: one("expose", () => ({ paths: many("path", () => EXPOSE_PATH) })),
  transparentProxy: one("transparent_proxy", () => TRANSPARENT_PROXY),
  config: free("config"),
};
const SIDECAR_SERVICE: SchemaOf<M.SidecarService> = {
  tags: a("tags"),
  port: a("port"),
  disableDefaultTcpCheck: a("disable_default_tcp_check"),
  meta: map("meta"),
  proxy: one("proxy", () => PROXY),
};
const SIDECAR_TASK: SchemaOf<M.SidecarTask> = {
  name: a("name"),
  driver: a("driver"),
  user: a("user"),
  killTimeout: a("kill_timeout"),
  killSignal: a("kill_signal"),
  shutdownDelay: a("shutdown_delay"),
  config: free("config"),
  env: map("env"),
  meta: map("meta"),
  resources: one("resources", () => RESOURCES),
  logs: one("logs", () => LOGS),
  volumeMounts: many("volume_mount", () => VOLUME_MOUNT),
  identities: many("identity", () => IDENTITY),
};
const CONNECT: SchemaOf<M.Connect> = {
  native: a("native"),
  sidecarService: one("sidecar_service", () => SIDECAR_SERVICE),
  sidecarTask: one("sidecar_task", () => SIDECAR_TASK),
  gateway: free("gateway"),
};
const SERVICE: SchemaOf<M.Service> = {
  name: a("name"),
  provider: a("provider"),
  cluster: a("cluster"),
  port: a("port"),
  task: a("task"),
  tags: a("tags", true),
  canaryTags: a("canary_tags", true),
  addressMode: a("address_mode"),
  address: a("address"),
  enableTagOverride: a("enable_tag_override"),
  onUpdate: a("on_update"),
  kind: a("kind"),
  meta: map("meta"),
  canaryMeta: map("canary_meta"),
  taggedAddresses: map("tagged_addresses"),
  checks: many("check", () => CHECK),
  checkRestart: one("check_restart", () => CHECK_RESTART),
  connect: one("connect", () => CONNECT),
  identity: one("identity", () => IDENTITY),
  weights: one("weights", () => ({ passing: num("passing"), warning: num("warning") })),
  extra,
};

const TEMPLATE: SchemaOf<M.Template> = {
  source: a("source"),
  destination: a("destination"),
  env: a("env"),
  perms: a("perms"),
  uid: num("uid"),
  gid: num("gid"),
  changeMode: a("change_mode"),
  changeSignal: a("change_signal"),
  splay: a("splay"),
  leftDelimiter: a("left_delimiter"),
  rightDelimiter: a("right_delimiter"),
  errorOnMissingKey: a("error_on_missing_key"),
  once: a("once"),
  vaultGrace: a("vault_grace"),
  // Last of the attributes: a heredoc closes the aligned group above it.
  data: a("data"),
  wait: one("wait", () => ({ min: num("min"), max: num("max") })),
  changeScript: one("change_script", () => ({
    command: a("command"),
    args: a("args"),
    timeout: a("timeout"),
    failOnError: a("fail_on_error"),
    runOnFirstRender: a("run_on_first_render"),
  })),
};
const ARTIFACT: SchemaOf<M.Artifact> = {
  source: a("source"),
  destination: a("destination"),
  mode: a("mode"),
  chown: a("chown"),
  insecure: a("insecure"),
  options: map("options"),
  headers: map("headers"),
};
const SCALING: SchemaOf<M.Scaling> = {
  type: label,
  enabled: a("enabled"),
  min: num("min"),
  max: num("max"),
  policy: free("policy"),
};
const CSI_PLUGIN: SchemaOf<M.CsiPlugin> = {
  id: a("id"),
  type: a("type"),
  mountDir: a("mount_dir"),
  stagePublishBaseDir: a("stage_publish_base_dir"),
  healthTimeout: a("health_timeout"),
};

const TASK: SchemaOf<M.TaskBase & { driver: string; config: unknown }> = {
  name: label,
  driver: a("driver"),
  kind: a("kind"),
  user: a("user"),
  leader: a("leader"),
  killTimeout: a("kill_timeout"),
  killSignal: a("kill_signal"),
  shutdownDelay: a("shutdown_delay"),
  lifecycle: one("lifecycle", () => ({ hook: a("hook"), sidecar: a("sidecar") })),
  constraints: many("constraint", () => CONSTRAINT),
  affinities: many("affinity", () => AFFINITY),
  config: { kind: "taskConfig" },
  artifacts: many("artifact", () => ARTIFACT),
  volumeMounts: many("volume_mount", () => VOLUME_MOUNT),
  identities: many("identity", () => IDENTITY),
  env: map("env"),
  meta: map("meta"),
  services: many("service", () => SERVICE),
  templates: many("template", () => TEMPLATE),
  restart: one("restart", () => RESTART),
  resources: one("resources", () => RESOURCES),
  logs: one("logs", () => LOGS),
  vault: one("vault", () => VAULT),
  consul: one("consul", () => CONSUL),
  dispatchPayload: one("dispatch_payload", () => ({ file: a("file") })),
  csiPlugin: one("csi_plugin", () => CSI_PLUGIN),
  scaling: many("scaling", () => SCALING),
  actions: many("action", () => ({ name: label, command: a("command"), args: a("args") }) satisfies SchemaOf<M.TaskAction>),
  secrets: many("secret", () => ({ name: label, provider: a("provider"), path: a("path"), config: free("config"), env: map("env") }) satisfies SchemaOf<M.TaskSecret>),
  schedule: one("schedule", () => ({ cron: one("cron", () => ({ start: a("start"), end: a("end"), timezone: a("timezone") })) })),
  extra,
};

const VOLUME: SchemaOf<M.Volume> = {
  name: label,
  type: a("type"),
  source: a("source"),
  readOnly: a("read_only"),
  sticky: a("sticky"),
  accessMode: a("access_mode"),
  attachmentMode: a("attachment_mode"),
  perAlloc: a("per_alloc"),
  mountOptions: one("mount_options", () => ({ fsType: a("fs_type"), mountFlags: a("mount_flags") })),
};

const GROUP: SchemaOf<M.TaskGroup> = {
  name: label,
  count: num("count"),
  shutdownDelay: a("shutdown_delay"),
  maxRunDuration: a("max_run_duration"),
  stopAfterClientDisconnect: a("stop_after_client_disconnect"),
  maxClientDisconnect: a("max_client_disconnect"),
  preventRescheduleOnLost: a("prevent_reschedule_on_lost"),
  meta: map("meta"),
  ...PLACEMENT,
  network: one("network", () => NETWORK),
  volumes: many("volume", () => VOLUME),
  ephemeralDisk: one("ephemeral_disk", () => ({ sizeMb: num("size"), migrate: a("migrate"), sticky: a("sticky") }) satisfies SchemaOf<M.EphemeralDisk>),
  update: one("update", () => UPDATE),
  migrate: one("migrate", () => MIGRATE),
  restart: one("restart", () => RESTART),
  reschedule: one("reschedule", () => RESCHEDULE),
  disconnect: one(
    "disconnect",
    () => ({ lostAfter: a("lost_after"), stopOnClientAfter: a("stop_on_client_after"), replace: a("replace"), reconcile: a("reconcile") }) satisfies SchemaOf<M.Disconnect>,
  ),
  consul: one("consul", () => CONSUL),
  // A group's scaling block has no label; its type (horizontal) is Nomad's to set.
  scaling: one("scaling", () => ({ ...SCALING, type: a("type") })),
  services: many("service", () => SERVICE),
  tasks: many("task", () => TASK),
  extra,
};

export const JOB: SchemaOf<M.Job> = {
  name: label,
  displayName: a("name"),
  namespace: a("namespace"),
  type: a("type"),
  region: a("region"),
  datacenters: a("datacenters"),
  nodePool: a("node_pool"),
  priority: num("priority"),
  allAtOnce: a("all_at_once"),
  meta: map("meta"),
  periodic: one("periodic", () => ({ crons: a("crons"), timeZone: a("time_zone"), prohibitOverlap: a("prohibit_overlap"), enabled: a("enabled") }) satisfies SchemaOf<M.Periodic>),
  parameterized: one("parameterized", () => ({ payload: a("payload"), metaRequired: a("meta_required"), metaOptional: a("meta_optional") }) satisfies SchemaOf<M.Parameterized>),
  ...PLACEMENT,
  update: one("update", () => UPDATE),
  reschedule: one("reschedule", () => RESCHEDULE),
  migrate: one("migrate", () => MIGRATE),
  vault: one("vault", () => VAULT),
  ui: one("ui", () => ({ description: a("description"), links: many("link", () => ({ label: a("label"), url: a("url") })) }) satisfies SchemaOf<M.JobUi>),
  multiregion: one("multiregion", () => ({
    strategy: one("strategy", () => ({ maxParallel: num("max_parallel"), onFailure: a("on_failure") })),
    regions: many("region", () => ({ name: label, count: num("count"), datacenters: a("datacenters"), nodePool: a("node_pool"), meta: map("meta") }) satisfies SchemaOf<M.MultiregionRegion>),
  })),
  groups: many("group", () => GROUP),
  extra,
};

/** The typed docker/podman options, in their drivers' own names; other options go in `extra`. */
export const CONTAINER_CONFIG: SchemaOf<Omit<M.ContainerConfig, "extra">> = {
  image: a("image"),
  command: a("command"),
  entrypoint: a("entrypoint"),
  args: a("args"),
  ports: a("ports"),
  networkMode: a("network_mode"),
  forcePull: a("force_pull"),
  privileged: a("privileged"),
  workDir: a("work_dir"),
  capAdd: a("cap_add"),
  capDrop: a("cap_drop"),
  volumes: a("volumes"),
  labels: a("labels"),
};
