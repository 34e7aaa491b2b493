import { Construct } from "constructs";
import { CheckRestart, ConfigMap, Constraint, Duration, Job, NomadJob, Port, Restart, Service, Task, TaskBase, TaskGroup, Template, Update } from "./nomad-job";
import type { TaskDriver } from "./cluster-facts";
import { nameFromId, throwIfProblems } from "./core";
import type { AttachPolicyOptions, GrantReadJobsOptions, NomadAclPolicy } from "./acl";
import type { NomadPolicyRules } from "../policies";
import type { ExposeOptions, Ingress } from "./ingress";
import type { PublicHostname } from "./public-hostname";
import { AppVolumeProps, AppVolumes } from "./volumes";

/** A port of the service's group network (the label is its key in `ports`). */
export type NomadServicePort = Omit<Port, "label">;

/** The service's health check (Nomad runs it when the provider is "nomad"). */
export interface NomadServiceHealthCheck {
  /** @default "http" */
  readonly type?: "http" | "tcp";
  /** HTTP path. @default "/" */
  readonly path?: string;
  /** @default "10s" */
  readonly interval?: Duration;
  /** @default "2s" */
  readonly timeout?: Duration;
  /** @default "<serviceName>_<type>" */
  readonly name?: string;
  /** Restart the task after failed checks. @default none (the check only marks the service unhealthy) */
  readonly checkRestart?: CheckRestart;
}

/** An environment variable whose value is read from a Nomad variable at runtime. */
export interface NomadVariableSecret {
  /** The item's key in the variable. */
  readonly key: string;
  /** The variable's path; the job's own path is readable without extra policy. @default "nomad/jobs/<jobName>" */
  readonly path?: string;
}

export interface NomadServiceProps {
  /** Container image, e.g. "corentinth/it-tools:latest" (a cdktf token is fine); docker and podman need one. @default none */
  readonly image?: string;
  /**
   * The task driver: docker, podman, exec, raw_exec, java, or a plugin's name
   * (the clients must enable it).
   * @default "docker"
   */
  readonly driver?: TaskDriver;
  /**
   * Driver options in the driver's own names. docker/podman: options beyond the typed ones,
   * e.g. `{ logging: { type: "journald" } }`; other drivers: the whole config, e.g.
   * `{ command: "local/app", args: ["--port", "${NOMAD_PORT_http}"] }`.
   * @default none
   */
  readonly config?: ConfigMap;
  /** The job id. @default the construct id in kebab case ("ItTools" → "it-tools") */
  readonly jobName?: string;
  /** @default jobName */
  readonly groupName?: string;
  /** @default jobName */
  readonly taskName?: string;
  /** The registered service name. @default jobName */
  readonly serviceName?: string;
  /** @default "default" */
  readonly namespace?: string;
  /** @default Nomad's default (every datacenter) */
  readonly datacenters?: readonly string[];
  /** @default 1 */
  readonly count?: number;
  /** Ports by label. @default { http: { to: 80 } } for docker/podman; { http: {} } (a dynamic port the app reads from NOMAD_PORT_http) otherwise */
  readonly ports?: Readonly<Record<string, NomadServicePort>>;
  /** The port label the service registers. @default the first port */
  readonly servicePort?: string;
  /** @default "nomad" (built-in service discovery, no Consul needed: works on every environment) */
  readonly serviceProvider?: "nomad" | "consul";
  /** Tags of the registered service; `addTags` adds more later. @default none */
  readonly tags?: readonly string[];
  /** `false` registers the service without a check. @default an HTTP GET of "/" every 10s, 2s timeout */
  readonly healthCheck?: NomadServiceHealthCheck | false;
  /**
   * The group's network mode. raw_exec tasks do not enter a network namespace, so they get
   * the host's.
   * @default "host" for raw_exec, "bridge" otherwise
   */
  readonly networkMode?: "bridge" | "host";
  /** The container's command. @default the image's entrypoint */
  readonly command?: string;
  /** Arguments to the command. @default the image's arguments */
  readonly args?: readonly string[];
  /** "host:container" bind mounts (host paths relative to the task dir). @default none */
  readonly volumes?: readonly string[];
  /** @default Nomad's: 100 (no resources block unless a resource is set) */
  readonly cpuMhz?: number;
  /** @default Nomad's: 300 */
  readonly memoryMb?: number;
  /** Memory oversubscription limit (>= memoryMb). @default none */
  readonly memoryMaxMb?: number;
  /** Plain environment variables (not secrets: they are in the jobspec). @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Environment variables read from Nomad variables at runtime: never in Terraform state or the jobspec. @default none */
  readonly secrets?: Readonly<Record<string, NomadVariableSecret>>;
  /** Extra `template` blocks of the task. @default none */
  readonly templates?: readonly Template[];
  /** Placement constraints of the group. @default none */
  readonly constraints?: readonly Constraint[];
  /** Fields set here override the defaults one by one; `false` leaves the block out (Nomad's own defaults). @default SERVICE_UPDATE_DEFAULTS */
  readonly update?: Update | false;
  /** Fields set here override the defaults one by one; `false` leaves the block out (Nomad's own defaults). @default SERVICE_RESTART_DEFAULTS */
  readonly restart?: Restart | false;
  /** Job fields beyond the ones above (the full model), set over what the service builds. @default none */
  readonly job?: Partial<Omit<Job, "name" | "groups">>;
  /** Group fields beyond the ones above, set over what the service builds (e.g. `volumes`, `scaling`). @default none */
  readonly group?: Partial<Omit<TaskGroup, "name" | "tasks">>;
  /** Task fields beyond the ones above, set over what the service builds (e.g. `vault`, `identities`). @default none */
  readonly task?: Partial<Omit<TaskBase, "name">>;
  /**
   * Persistent volumes by name, e.g. `{ data: { sizeGiB: 10, mountPath: "/data" } }`, provided
   * the way the environment's cluster provides them (docs/storage.md). Child "Volumes".
   * @default none
   */
  readonly persistentVolumes?: Readonly<Record<string, AppVolumeProps>>;
}

