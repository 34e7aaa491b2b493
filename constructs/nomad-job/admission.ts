import { Token } from "cdktf";
import { ClusterFacts, factSource, TaskDriver } from "../cluster-facts";
import { ConfigMap, ConfigValue, ContainerConfig, isContainerTask, Task, TaskGroup } from "./model";

/**
 * The admission policy: what a job may ask of the host it runs on. On a Nomad cluster
 * `submit-job` is root-equivalent (the docker driver cannot forbid `devices`, exec's
 * `pid_mode = "host"` is always accepted), so hashilab's clusters let only Terraform submit
 * jobs and these synth-time rules decide what reaches the cluster (docs/access.md).
 */

/** What jobs in one namespace may use beyond the safe defaults (from the environment's namespaces). */
export interface NamespaceAdmission {
  /** Task drivers its jobs may use; Nomad enforces the same list at submission. */
  readonly taskDrivers: readonly TaskDriver[];
  /** Linux capabilities its containers may add beyond the drivers' default set. */
  readonly addCapabilities: readonly string[];
  /** Its containers, and process tasks of groups without a network of their own, may share the host's network namespace. */
  readonly hostNetworkMode: boolean;
  /** Its podman containers may run privileged (root on the host), e.g. a CSI node plugin. */
  readonly allowPrivileged: boolean;
}

/** A namespace that says nothing gets this: isolated drivers, no added capabilities, own network. */
export const DEFAULT_NAMESPACE_ADMISSION: NamespaceAdmission = {
  taskDrivers: ["docker", "exec"],
  addCapabilities: [],
  hostNetworkMode: false,
  allowPrivileged: false,
};

/**
 * Capabilities Nomad grants tasks by default (drivers/shared/capabilities/defaults.go
 * HCLSpecLiteral, also the docker plugin's `allow_caps` default): adding one of these to a
 * container grants nothing new.
 */
