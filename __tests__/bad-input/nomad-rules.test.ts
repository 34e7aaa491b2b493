import { NomadJob, NomadJobProps, Task, TaskGroup } from "../../constructs";
import { jobStack, LAB_LIKE_FACTS, webGroup as group, webTask as web } from "../nomad-job.support";

/**
 * Class 2 of issue 13: Nomad's own validation (hashicorp/nomad v2.0.5, nomad/structs), one
 * bad input per case, each with the exact problem line; inputs Nomad accepts are accepted.
 */

function build(props: Partial<NomadJobProps>): void {
  new NomadJob(jobStack(LAB_LIKE_FACTS), "Web", { name: "web", groups: [group()], ...props } as NomadJobProps);
}

/** The problem lines of the error the job fails with. */
function problemsOf(props: Partial<NomadJobProps>): string[] {
  try {
    build(props);
  } catch (e) {
    const [head, ...lines] = (e as Error).message.split("\n  - ");
    expect(head).toBe("test/Web: invalid Nomad job:");
    return lines;
  }
  throw new Error("expected the job to be refused");
}

const withTask = (extra: Partial<Task>, groupExtra: Partial<TaskGroup> = {}) => ({ groups: [group({ tasks: [web(extra)], ...groupExtra })] });
const G = 'job "web" group "web"';
const T = `${G} task "web"`;

describe("numbers (Resources.Validate, TaskGroup.Validate, the HCL writer)", () => {
  it.each<[string, Partial<NomadJobProps>, string]>([
    ["fails on a negative CPU", withTask({ resources: { cpuMhz: -100 } }), `${T}: cpuMhz -100 is below Nomad's minimum of 1 (Resources.MeetsMinResources).`],
    ["fails on memory below 10 MB", withTask({ resources: { memoryMb: 5 } }), `${T}: memoryMb 5 is below Nomad's minimum of 10 (Resources.MeetsMinResources).`],
    ["fails on cpu and cores both", withTask({ resources: { cpuMhz: 500, cores: 2 } }), `${T}: sets both cpuMhz and cores; Nomad takes one or the other (Resources.Validate).`],
    ["fails on a negative count", { groups: [group({ count: -1 })] }, `${G}: count -1 is negative (TaskGroup.Validate). Use 0 or more.`],
    ["fails on a NaN memory (it would render as ${NaN})", withTask({ resources: { memoryMb: NaN } }), `job "web": group "web" task "web" resources.memoryMb is NaN, which is no number HCL can write. Use a finite number.`],
    ["fails on an Infinity count", { groups: [group({ count: Infinity })] }, `job "web": group "web" count is Infinity, which is no number HCL can write. Use a finite number.`],
    ["fails on a fractional count", { groups: [group({ count: 1.5 })] }, `job "web": group "web" count is 1.5; Nomad takes a whole number here.`],
    ["fails on a NaN in a driver's free-form config", withTask({ config: { image: "x", extra: { cpu_hard_limit: NaN } } as never }), `job "web": group "web" task "web" config.extra.cpu_hard_limit is NaN, which is no number HCL can write. Use a finite number.`],
    ["fails on priority 0", { priority: 0 }, `job "web": priority 0 is outside 1-100 (Nomad's job endpoint). Use a whole number from 1 to 100; 50 is the default.`],
    ["fails on priority 101", { priority: 101 }, `job "web": priority 101 is outside 1-100 (Nomad's job endpoint). Use a whole number from 1 to 100; 50 is the default.`],
    ["fails on an ephemeral disk below 10 MB", { groups: [group({ ephemeralDisk: { sizeMb: 5 } })] }, `${G}: ephemeralDisk.sizeMb 5 is below Nomad's minimum of 10.`],
    ["fails when the logs need the whole ephemeral disk", withTask({ logs: { maxFiles: 10, maxFileSizeMb: 30 } }), `${T}: logs take up to 300 MB, not less than the group's ephemeral disk of 300 MB (LogConfig.Validate). Raise ephemeralDisk.sizeMb or lower the logs.`],
    ["fails on a null field (JavaScript or JSON input)", withTask({ identities: [{ ttl: null as never }] }), `job "web": group "web" task "web" identities.ttl is null. Leave the field out for Nomad's default.`],
  ])("%s", (_, props, problem) => expect(problemsOf(props)).toContain(problem));
});