/** A cautious rolling update: one allocation at a time, reverted when it does not get healthy. */
export const SERVICE_UPDATE_DEFAULTS: Update = {
  maxParallel: 1,
  minHealthyTime: "10s",
  healthyDeadline: "3m",
  autoRevert: true,
  canary: 0,
};
/** Restart a failing task in place: 10 attempts in 5 minutes, 25s apart, then wait (never give up). */
export const SERVICE_RESTART_DEFAULTS: Restart = { attempts: 10, interval: "5m", delay: "25s", mode: "delay" };

/** Every prop, so the compiler keeps this list whole when a prop is added. */
const PROP_NAMES: Record<keyof NomadServiceProps, true> = {
  image: true, driver: true, config: true, jobName: true, groupName: true, taskName: true, serviceName: true,
  namespace: true, datacenters: true, count: true, ports: true, servicePort: true, serviceProvider: true, tags: true,
  healthCheck: true, networkMode: true, command: true, args: true, volumes: true, cpuMhz: true, memoryMb: true,
  memoryMaxMb: true, env: true, secrets: true, templates: true, constraints: true, update: true, restart: true,
  job: true, group: true, task: true, persistentVolumes: true,
};

const SECRETS_DESTINATION = "secrets/nomad-variables.env";
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The everyday long-running service: one group with one task (a container, or any other
 * driver), a service registered with a health check, and update/restart defaults that roll
 * safely. Its job is a `NomadJob` (child id "Job"); `job`, `group` and `task` reach every
 * field of the full model.
 */
export class NomadService extends Construct {
  public readonly job: NomadJob;
  public readonly jobId: string;
  public readonly namespace: string;
  /** The registered service name. */
  public readonly serviceName: string;
  /** The port label the service registers. */
  public readonly servicePort: string;
  /** Its persistent volumes, when it has any. */
  public readonly volumes?: AppVolumes;
  private readonly tags: string[];

