import { NomadService } from "../constructs";
import { jobStack, LAB_LIKE_FACTS, parseJob, synthJobStack } from "./nomad-job.support";
import { resourcesOf } from "./support/synth";

async function jobOf(build: (scope: import("constructs").Construct) => void): Promise<any> {
  const [resource] = Object.values(resourcesOf(synthJobStack(build, LAB_LIKE_FACTS), "nomad_job"));
  const parsed = await parseJob(resource.jobspec);
  const [name] = Object.keys(parsed);
  return parsed[name][0];
}

describe("NomadService", () => {
  it("needs only an image: one bridge-networked container, a Nomad service with an HTTP check, safe roll-outs, Nomad's default resources", async () => {
    const job = await jobOf((scope) => new NomadService(scope, "Whoami", { image: "traefik/whoami:v1.10" }));
    expect(job.type).toBe("service");
    expect(job.update).toEqual([{ max_parallel: 1, min_healthy_time: "10s", healthy_deadline: "3m", auto_revert: true, canary: 0 }]);
    const group = job.group.whoami[0];
    expect(group.count).toBe(1);
    expect(group.network).toEqual([{ mode: "bridge", port: { http: [{ to: 80 }] } }]);
    expect(group.restart).toEqual([{ attempts: 10, interval: "5m", delay: "25s", mode: "delay" }]);
    expect(group.service).toEqual([
      {
        name: "whoami",
        provider: "nomad",
        port: "http",
        check: [{ name: "whoami_http", type: "http", path: "/", interval: "10s", timeout: "2s" }],
      },
    ]);
    expect(group.task.whoami[0]).toEqual({
      driver: "docker",
      config: [{ image: "traefik/whoami:v1.10", ports: ["http"] }],
    });
  });

  it("grants its job read access to other namespaces through a policy bound to the job", () => {
    const stack = synthJobStack((scope) => {
      const service = new NomadService(scope, "Homepage", { image: "ghcr.io/gethomepage/homepage:v1.0.0" });
      service.grantReadJobs(["default", "dns"], { policyName: "homepage-read-jobs" });
    }, LAB_LIKE_FACTS);
    const [policy] = Object.values<any>(resourcesOf(stack, "nomad_acl_policy"));
    expect(policy.name).toBe("homepage-read-jobs");
    expect(policy.job_acl).toEqual({ namespace: "default", job_id: "homepage" });
  });

  it("derives the job name from the construct id", () => {
    const service = new NomadService(jobStack(), "ItTools", { image: "corentinth/it-tools:latest" });
    expect([service.jobId, service.serviceName, service.servicePort]).toEqual(["it-tools", "it-tools", "http"]);
  });

  it("reads secrets from Nomad variables at runtime, so no value is in the jobspec or state", async () => {
    const job = await jobOf(
      (scope) =>
        new NomadService(scope, "Shynet", {
          image: "milesmcc/shynet:latest",
          ports: { http: { to: 8080 } },
          secrets: {
            DJANGO_SECRET_KEY: { key: "django_secret_key" },
            DB_PASSWORD: { key: "db-password", path: "nomad/jobs/postgres" },
          },
        }),
    );
    expect(job.group.shynet[0].task.shynet[0].template).toEqual([
      {
        destination: "secrets/nomad-variables.env",
        env: true,
        change_mode: "restart",
        data: [
          '{{ with nomadVar "nomad/jobs/postgres" }}',
          'DB_PASSWORD={{ index . "db-password" }}',
          "{{ end }}",
          '{{ with nomadVar "nomad/jobs/shynet" }}',
          "DJANGO_SECRET_KEY={{ .django_secret_key }}",
          "{{ end }}",
          "",
        ].join("\n"),
      },
    ]);
  });

  it("overrides the update and restart defaults field by field", async () => {
    const job = await jobOf(
      (scope) => new NomadService(scope, "Web", { image: "nginx:1.27", update: { canary: 1, autoPromote: true }, restart: { mode: "fail" } }),
    );
    expect(job.update[0]).toMatchObject({ max_parallel: 1, auto_revert: true, canary: 1, auto_promote: true });
    expect(job.group.web[0].restart[0]).toEqual({ attempts: 10, interval: "5m", delay: "25s", mode: "fail" });
  });

  it("registers tags added later, e.g. by an ingress", async () => {
    const job = await jobOf((scope) => {
      const service = new NomadService(scope, "Whoami", { image: "traefik/whoami:v1.10", tags: ["app"] });
      service.addTags("traefik.enable=true");
    });
    expect(job.group.whoami[0].service[0].tags).toEqual(["app", "traefik.enable=true"]);
  });

  it("registers a TCP check or none at all", async () => {
    const tcp = await jobOf(
      (scope) => new NomadService(scope, "Redis", { image: "redis:7", ports: { db: { to: 6379 } }, healthCheck: { type: "tcp" } }),
    );
    expect(tcp.group.redis[0].service[0].check).toEqual([{ name: "redis_tcp", type: "tcp", interval: "10s", timeout: "2s" }]);
    const none = await jobOf((scope) => new NomadService(scope, "Redis", { image: "redis:7", healthCheck: false }));
    expect(none.group.redis[0].service[0].check).toBeUndefined();
  });

  it("fails when a secret is not an environment variable name", () => {
    expect(() => new NomadService(jobStack(), "App", { image: "x", secrets: { "db-password": { key: "db" } } })).toThrow(
      'test/App: invalid NomadService:\n  - secret "db-password" is not an environment variable name',
    );
  });

  it("fails when it has no port to register", () => {
    expect(() => new NomadService(jobStack(), "App", { image: "x", ports: {} })).toThrow("test/App: invalid NomadService:\n  - a service needs a port");
  });

  it("fails naming every problem at once: no port and two bad secret names", () => {
    const make = () => new NomadService(jobStack(), "App", { image: "x", ports: {}, secrets: { "a-b": { key: "a" }, "c.d": { key: "c" } } });
    expect(make).toThrow(
      'test/App: invalid NomadService:\n  - a service needs a port; set ports, e.g. { http: { to: 8080 } }\n' +
        '  - secret "a-b" is not an environment variable name; use letters, digits and _, e.g. "DB_PASSWORD"\n' +
        '  - secret "c.d" is not an environment variable name; use letters, digits and _, e.g. "DB_PASSWORD"',
    );
  });

  it("fails with its job's rules, naming the job's path", () => {
    expect(() => new NomadService(jobStack(LAB_LIKE_FACTS), "App", { image: "x", namespace: "prod" })).toThrow(
      /test\/App\/Job: invalid Nomad job:[\s\S]*namespace "prod" is not declared/,
    );
  });

  it("runs any driver: an exec program on a dynamic port it reads from the environment", async () => {
    const service = new NomadService(jobStack(), "Api", {
      driver: "exec",
      config: { command: "local/api", args: ["--listen", ":${NOMAD_PORT_http}"] },
      healthCheck: { type: "tcp" },
    });
    const [group] = service.job.spec.groups;
    expect(group.network).toEqual({ mode: "bridge", ports: [{ label: "http" }] });
    expect(group.tasks[0]).toMatchObject({ driver: "exec", config: { command: "local/api", args: ["--listen", ":${NOMAD_PORT_http}"] } });
    expect(group.tasks[0].resources).toBeUndefined();
  });

  it("gives raw_exec and plugin drivers what they need: the host network for raw_exec, the config as written", () => {
    const rawExec = new NomadService(jobStack(), "Tool", { driver: "raw_exec", config: { command: "/usr/bin/tool" }, healthCheck: false });
    expect(rawExec.job.spec.groups[0].network?.mode).toBe("host");
    const plugin = new NomadService(jobStack(), "Vm", { driver: "qemu", config: { image_path: "local/vm.img" }, healthCheck: false });
    expect(plugin.job.spec.groups[0].tasks[0]).toMatchObject({ driver: "qemu", config: { image_path: "local/vm.img" } });
  });

  it("leaves update and restart out when they are false, so Nomad's own defaults apply", async () => {
    const job = await jobOf((scope) => new NomadService(scope, "Plain", { image: "nginx:1.27", update: false, restart: false }));
    expect(job.update).toBeUndefined();
    expect(job.group.plain[0].restart).toBeUndefined();
  });

  it("reaches the full job model through job, group and task", async () => {
    const job = await jobOf(
      (scope) =>
        new NomadService(scope, "Vaulted", {
          image: "nginx:1.27",
          job: { priority: 70 },
          group: { ephemeralDisk: { sizeMb: 500 } },
          task: { vault: { role: "web" }, killTimeout: "30s" },
        }),
    );
    expect(job.priority).toBe(70);
    expect(job.group.vaulted[0].ephemeral_disk).toEqual([{ size: 500 }]);
    expect(job.group.vaulted[0].task.vaulted[0]).toMatchObject({ kill_timeout: "30s", vault: [{ role: "web" }] });
  });

  it("fails for a container driver without an image, and for an image on another driver", () => {
    expect(() => new NomadService(jobStack(), "NoImage", {})).toThrow(/the docker driver runs an image; set image/);
    expect(() => new NomadService(jobStack(), "ExecImage", { driver: "exec", image: "nginx" })).toThrow(/image is a docker\/podman option/);
  });

  it("fails for a prop it does not have (a typo from JavaScript), listing the props it takes", () => {
    expect(() => new NomadService(jobStack(), "Typo", { image: "nginx", imageTag: "1.27" } as any)).toThrow(/unknown prop "imageTag"; NomadService takes image, driver, config/);
  });
});