describe("ports (TaskGroup.validateNetworks)", () => {
  const ports = (...list: object[]) => ({ groups: [group({ network: { mode: "host", ports: list as never }, tasks: [web({ config: { image: "x" } })] })] });
  it.each<[string, Partial<NomadJobProps>, string]>([
    ["fails on a static port twice in a group", ports({ label: "a", static: 8080 }, { label: "b", static: 8080 }), `${G}: ports "a" and "b" both reserve static port 8080 (TaskGroup.validateNetworks: "Static port already reserved"). Use distinct ports.`],
    ["fails on static port 4646, the Nomad agent's", ports({ label: "a", static: 4646 }), `${G}: port "a" has static 4646, which the Nomad agent itself listens on on every client. Pick another port.`],
    ["fails on static port 70000", ports({ label: "a", static: 70000 }), `${G}: port "a" has static 70000, outside 1-65535. Use a port from 1 to 65535, or leave static out for a dynamic one.`],
    ["fails on a port mapped to -2", ports({ label: "a", to: -2 }), `${G}: port "a" maps to -2, outside -1-65535 (TaskGroup.validateNetworks). Use the port the task listens on.`],
    ["fails on a port label twice", ports({ label: "a" }, { label: "a" }), `${G}: declares port "a" twice. Port labels must be unique.`],
    ["fails on a hostname that is no DNS name", { groups: [group({ network: { mode: "bridge", hostname: "a..b", ports: [{ label: "http" }] } })] }, `${G}: network hostname "a..b" is not a valid DNS name (TaskGroup.validateNetworks, dns.IsDomainName). Use letters, digits, dashes and dots.`],
  ])("%s", (_, props, problem) => expect(problemsOf(props)).toContain(problem));

  it("accepts the same static port on two host networks", () => {
    expect(() => build(ports({ label: "a", static: 53, hostNetwork: "private" }, { label: "b", static: 53, hostNetwork: "public" }))).not.toThrow();
  });
});

describe("names (Job.Validate, TaskGroup.Validate, Task.Validate, Service.ValidateName, Namespace.Validate)", () => {
  it.each<[string, Partial<NomadJobProps>, string]>([
    ["fails on an empty group name", { groups: [group({ name: "" })] }, `job "web" group "": the group name must be non-empty without NUL characters (TaskGroup.Validate). Name the group, e.g. "web".`],
    ["fails on task web/api", withTask({ name: "web/api" }), `${G} task "web/api": task names cannot contain slashes (Task.Validate: the name is a directory). Use e.g. "web-api".`],
    ["fails on task alloc", withTask({ name: "alloc" }), `${G} task "alloc": a task cannot be named "alloc" (Task.Validate: the allocation directory has that name). Rename it.`],
    ["fails on service name my_service", { groups: [group({ services: [{ name: "my_service", provider: "nomad", port: "http" }] })] }, `${G}: service "my_service" is not a valid service name (Service.ValidateName): up to 63 letters, digits and dashes, not starting or ending with a dash; write "my-service".`],
    ["fails on a service name of 64 characters", { groups: [group({ services: [{ name: "a".repeat(64), provider: "nomad", port: "http" }] })] }, `${G}: service "${"a".repeat(64)}" is not a valid service name (Service.ValidateName): up to 63 letters, digits and dashes, not starting or ending with a dash.`],
    ["fails on namespace my ns", { namespace: "my ns" }, `job "web": namespace "my ns" is not a Nomad namespace name: use 1-128 letters, digits and dashes (Namespace.Validate).`],
    ["fails on a job name with a NUL character", { name: "web\0" }, `job "web\\u0000": the job name must be non-empty, without spaces or NUL characters (Nomad's Job.Validate). Use e.g. "it-tools".`],
    ["fails on an empty datacenter name", { datacenters: [""] }, `job "web": datacenters has an empty name (Job.Validate: "Job datacenter must be non-empty string"). Remove it.`],
    ["fails on an unknown job type (JavaScript input)", { type: "batchy" as never }, `job "web": type "batchy" is not a Nomad job type. Use one of service, batch, system, sysbatch (Job.Validate).`],
  ])("%s", (_, props, problem) => expect(problemsOf(props)).toContain(problem));

  it("accepts a service name with Nomad's runtime interpolation (ReplaceEnvWithPlaceHolder)", () => {
    expect(() => build({ groups: [group({ services: [{ name: "${NOMAD_JOB_NAME}-web", provider: "nomad", port: "http" }] })] })).not.toThrow();
  });

  it("accepts a job name with a tab, which Nomad's Job.Validate does not refuse", () => {
    expect(() => build({ name: "web\tjob" })).not.toThrow();
  });
});