const DEFAULT_CAPABILITIES = new Set([
  "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
  "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]);

/** Every Linux capability (include/uapi/linux/capability.h), named as the drivers take them, without CAP_. */
const LINUX_CAPABILITIES: ReadonlySet<string> = new Set([
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
  "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
  "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
  "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
  "CHECKPOINT_RESTORE",
]);

/** A capability as the drivers compare it: upper case, without CAP_. */
const capabilityName = (cap: string) => cap.toUpperCase().replace(/^CAP_/, "");

/** What is wrong with a namespace's allowances, each with the fix. */
export function namespaceAdmissionProblems(admission: NamespaceAdmission): string[] {
  const problems: string[] = [];
  if (admission.taskDrivers.length === 0) {
    problems.push(`taskDrivers is empty, which Nomad reads as "every driver" (an empty enabled_task_drivers); list the drivers its jobs use, e.g. ["docker"]`);
  }
  for (const cap of admission.addCapabilities) {
    if (!LINUX_CAPABILITIES.has(capabilityName(cap))) {
      problems.push(`addCapabilities "${cap}" is no Linux capability; use names like "NET_ADMIN" (capabilities(7))`);
    }
  }
  return problems;
}

/** Driver options (docker 2.0 and nomad-driver-podman 0.6 names) that hand the host to a task. */
const FORBIDDEN_OPTIONS: Readonly<Record<string, string>> = {
  devices: "maps host devices into the container: a raw disk holds the Raft data with every ACL secret",
  security_opt: "can turn off seccomp, AppArmor or SELinux confinement",
  apparmor_profile: "can run the container unconfined",
  selinux_opts: "can relabel or unconfine the container",
  runtime: "can pick an OCI runtime without the usual isolation",
  volume_driver: "mounts volumes of a host plugin outside Nomad's control",
};

/** Typed fields of ContainerConfig: setting them through `extra` would bypass their checks. */
const TYPED_OPTIONS: Readonly<Record<string, string>> = {
  privileged: "privileged",
  cap_add: "capAdd",
  cap_drop: "capDrop",
  volumes: "volumes",
  network_mode: "networkMode",
};

/** Options naming a Linux namespace, and the drivers' value for sharing the host's. */
const HOST_NAMESPACE_OPTIONS = ["pid_mode", "ipc_mode", "uts_mode", "userns_mode", "userns", "cgroupns"];
const HOST = "host";
/** Group network modes that give the group a network namespace of its own. */
const ISOLATED_NETWORK_MODES = ["bridge", "none"];

type Report = (message: string) => void;

const known = (value: unknown): boolean => value !== undefined && !Token.isUnresolved(value);

/**
 * Reports what `task` asks of its host beyond what its namespace's admission (from `facts`, or
 * the defaults) allows. Without facts for the namespace only the rules that hold in every
 * namespace apply.
 */
export function checkAdmission(task: Task, group: TaskGroup, namespace: string, facts: ClusterFacts | undefined, report: Report): void {
  const declaredAdmission = facts?.namespaceAdmission?.[namespace];
  const admission = declaredAdmission ?? DEFAULT_NAMESPACE_ADMISSION;
  const declared = declaredAdmission !== undefined;
  // Where the reader changes the namespace's allowances, in the API they declared the facts with.
  const allowances = facts ? `namespace "${namespace}" in ${factSource(facts, "namespaceAdmission")}` : "";
  if (declared && !admission.taskDrivers.includes(task.driver)) {
    report(
      `uses the ${task.driver} driver, which namespace "${namespace}" does not allow (allowed: ${admission.taskDrivers.join(", ")}). ` +
        `Use one of those, or add "${task.driver}" to the taskDrivers of ${allowances} (docs/access.md says what each driver can reach).`,
    );
  }
  if (isContainerTask(task)) {
    checkContainer(task.config, task.driver, namespace, admission, declared, allowances, report);
  } else {
    checkProcess(task.config ?? {}, report);
    // exec, java and raw_exec tasks share the host's network namespace unless their group asks
    // for one of its own (Nomad's default group network mode is "host").
    const mode = group.network?.mode ?? HOST;
    if (declared && known(mode) && !ISOLATED_NETWORK_MODES.includes(mode) && !mode.startsWith("cni/") && !admission.hostNetworkMode) {
      report(
        `runs in the host's network namespace (its group's network mode is "${mode}"), where it reaches every port the host listens on, ` +
          `the agents' APIs included, which namespace "${namespace}" does not allow. Give the group network { mode = "bridge" }, or set hostNetworkMode on ${allowances}.`,
      );
    }
  }
  // Nomad's client refuses root for these drivers (client/config user.denylist default
  // "root,Administrator", checked_drivers "exec,qemu,java"): fail here rather than at placement.
  if ((task.driver === "exec" || task.driver === "java") && task.user === "root") {
    report(`runs as user "root", which the clients refuse for ${task.driver} tasks (user.denylist). Drop user to run as nobody, or name an unprivileged user.`);
  }
}

function checkContainer(
  config: ContainerConfig,
  driver: "docker" | "podman",
  namespace: string,
  admission: NamespaceAdmission,
  declared: boolean,
  allowances: string,
  report: Report,
): void {
  // Only podman can run it: the clients' docker has allow_privileged = false.
  const privilegedAllowed = declared && admission.allowPrivileged && driver === "podman";
  if (config.privileged === true && !privilegedAllowed) {
    report(
      `sets privileged, which makes the container root on the host. Remove it; grant the single capability the program needs with capAdd instead` +
        (declared && admission.allowPrivileged ? ` (namespace "${namespace}" allows privileged podman containers only: the clients' docker refuses privileged).` : "."),
    );
  }
  for (const cap of config.capAdd ?? []) {
    if (!known(cap)) continue;
    const name = capabilityName(cap);
    if (DEFAULT_CAPABILITIES.has(name) || (declared && admission.addCapabilities.some((allowed) => capabilityName(allowed) === name))) continue;
    if (!declared && name !== "ALL") continue;
    report(
      `capAdd "${cap}" is not allowed in namespace "${namespace}" (allowed beyond the default set: ${admission.addCapabilities.join(", ") || "none"}). ` +
        `Drop it${declared ? `, or list it in the addCapabilities of ${allowances}` : ""}.`,
    );
  }
  if (declared && config.networkMode === HOST && !admission.hostNetworkMode) {
    report(
      `networkMode "host" shares the host's network namespace (every port the host listens on, the agents' APIs included), ` +
        `which namespace "${namespace}" does not allow. Publish ports through the group network instead, or set hostNetworkMode on ${allowances}.`,
    );
  }
  for (const volume of config.volumes ?? []) {
    if (known(volume) && escapesTaskDir(volume.split(":")[0])) {
      report(
        `volume "${volume}" mounts a host path. Mount only paths inside the task's directory (e.g. "local/app.conf:/etc/app.conf"), ` +
          `or use a Nomad host or CSI volume the operator defines.`,
      );
    }
  }
  checkOptions(config.extra ?? {}, "extra", report);
}

/** exec, raw_exec and java options (the drivers take no extra host access otherwise). */
function checkProcess(config: ConfigMap, report: Report): void {
  if (config.cap_add !== undefined) {
    report(`config.cap_add adds capabilities, and the clients grant exec tasks none (exec allow_caps = []). Remove it.`);
  }
  checkOptions(config, "config", report);
}

function checkOptions(options: ConfigMap, field: string, report: Report): void {
  for (const [key, value] of Object.entries(options)) {
    if (key in FORBIDDEN_OPTIONS) {
      report(`${field}.${key} ${FORBIDDEN_OPTIONS[key]}. Remove it: hashilab's admission policy refuses it in every namespace (docs/access.md).`);
    } else if (field === "extra" && key in TYPED_OPTIONS) {
      report(`${field}.${key} bypasses the typed field; set ${TYPED_OPTIONS[key]} instead.`);
    } else if (HOST_NAMESPACE_OPTIONS.includes(key) && value === HOST) {
      report(`${field}.${key} = "host" shares the host's namespace with the task (other tasks' processes and secrets). Remove it.`);
    } else if ((key === "mount" || key === "mounts") && !onlyTmpfs(value)) {
      report(`${field}.${key} mounts a host path or volume. Use tmpfs mounts only, or a Nomad host or CSI volume the operator defines.`);
    }
  }
}

function onlyTmpfs(value: ConfigValue): boolean {
  const mounts = Array.isArray(value) ? value : [value];
  return mounts.every((m) => typeof m === "object" && m !== null && !Array.isArray(m) && (m as ConfigMap).type === "tmpfs");
}

/** A bind source outside the task directory: absolute, home-relative, or climbing out with "..". */
function escapesTaskDir(source: string): boolean {
  return source.startsWith("/") || source.startsWith("~") || source.split("/").includes("..");
}
