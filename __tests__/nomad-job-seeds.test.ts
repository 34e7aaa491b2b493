import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Job, renderJobHcl } from "../constructs";
import { NomadJob } from "../constructs/nomad-job/nomad-job";
import { evaluateJobspecs, LAB_LIKE_FACTS, parseJob, synthJobStack } from "./nomad-job.support";
import { requireTool } from "./support/tools";

/**
 * The job shapes of the seeds, written with the typed model only (no raw HCL), compared with
 * the seeds' own HCL parsed the same way.
 */

/**
 * Seed 000's CoreDNS + keepalived job (podman, sidecar, identity, two services, heredoc
 * templates). The templates' text is the seed's own, taken from the golden file.
 */
const corednsJob = (keepalivedEnv: string, corefile: string): Job => ({
  name: "coredns",
  namespace: "dns",
  datacenters: ["lab01"],
  type: "service",
  groups: [
    {
      name: "dns",
      count: 3,
      constraints: [{ operator: "distinct_hosts", value: "true" }],
      network: { mode: "host", ports: [{ label: "dns", static: 53 }, { label: "metrics", static: 9153 }] },
      update: { maxParallel: 1, minHealthyTime: "60s", autoRevert: true, autoPromote: true, canary: 3 },
      tasks: [
        {
          name: "keepalived-dns",
          driver: "podman",
          lifecycle: { hook: "prestart", sidecar: true },
          config: {
            image: "docker.io/osixia/keepalived:2.0.20",
            networkMode: "host",
            forcePull: false,
            volumes: ["local/:/container/environment/01-custom"],
            capAdd: ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"],
          },
          templates: [
            {
              destination: "local/env.yaml",
              changeMode: "restart",
              splay: "1m",
              data: keepalivedEnv,
            },
          ],
          resources: { cpuMhz: 100, memoryMb: 32 },
        },
        {
          name: "coredns",
          driver: "podman",
          config: {
            image: "docker.io/coredns/coredns:1.13.2",
            networkMode: "host",
            forcePull: false,
            ports: ["dns", "metrics"],
            args: ["-conf", "/local/coredns/corefile"],
          },
          identities: [{ env: true, changeMode: "signal", changeSignal: "SIGHUP" }],
          services: [
            { port: "dns", name: "coredns", tags: ["coredns"], checks: [{ type: "tcp", interval: "10s", timeout: "2s" }] },
            { port: "metrics", name: "coredns", tags: ["metrics", "coredns"] },
          ],
          templates: [
            {
              data: corefile,
              destination: "local/coredns/corefile",
              env: false,
              changeMode: "signal",
              changeSignal: "SIGHUP",
              leftDelimiter: "{{",
              rightDelimiter: "}}",
            },
          ],
          resources: { cpuMhz: 100, memoryMb: 128 },
        },
      ],
    },
  ],
});

/** The seed quotes static ports ("53"); Nomad reads both forms as the same number. */
function numericStatics(job: any): any {
  return JSON.parse(JSON.stringify(job), (key, value) => (key === "static" && typeof value === "string" ? Number(value) : value));
}