describe("durations (time.ParseDuration and each block's Validate)", () => {
  it.each<[string, Partial<NomadJobProps>, string]>([
    ["fails on a check interval of 500ms", { groups: [group({ services: [{ name: "web", provider: "nomad", port: "http", checks: [{ type: "tcp", interval: "500ms", timeout: "1s" }] }] })] }, `${G}: service "web" check interval "500ms" is below Nomad's minimum of 1s (validateCommon). Use "1s" or more.`],
    ["fails on a check timeout of 100ms", { groups: [group({ services: [{ name: "web", provider: "nomad", port: "http", checks: [{ type: "tcp", interval: "5s", timeout: "100ms" }] }] })] }, `${G}: service "web" check timeout "100ms" is below Nomad's minimum of 1s (validateCommon). Use "1s" or more.`],
    ["fails on a negative duration -10s", withTask({ killTimeout: "-10s" }), `job "web": group "web" task "web" killTimeout "-10s" is negative; Nomad takes no negative durations. Use "10s" or "0s".`],
    ["fails on a duration in days, 30d", { groups: [group({ restart: { interval: "30d" } })] }, `job "web": group "web" restart.interval "30d" is not a duration. Write a number with a unit, e.g. "10s", "5m", "1h30m" ("720h" for 30 days: Go has no "d").`],
    ["fails on NaN written into a duration", withTask({ identities: [{ ttl: `${NaN}s` }] }), `job "web": group "web" task "web" identities.ttl "NaNs" is not a duration. Write a number with a unit, e.g. "10s", "5m", "1h30m".`],
    ["fails on a sign in the middle (1h-30m)", withTask({ killTimeout: "1h-30m" }), `job "web": group "web" task "web" killTimeout "1h-30m" is not a duration. Write a number with a unit, e.g. "10s", "5m", "1h30m".`],
    ["fails on restarts that do not fit their interval", { groups: [group({ restart: { attempts: 10, delay: "1m", interval: "5m", mode: "delay" } })] }, `${G}: restart: 10 attempts 1m apart do not fit in an interval of 5m (RestartPolicy.Validate). Lengthen interval to at least 10m, or lower attempts or delay.`],
    ["fails on a restart interval below 5s", { groups: [group({ restart: { interval: "2s", attempts: 1, delay: "1s" } })] }, `${G}: restart.interval "2s" is below Nomad's minimum of 5s (RestartPolicy.Validate).`],
    ["fails on restart mode delay with 0 attempts", { groups: [group({ restart: { attempts: 0, mode: "delay" } })] }, `${G}: restart has mode "delay" with 0 attempts, which Nomad calls ambiguous (RestartPolicy.Validate). Set attempts or mode "fail".`],
    ["fails on min_healthy_time not below healthy_deadline", { update: { minHealthyTime: "5m", healthyDeadline: "5m" } }, `${G}: update.minHealthyTime 5m must be below healthyDeadline 5m (UpdateStrategy.Validate).`],
    ["fails on healthy_deadline not below progress_deadline", { update: { healthyDeadline: "15m" } }, `${G}: update.healthyDeadline 15m must be below progressDeadline 10m (UpdateStrategy.Validate), or set progressDeadline to "0".`],
    ["fails on a kill timeout longer than the progress deadline", { update: { progressDeadline: "1m", healthyDeadline: "30s" }, ...withTask({ killTimeout: "2m" }) }, `${T}: killTimeout 2m is longer than the group's progressDeadline 1m (Task.Validate). Shorten it or lengthen progressDeadline.`],
    ["fails on a reschedule delay below 5s", { groups: [group({ reschedule: { delay: "1s" } })] }, `${G}: reschedule.delay "1s" is below Nomad's minimum of 5s.`],
    ["fails on reschedule attempts with unlimited", { groups: [group({ reschedule: { attempts: 3, unlimited: true } })] }, `${G}: reschedule sets attempts 3 and unlimited, which Nomad calls ambiguous. Set one of them.`],
  ])("%s", (_, props, problem) => expect(problemsOf(props)).toContain(problem));
});

