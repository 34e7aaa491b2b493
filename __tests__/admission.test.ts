import { ConfigMap, ContainerConfig, NomadJob, Task, TaskGroup } from "../constructs";
import { ClusterFacts } from "../constructs/cluster-facts";
import { environmentFacts, lab } from "../environments";
import { jobStack } from "./nomad-job.support";

/** The lab's facts: namespaces with their drivers, capabilities and host-network allowances. */
const LAB = environmentFacts(lab);

const container = (config: Partial<ContainerConfig> = {}, driver: "docker" | "podman" = "docker"): Task =>
  ({ name: "app", driver, config: { image: "docker.io/library/nginx:1.27", ...config } }) as Task;
const exec = (config: ConfigMap): Task => ({ name: "app", driver: "exec", config: { command: "/bin/true", ...config } });

/** The synth error of a one-task job in `namespace`, or "" when it is admitted. */
function admissionError(task: Task, namespace = "default", facts: ClusterFacts | null = LAB, network?: TaskGroup["network"]): string {
  try {
    new NomadJob(jobStack(facts ?? undefined), "App", { name: "app", namespace, groups: [{ name: "app", network, tasks: [task] }] });
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

describe("the admission policy (what a job may ask of its host)", () => {
  it("admits ordinary containers and exec tasks, default capabilities and paths inside the task dir", () => {
    expect(admissionError(container({ capAdd: ["CHOWN", "cap_net_bind_service"], volumes: ["local/nginx.conf:/etc/nginx/nginx.conf"] }))).toBe("");
    expect(admissionError(container({ extra: { mount: [{ type: "tmpfs", target: "/tmp" }], pid_mode: "private", sysctl: { "net.core.somaxconn": "1024" } } }))).toBe("");
    expect(admissionError(exec({ args: ["-c", "echo"] }), "ops")).toBe("");
  });

  it("admits what a namespace allows: podman with keepalived's capabilities on the host network in dns", () => {
    const keepalived = container({ networkMode: "host", capAdd: ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"] }, "podman");
    expect(admissionError(keepalived, "dns")).toBe("");
  });

  it("fails on a privileged container, in every namespace, with the construct path and the fix", () => {
    const message = admissionError(container({ privileged: true }), "dns");
    expect(message).toContain("test/App: invalid Nomad job");
    expect(message).toContain('task "app": sets privileged, which makes the container root on the host. Remove it');
  });

  it("fails on a driver the namespace does not allow: podman (no allow_privileged, host volumes by default) outside dns", () => {
    expect(admissionError(container({}, "podman"), "dev")).toContain(
      'uses the podman driver, which namespace "dev" does not allow (allowed: docker, exec). Use one of those, or add "podman" to the taskDrivers of namespace "dev" in the environment\'s namespaces',
    );
    expect(admissionError(exec({}), "ingress")).toContain('uses the exec driver, which namespace "ingress" does not allow (allowed: docker)');
  });

  it("fails on host paths in volumes: absolute, home-relative or climbing out of the task dir", () => {
    for (const volume of ["/:/host", "/var/lib/nomad:/data", "~/x:/x", "local/../../../etc:/etc", "../alloc/../..:/up"]) {
      expect(admissionError(container({ volumes: [volume] }))).toContain(`volume "${volume}" mounts a host path.`);
    }
  });

  it("fails on docker devices (a raw disk holds every ACL secret), even in namespaces that allow more", () => {
    const devices = [{ host_path: "/dev/sda", container_path: "/dev/sda", cgroup_permissions: "rwm" }];
    expect(admissionError(container({ extra: { devices } }), "dns")).toContain("extra.devices maps host devices into the container");
    expect(admissionError(container({ extra: { devices: ["/dev/sda:/dev/sda"] } }, "podman"), "dns")).toContain("extra.devices");
  });

  it("fails on host PID, IPC, UTS, user and cgroup namespaces, for containers and exec tasks", () => {
    for (const key of ["pid_mode", "ipc_mode", "uts_mode", "userns_mode", "cgroupns"]) {
      expect(admissionError(container({ extra: { [key]: "host" } }))).toContain(`extra.${key} = "host" shares the host's namespace`);
    }
    expect(admissionError(exec({ pid_mode: "host" }), "ops")).toContain('config.pid_mode = "host" shares the host\'s namespace');
    expect(admissionError(exec({ ipc_mode: "host" }), "ops")).toContain('config.ipc_mode = "host"');
  });

  it("fails on capabilities beyond the default set that the namespace does not list, and on exec cap_add", () => {
    expect(admissionError(container({ capAdd: ["SYS_ADMIN"] }))).toContain(
      'capAdd "SYS_ADMIN" is not allowed in namespace "default" (allowed beyond the default set: none). Drop it, or list it in the addCapabilities of namespace "default" in the environment\'s namespaces',
    );
    expect(admissionError(container({ capAdd: ["NET_ADMIN"] }), "dev")).toContain('capAdd "NET_ADMIN" is not allowed in namespace "dev"');
    expect(admissionError(exec({ cap_add: ["NET_RAW"] }), "ops")).toContain("the clients grant exec tasks none (exec allow_caps = [])");
  });

  it("fails on an exec task running as root, which the clients' user denylist refuses at placement", () => {
    expect(admissionError({ ...exec({}), user: "root" }, "ops")).toContain('runs as user "root", which the clients refuse for exec tasks');
    expect(admissionError({ ...exec({}), user: "nobody" }, "ops")).toBe("");
  });

  it("fails on an exec task in the host's network namespace (a group without a bridge network) outside namespaces that allow it", () => {
    const inGroup = (task: Task, network?: TaskGroup["network"]) => admissionError(task, "default", LAB, network);
    expect(inGroup(exec({}))).toContain(`runs in the host's network namespace (its group's network mode is "host")`);
    expect(inGroup(exec({}), { mode: "host" })).toContain("which namespace \"default\" does not allow");
    expect(inGroup(exec({}), { mode: "bridge" })).toBe("");
    expect(inGroup(exec({}), { mode: "none" })).toBe("");
    // ops lets its snapshot job reach the agents on 127.0.0.1.
    expect(admissionError(exec({}), "ops")).toBe("");
  });

  it("fails on the host network mode outside namespaces that allow it", () => {
    expect(admissionError(container({ networkMode: "host" }), "public")).toContain(
      'networkMode "host" shares the host\'s network namespace (every port the host listens on, the agents\' APIs included), which namespace "public" does not allow',
    );
  });

  it("fails on confinement switches and host mounts in driver options", () => {
    expect(admissionError(container({ extra: { security_opt: ["seccomp=unconfined"] } }))).toContain("extra.security_opt can turn off seccomp");
    expect(admissionError(container({ extra: { runtime: "runc-unsafe" } }))).toContain("extra.runtime");
    expect(admissionError(container({ extra: { volume_driver: "local-persist" } }))).toContain("extra.volume_driver");
    expect(admissionError(container({ extra: { apparmor_profile: "unconfined" } }, "podman"), "dns")).toContain("extra.apparmor_profile");
    expect(admissionError(container({ extra: { mount: [{ type: "bind", source: "/", target: "/host" }] } }))).toContain(
      "extra.mount mounts a host path or volume",
    );
  });

  it("fails on typed options smuggled through extra, which would bypass their checks", () => {
    expect(admissionError(container({ extra: { privileged: true } }))).toContain("extra.privileged bypasses the typed field; set privileged instead");
    expect(admissionError(container({ extra: { volumes: ["/:/host"] } }))).toContain("extra.volumes bypasses the typed field; set volumes instead");
    expect(admissionError(container({ extra: { cap_add: ["SYS_ADMIN"] } }))).toContain("extra.cap_add bypasses the typed field; set capAdd instead");
  });

  it("reports every problem of a job at once", () => {
    const message = admissionError(container({ privileged: true, volumes: ["/:/host"], extra: { devices: ["/dev/sda"], pid_mode: "host" } }, "podman"), "dev");
    for (const part of ["podman driver", "privileged", "mounts a host path", "extra.devices", "extra.pid_mode"]) expect(message).toContain(part);
  });

  it("without declared facts still refuses what no namespace may do, and leaves namespace allowances to the cluster", () => {
    const noFacts = null;
    expect(admissionError(container({ privileged: true }), "default", noFacts)).toContain("sets privileged");
    expect(admissionError(container({ capAdd: ["ALL"] }), "default", noFacts)).toContain('capAdd "ALL" is not allowed');
    expect(admissionError(container({ networkMode: "host", capAdd: ["NET_ADMIN"] }, "podman"), "default", noFacts)).toBe("");
  });
});