describe("seed job shapes", () => {
  it("expresses seed 000's CoreDNS + keepalived job exactly", async () => {
    const seed = await parseJob(readFileSync(join(__dirname, "golden", "coredns-keepalived.nomad.hcl"), "utf8"));
    const tasks = seed.coredns[0].group.dns[0].task;
    const job = corednsJob(tasks["keepalived-dns"][0].template[0].data, tasks.coredns[0].template[0].data);
    expect(await parseJob(renderJobHcl(job))).toEqual(numericStatics(seed));
  });

  it("expresses seed 001's gitea ports, SSH static on a host network", async () => {
    const seedNetwork = await parseJob(`job "gitea" {
      group "gitea" {
        network {
          port "http" {
            to = 3000
          }
          port "ssh" {
            to = 22
            static = 4222
            host_network = "tailscale"
          }
        }
        task "gitea" {
          driver = "docker"
          config {
            image = "gitea/gitea:1.22"
            ports = ["http", "ssh"]
          }
          service {
            name = "gitea-web"
            tags = ["gitea", "web"]
            port = "http"
          }
        }
      }
    }`);
    const facts = { ...LAB_LIKE_FACTS, hostNetworks: ["tailscale"] };
    const stack = synthJobStack(
      (scope) =>
        new NomadJob(scope, "Gitea", {
          name: "gitea",
          groups: [
            {
              name: "gitea",
              network: { ports: [{ label: "http", to: 3000 }, { label: "ssh", to: 22, static: 4222, hostNetwork: "tailscale" }] },
              tasks: [
                {
                  name: "gitea",
                  driver: "docker",
                  config: { image: "gitea/gitea:1.22", ports: ["http", "ssh"] },
                  services: [{ name: "gitea-web", tags: ["gitea", "web"], port: "http" }],
                },
              ],
            },
          ],
        }),
      facts,
    );
    const [jobspec] = Object.values(stack.resource.nomad_job).map((r: any) => r.jobspec);
    expect(await parseJob(jobspec)).toEqual(seedNetwork);
  });

  describe("seed 001's restic backup: a periodic batch job running a script with raw_exec", () => {
    const dev = { ...LAB_LIKE_FACTS, drivers: ["docker", "exec", "raw_exec"] as const, clientCount: 1 };
    const stack = synthJobStack(
      (scope) =>
        new NomadJob(scope, "Restic", {
          name: "restic",
          datacenters: ["hydra"],
          type: "batch",
          periodic: { crons: ["0 3 * * *"], timeZone: "Asia/Kolkata", prohibitOverlap: true },
          groups: [
            {
              name: "restic",
              tasks: [
                {
                  name: "backup",
                  driver: "raw_exec",
                  // Seed 001 writes $${NOMAD_TASK_DIR} because its jobspec goes through
                  // Terraform's templatefile(); Nomad itself must receive ${NOMAD_TASK_DIR}.
                  config: { command: "${NOMAD_TASK_DIR}/restic_backup.sh" },
                  templates: [{ destination: "local/restic_backup.sh", perms: "0755", data: "#!/bin/sh\nrestic backup /data\n" }],
                },
              ],
            },
          ],
        }),
      { ...dev, drivers: [...dev.drivers] },
    );
    const raw = (stack.resource.nomad_job.Restic as { jobspec: string }).jobspec;

    it("writes ${NOMAD_TASK_DIR} as $${NOMAD_TASK_DIR} in the synthesized JSON, like the seed's templatefile", () => {
      expect(raw).toContain('command = "$${NOMAD_TASK_DIR}/restic_backup.sh"');
    });

    it("hands Nomad ${NOMAD_TASK_DIR} and a periodic block, after Terraform evaluated it", async () => {
      requireTool("terraform");
      const job = (await parseJob(Object.values(evaluateJobspecs(stack))[0])).restic[0];
      expect(job.type).toBe("batch");
      expect(job.periodic).toEqual([{ crons: ["0 3 * * *"], time_zone: "Asia/Kolkata", prohibit_overlap: true }]);
      expect(job.group.restic[0].task.backup[0].config).toEqual([{ command: "${NOMAD_TASK_DIR}/restic_backup.sh" }]);
    });
  });

  it("expresses seed 002/003's Java and exec jobs with artifacts and Nomad-discovered services", async () => {
    const expected = await parseJob(`job "blueprint" {
      namespace = "dev"
      group "blueprint" {
        count = 2
        network {
          port "http" {}
        }
        service {
          name     = "blueprint"
          provider = "nomad"
          port     = "http"
          tags     = ["traefik.enable=true", "traefik.http.routers.blueprint.rule=PathPrefix(\`/blueprint\`)"]
          check {
            type     = "http"
            path     = "/actuator/health"
            interval = "10s"
            timeout  = "2s"
          }
        }
        task "app" {
          driver = "java"
          config {
            jar_path    = "local/blueprint.jar"
            jvm_options = ["-Xmx256m", "-Dserver.port=\${NOMAD_PORT_http}"]
          }
          artifact {
            source = "https://example.com/blueprint.jar"
          }
          resources {
            cpu    = 500
            memory = 384
          }
        }
        task "consumer" {
          driver = "exec"
          config {
            command = "/usr/bin/dotnet"
            args    = ["local/Consumer.dll"]
          }
          artifact {
            source      = "https://example.com/consumer.zip"
            destination = "local/"
          }
        }
      }
    }`);
    const job: Job = {
      name: "blueprint",
      namespace: "dev",
      groups: [
        {
          name: "blueprint",
          count: 2,
          network: { ports: [{ label: "http" }] },
          services: [
            {
              name: "blueprint",
              provider: "nomad",
              port: "http",
              tags: ["traefik.enable=true", "traefik.http.routers.blueprint.rule=PathPrefix(`/blueprint`)"],
              checks: [{ type: "http", path: "/actuator/health", interval: "10s", timeout: "2s" }],
            },
          ],
          tasks: [
            {
              name: "app",
              driver: "java",
              config: { jar_path: "local/blueprint.jar", jvm_options: ["-Xmx256m", "-Dserver.port=${NOMAD_PORT_http}"] },
              artifacts: [{ source: "https://example.com/blueprint.jar" }],
              resources: { cpuMhz: 500, memoryMb: 384 },
            },
            {
              name: "consumer",
              driver: "exec",
              config: { command: "/usr/bin/dotnet", args: ["local/Consumer.dll"] },
              artifacts: [{ source: "https://example.com/consumer.zip", destination: "local/" }],
            },
          ],
        },
      ],
    };
    expect(await parseJob(renderJobHcl(job))).toEqual(expected);
  });

  it("expresses seed 004's log-shipper sidecar: the main task leads, the shipper gets time to flush", async () => {
    const expected = await parseJob(`job "api" {
      group "api" {
        task "api" {
          driver = "docker"
          leader = true
          config {
            image = "example/api:1.0"
          }
        }
        task "log-shipper" {
          driver       = "docker"
          kill_timeout = "30s"
          lifecycle {
            hook    = "poststart"
            sidecar = true
          }
          config {
            image = "timberio/vector:0.41.1-alpine"
          }
          logs {
            max_files     = 3
            max_file_size = 5
          }
        }
      }
    }`);
    const job: Job = {
      name: "api",
      groups: [
        {
          name: "api",
          tasks: [
            { name: "api", driver: "docker", leader: true, config: { image: "example/api:1.0" } },
            {
              name: "log-shipper",
              driver: "docker",
              killTimeout: "30s",
              lifecycle: { hook: "poststart", sidecar: true },
              config: { image: "timberio/vector:0.41.1-alpine" },
              logs: { maxFiles: 3, maxFileSizeMb: 5 },
            },
          ],
        },
      ],
    };
    expect(await parseJob(renderJobHcl(job))).toEqual(expected);
  });
});