describe("periodic (PeriodicConfig.Validate, hashicorp/cronexpr, time.LoadLocation)", () => {
  const periodic = (crons: string[], timeZone?: string): Partial<NomadJobProps> => ({ type: "batch", periodic: { crons, timeZone } });
  it.each<[string, Partial<NomadJobProps>, string]>([
    ["fails on six fields, which Nomad reads as minute to weekday plus a year", periodic(["0 0 3 * * *"]), `job "web": periodic cron "0 0 3 * * *" has 6 fields, which Nomad reads as minute hour day-of-month month day-of-week year (not seconds first): it runs at minute 0 of hour 0 on day-of-month 3. Write 5 fields (e.g. "0 3 * * *" if the first field was seconds) or, to keep this meaning, the 7-field form "0 0 0 3 * * *". A cron has 5 fields, e.g. "0 3 * * *" (03:00 daily), or is "@daily".`],
    ["fails on 30 February, which never comes", periodic(["0 0 30 2 *"]), `job "web": periodic cron "0 0 30 2 *" never runs: no chosen month has day 30 (so Nomad never launches it). Pick a day one of the chosen months has. A cron has 5 fields, e.g. "0 3 * * *" (03:00 daily), or is "@daily".`],
    ["fails on an unknown time zone", periodic(["@daily"], "Mars/Olympus_Mons"), `job "web": periodic time zone "Mars/Olympus_Mons" is not an IANA time zone the servers know (tzdata 2025b; names are case-sensitive). Use a name such as "Europe/Berlin" or "UTC".`],
    ["fails on a time zone in the wrong case, naming the right one", periodic(["@daily"], "europe/berlin"), `job "web": periodic time zone "europe/berlin" is not an IANA time zone the servers know (tzdata 2025b; names are case-sensitive). Use "Europe/Berlin".`],
    ["fails on a periodic service job", { periodic: { crons: ["@daily"] } }, `job "web": periodic needs type "batch" or "sysbatch", not "service". Set type: "batch".`],
  ])("%s", (_, props, problem) => expect(problemsOf(props)).toContain(problem));

  it.each(["Asia/Kolkata", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"])("accepts time zone %s", (zone) => {
    expect(() => build({ type: "batch", periodic: { crons: ["0 3 29 2 *"], timeZone: zone }, groups: [group({ network: undefined, tasks: [web({ config: { image: "x" } })] })] })).not.toThrow();
  });
});

describe("services and checks (TaskGroup.validateServices, Service.Validate, ServiceCheck.validateCommon/validateNomad)", () => {
  const services = (list: object[]) => ({ groups: [group({ services: list as never })] });
  it.each<[string, Partial<NomadJobProps>, string]>([
    ["fails on two unnamed group services on one port", services([{ port: "http" }, { port: "http" }]), `${G}: the group has two services named by default on port "http" (TaskGroup.validateServices: services are unique by name and port). Give one a name of its own.`],
    ["fails on an http check with a full URL", services([{ name: "web", provider: "nomad", port: "http", checks: [{ type: "http", path: "http://x/health", interval: "10s", timeout: "2s" }] }]), `${G}: service "web" check path "http://x/health" is an absolute URL; Nomad wants a path such as "/health" (validateCommon).`],
    ["fails on an HTTP method Nomad's checks do not send", services([{ name: "web", provider: "nomad", port: "http", checks: [{ type: "http", path: "/", method: "FETCH", interval: "10s", timeout: "2s" }] }]), `${G}: service "web" check method "FETCH" is not an HTTP method Nomad's checks send. Use e.g. "GET".`],
    ["fails on a check without a port when the service has none", services([{ name: "web", provider: "nomad", checks: [{ type: "tcp", interval: "10s", timeout: "2s" }] }]), `${G}: service "web" check needs a port, but neither it nor the service has one (Service.validateCheckPort). Set port.`],
    ["fails on a script check without a command", services([{ name: "web", port: "http", task: "web", checks: [{ type: "script", interval: "10s", timeout: "2s" }] }]), `${G}: service "web" check is a script check without a command. Set command.`],
    ["fails on a group service with address_mode driver", services([{ name: "web", provider: "nomad", port: "http", addressMode: "driver" }]), `${G}: service "web" is a group service with addressMode "driver", which only task services may use (TaskGroup.validateServices).`],
    ["fails on an address with address_mode host", services([{ name: "web", provider: "nomad", port: "http", address: "10.0.0.1", addressMode: "host" }]), `${G}: service "web" sets address with addressMode "host"; Nomad allows address only with "auto" (Service.Validate).`],
    ["fails on check_restart with on_update ignore", services([{ name: "web", provider: "nomad", port: "http", checks: [{ type: "tcp", interval: "10s", timeout: "2s", onUpdate: "ignore", checkRestart: { limit: 3 } }] }]), `${G}: service "web" check has onUpdate "ignore" with checkRestart, which Nomad does not combine (validateCommon). Drop one.`],
  ])("%s", (_, props, problem) => expect(problemsOf(props)).toContain(problem));

  it("fails on a task service with address_mode alloc", () => {
    expect(problemsOf(withTask({ services: [{ name: "web", port: "http", addressMode: "alloc" }] }))).toContain(
      `${T}: service "web" is a task service with addressMode "alloc", which only group services may use (validateServices).`,
    );
  });

  it("accepts two group services when only one is unnamed", () => {
    expect(() => build(services([{ provider: "nomad", port: "http" }, { name: "metrics", provider: "nomad", port: "http" }]))).not.toThrow();
  });
});