  constructor(scope: Construct, id: string, props: NomadServiceProps) {
    super(scope, id);
    const jobName = props.jobName ?? nameFromId(this, id, "jobName");
    const driver = props.driver ?? "docker";
    const ports = props.ports ?? (isContainerDriver(driver) ? { http: { to: 80 } } : { http: {} });
    const labels = Object.keys(ports);
    this.serviceName = props.serviceName ?? jobName;
    this.servicePort = props.servicePort ?? labels[0];
    this.tags = [...(props.tags ?? [])];
    const problems: string[] = [];
    // JavaScript and `as any` pass props the interface does not have; a typo must not vanish.
    for (const name of Object.keys(props).filter((p) => !Object.hasOwn(PROP_NAMES, p))) {
      problems.push(`unknown prop "${name}"; NomadService takes ${Object.keys(PROP_NAMES).join(", ")} (job, group and task reach the full model)`);
    }
    if (this.servicePort === undefined) problems.push("a service needs a port; set ports, e.g. { http: { to: 8080 } }");
    for (const name of Object.keys(props.secrets ?? {}).filter((n) => !ENV_NAME.test(n))) {
      problems.push(`secret "${name}" is not an environment variable name; use letters, digits and _, e.g. "DB_PASSWORD"`);
    }
    if (isContainerDriver(driver) && props.image === undefined) problems.push(`the ${driver} driver runs an image; set image, e.g. "traefik/whoami:v1.10"`);
    if (!isContainerDriver(driver) && props.image !== undefined) {
      problems.push(`image is a docker/podman option; the ${driver} driver takes its program in config, e.g. { command: "local/app" }`);
    }
    throwIfProblems(this, "invalid NomadService", problems);
    const secretsTemplate = this.secretsTemplate(jobName, props.secrets);
    const count = props.count ?? 1;
    const update = props.update === false ? undefined : { ...SERVICE_UPDATE_DEFAULTS, ...props.update };
    this.volumes = props.persistentVolumes
      ? new AppVolumes(this, "Volumes", {
          jobName,
          namespace: props.namespace,
          volumes: props.persistentVolumes,
          // Canaries run beside the old allocations: writers too.
          instances: count + (update?.canary ?? 0),
          driver,
        })
      : undefined;
    const service: Service = {
      name: this.serviceName,
      provider: props.serviceProvider ?? "nomad",
      port: this.servicePort,
      tags: this.tags,
      checks: props.healthCheck === false ? undefined : [healthCheck(this.serviceName, props.healthCheck ?? {})],
    };
    const resources = { cpuMhz: props.cpuMhz, memoryMb: props.memoryMb, memoryMaxMb: props.memoryMaxMb };
    const taskBase = {
      name: props.taskName ?? jobName,
      env: props.env,
      templates: [...(props.templates ?? []), ...(secretsTemplate ? [secretsTemplate] : [])],
      volumeMounts: this.volumes?.volumeMounts,
      resources: Object.values(resources).some((v) => v !== undefined) ? resources : undefined,
      ...props.task,
    };
    const task: Task = isContainerDriver(driver)
      ? {
          ...taskBase,
          driver,
          config: { image: props.image!, command: props.command, args: props.args, ports: labels, volumes: props.volumes, extra: props.config },
        }
      : { ...taskBase, driver, config: props.config };
    this.job = new NomadJob(this, "Job", {
      name: jobName,
      type: "service",
      namespace: props.namespace,
      datacenters: props.datacenters,
      update,
      ...props.job,
      groups: [
        {
          name: props.groupName ?? jobName,
          count,
          constraints: props.constraints,
          volumes: this.volumes?.groupVolumes,
          network: {
            mode: props.networkMode ?? (driver === "raw_exec" ? "host" : "bridge"),
            ports: labels.map((label) => ({ label, ...ports[label] })),
          },
          restart: props.restart === false ? undefined : { ...SERVICE_RESTART_DEFAULTS, ...props.restart },
          services: [service],
          ...props.group,
          tasks: [task],
        },
      ],
    });
    this.volumes?.mustExistBefore(this.job.resource);
    this.jobId = this.job.jobId;
    this.namespace = this.job.namespace;
  }

  /** Adds tags to the registered service (e.g. Traefik router rules); included at synth. */
  public addTags(...tags: string[]): void {
    this.tags.push(...tags);
  }

  /** Lets the service's tasks read jobs and services in `namespaces`: see NomadJob.grantReadJobs. */
  public grantReadJobs(namespaces: readonly string[], options?: GrantReadJobsOptions): NomadAclPolicy {
    return this.job.grantReadJobs(namespaces, options);
  }

  /** Binds an ACL policy to the service's workload identity: see NomadJob.attachPolicy. */
  public attachPolicy(id: string, rules: NomadPolicyRules, options?: AttachPolicyOptions): NomadAclPolicy {
    return this.job.attachPolicy(id, rules, options);
  }

  /**
   * Routes `hostname` to this service through `ingress` (Traefik router tags; public names over
   * HTTPS with an ACME certificate) and, when the ingress has a public zone containing the
   * name, creates its public DNS records. See Ingress.expose for `options`.
   */
  public exposeVia(ingress: Ingress, hostname: string, options?: ExposeOptions): PublicHostname | undefined {
    return ingress.expose(this, hostname, options);
  }

  /** One env-file template that reads every secret from its Nomad variable at runtime. */
  private secretsTemplate(jobName: string, secrets: NomadServiceProps["secrets"]): Template | undefined {
    if (!secrets || Object.keys(secrets).length === 0) return undefined;
    const byPath = new Map<string, string[]>();
    for (const name of Object.keys(secrets).sort()) {
      const { key, path = `nomad/jobs/${jobName}` } = secrets[name];
      const item = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `index . ${JSON.stringify(key)}`;
      byPath.set(path, [...(byPath.get(path) ?? []), `${name}={{ ${item} }}`]);
    }
    const data = [...byPath.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, lines]) => `{{ with nomadVar ${JSON.stringify(path)} }}\n${lines.join("\n")}\n{{ end }}\n`)
      .join("");
    return { destination: SECRETS_DESTINATION, env: true, changeMode: "restart", data };
  }
}

function isContainerDriver(driver: TaskDriver): driver is "docker" | "podman" {
  return driver === "docker" || driver === "podman";
}

function healthCheck(serviceName: string, check: NomadServiceHealthCheck) {
  const type = check.type ?? "http";
  return {
    name: check.name ?? `${serviceName}_${type}`,
    type,
    path: type === "http" ? (check.path ?? "/") : undefined,
    interval: check.interval ?? "10s",
    timeout: check.timeout ?? "2s",
    checkRestart: check.checkRestart,
  };
}