describe("templates (Template.Validate, Task.Validate)", () => {
  const templates = (list: object[]) => withTask({ templates: list as never });
  it.each<[string, Partial<NomadJobProps>, string]>([
    ["fails on a destination that climbs out of the allocation", templates([{ destination: "../../../etc/passwd", data: "x" }]), `${T}: template destination "../../../etc/passwd" climbs out of the allocation directory (Template.Validate). Write under local/, secrets/ or alloc/ (e.g. "local/passwd").`],
    ["fails on two templates with one destination", templates([{ destination: "local/a", data: "x" }, { destination: "local/a", data: "y" }]), `${T}: has two templates writing "local/a" (Task.Validate). Give each its own destination.`],
    ["fails on perms that are not octal", templates([{ destination: "local/a", data: "x", perms: "0999" }]), `${T}: template "local/a" perms "0999" is not an octal mode up to 7777 (Template.Validate), e.g. "0644".`],
    ["fails on change_mode signal without a signal", templates([{ destination: "local/a", data: "x", changeMode: "signal" }]), `${T}: template "local/a" has changeMode "signal" without changeSignal. Set e.g. "SIGHUP".`],
    ["fails on a signal for an env template", templates([{ destination: "local/a", data: "x", changeMode: "signal", changeSignal: "SIGHUP", env: true }]), `${T}: template "local/a" is read as environment variables, which a signal cannot reload (Template.Validate). Use changeMode "restart".`],
    ["fails on a template with both data and source (consul-template refuses it on the client)", templates([{ destination: "local/a", data: "x", source: "local/b" }]), `${T}: template "local/a" needs exactly one of data or source (with both, consul-template on the client refuses it).`],
    ["fails on wait min above max", templates([{ destination: "local/a", data: "x", wait: { min: "10s", max: "5s" } }]), `${T}: template "local/a" wait.min "10s" is above wait.max "5s" (WaitConfig.Validate).`],
  ])("%s", (_, props, problem) => expect(problemsOf(props)).toContain(problem));

  it.each(["output.txt", "usr/local/bin/x.sh", "ceph-csi-config/config.json", "/etc/ceph/ceph.conf", "local/../../alloc/x"])(
    "accepts destination %s, which stays in the allocation directory (Nomad's e2e and demo jobs use such)",
    (destination) => expect(() => build(templates([{ destination, data: "x" }]))).not.toThrow(),
  );
});

describe("job types and placement (Job.Validate, TaskGroup.Validate, Constraint/Affinity/Spread.Validate)", () => {
  const system = (extra: Partial<TaskGroup>): Partial<NomadJobProps> => ({ type: "system", groups: [group(extra)] });
  it.each<[string, Partial<NomadJobProps>, string]>([
    ["fails on a system job with count 2", system({ count: 2 }), `${G}: count 2: a system job runs one allocation per node, so its count may be at most 1. Remove count.`],
    ["fails on a system job with an affinity", system({ affinities: [{ attribute: "${node.class}", value: "a" }] }), `${G}: the group has affinities, which system jobs may not have (Nomad places them on every node). Remove them.`],
    ["fails on a system job with a reschedule block", system({ reschedule: { attempts: 1 } }), `${G}: has a reschedule block, which system jobs do not allow. Remove it.`],
    ["fails on an update block in a batch job", { type: "batch", groups: [group({ update: { maxParallel: 2 } })] }, `${G}: has an update block, which batch jobs do not allow. Remove it.`],
    ["fails on a migrate block in a batch job", { type: "batch", groups: [group({ migrate: { maxParallel: 2 } })] }, `${G}: has a migrate block, which batch jobs do not allow. Remove it.`],
    ["fails on auto_promote without canaries", { update: { autoPromote: true } }, `${G}: update.autoPromote needs canaries (UpdateStrategy.Validate). Set canary, or drop autoPromote.`],
    ["fails on an unknown constraint operator", { constraints: [{ attribute: "${attr.kernel.name}", operator: "~=", value: "linux" }] }, `job "web": constraint 1 has operator "~=", which Nomad does not know. Use one of =, ==, is, !=, not, <, <=, >, >=, set_contains, set_contains_all, set_contains_any, regexp, version, semver, distinct_hosts, distinct_property, is_set, is_not_set.`],
    ["fails on a constraint without an attribute", { constraints: [{ value: "linux" }] }, `job "web": constraint 1 (operator "=") has no attribute. Set attribute, e.g. "\${attr.kernel.name}".`],
    ["fails on a comparison without a value", { constraints: [{ attribute: "${attr.kernel.name}" }] }, `job "web": constraint 1 (operator "=") has no value. Set value.`],
    ["fails on is_set with a value", { constraints: [{ attribute: "${meta.rack}", operator: "is_set", value: "x" }] }, `job "web": constraint 1: operator "is_set" takes no value. Remove value.`],
    ["fails on distinct_hosts at task level", withTask({ constraints: [{ operator: "distinct_hosts" }] }), `${T}: constraint 1 uses distinct_hosts, which Nomad allows on the job or group only. Move it to the group.`],
    ["fails on an affinity weight of 0", { affinities: [{ attribute: "${node.class}", value: "a", weight: 0 }] }, `job "web": affinity on "\${node.class}" has weight 0; Nomad takes -100 to 100 without 0 (leave it out for 50).`],
    ["fails on a spread weight of 150", { spreads: [{ attribute: "${node.datacenter}", weight: 150 }] }, `job "web": spread on "\${node.datacenter}" has weight 150; Nomad takes 1 to 100 (leave it out for 50).`],
    ["fails on spread targets above 100%", { spreads: [{ attribute: "${node.datacenter}", targets: [{ value: "a", percent: 60 }, { value: "b", percent: 60 }] }] }, `job "web": spread on "\${node.datacenter}" targets add up to 120%; Nomad allows at most 100%.`],
    ["fails on two leader tasks", { groups: [group({ tasks: [web({ leader: true }), web({ name: "b", leader: true, config: { image: "x" } })] })] }, `${G}: marks tasks "web", "b" as leader; only one task may be the leader (TaskGroup.Validate).`],
    ["fails on a meta key both required and optional", { type: "batch", parameterized: { metaRequired: ["a"], metaOptional: ["a"] } }, `job "web": parameterized meta "a" is both required and optional (ParameterizedJobConfig.Validate). Keep it in one list.`],
    ["fails on a count above the scaling maximum", { groups: [group({ count: 5, scaling: { max: 3 } })] }, `${G}: count 5 is above scaling.max 3 (TaskGroup.validateScalingPolicy). Raise max or lower count.`],
    ["fails on a scaling maximum below its minimum", { groups: [group({ scaling: { min: 4, max: 2 } })] }, `${G}: scaling.max 2 is below min 4 (ScalingPolicy.Validate).`],
    ["fails on an artifact without a source", withTask({ artifacts: [{ source: "" }] }), `${T}: an artifact has no source. Set source, e.g. "https://example.com/app.tar.gz".`],
    ["fails on an artifact destination out of the allocation", withTask({ artifacts: [{ source: "https://example.com/a.tgz", destination: "../../../opt" }] }), `${T}: artifact destination "../../../opt" climbs out of the allocation directory (TaskArtifact.Validate). Use e.g. "local/".`],
    ["fails on a mount of a volume the group does not declare", withTask({ volumeMounts: [{ volume: "data", destination: "/data" }] }), `${G}: task "web" mounts volume "data", which the group does not declare. Add a volume of that name.`],
  ])("%s", (_, props, problem) => expect(problemsOf(props)).toContain(problem));
});

describe("text Terraform and HCL change on the way (NFC, UTF-16)", () => {
  it("fails on text not in Unicode NFC", () => {
    expect(problemsOf(withTask({ env: { GREETING: "Gru\u0308\u00dfe" } }))).toContain(
      `job "web": group "web" task "web" env.GREETING is not in Unicode NFC; Terraform and HCL normalize text to NFC, so it would arrive as other bytes. Use the text's .normalize("NFC").`,
    );
  });

  it("fails on a lone UTF-16 surrogate", () => {
    expect(problemsOf({ meta: { note: "a\ud800" } })).toContain(`job "web": meta.note has a lone UTF-16 surrogate, which has no UTF-8 form. Fix the text.`);
  });
});
