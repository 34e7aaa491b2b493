import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DnsVip, Job, PodmanTask, renderJobHcl } from "../constructs";
import { NomadJob } from "../constructs/nomad-job/nomad-job";
import { SEED_FACTS, SEED_PROPS } from "./dns-vip.support";
import { evaluateJobspecs, jobStack, LAB_LIKE_FACTS, parseJob, synthJobStack } from "./nomad-job.support";
import { requireTool } from "./support/tools";

/**
 * Job shapes from the blog posts hashilab grew from, written with the typed model only (no raw
 * HCL) and compared with the posts' own HCL parsed the same way.
 */

const POSTED_COREDNS = join(__dirname, "golden", "coredns-keepalived.nomad.hcl");

/**
 * The posted CoreDNS + keepalived job, as DnsVip's own job with the post's choices put back
 * where DnsVip chooses differently (dns-vip.test.ts lists each difference and why): DnsVip's
 * job is the model of it, so this file adds only the fields DnsVip leaves out.
 */
function postedCorednsJob(posted: Record<string, any>): Job {
  const postedTasks = posted.coredns[0].group.dns[0].task;
  const ours = new DnsVip(jobStack(SEED_FACTS), "Dns", SEED_PROPS).job.spec;
  const group = ours.groups[0];
  const task = (name: string) => group.tasks.find((t) => t.name === name) as PodmanTask;
  const { entrypoint, args, ...keepalivedConfig } = task("keepalived-dns").config;
  return {
    ...ours,
    groups: [
      {
        ...group,
        network: { ...group.network, ports: group.network!.ports!.filter((p) => p.label !== "health") },
        update: { ...group.update, canary: 3, autoPromote: true },
        tasks: [
          {
            ...task("keepalived-dns"),
            config: { ...keepalivedConfig, volumes: ["local/:/container/environment/01-custom"] },
            templates: [{ destination: "local/env.yaml", changeMode: "restart", splay: "1m", data: postedTasks["keepalived-dns"][0].template[0].data }],
          },
          {
            ...task("coredns"),
            identities: [{ env: true, changeMode: "signal", changeSignal: "SIGHUP" }],
            services: [
              { port: "dns", name: "coredns", tags: ["coredns"], checks: [{ type: "tcp", interval: "10s", timeout: "2s" }] },
              { port: "metrics", name: "coredns", tags: ["metrics", "coredns"] },
            ],
            templates: [
              {
                data: postedTasks.coredns[0].template[0].data,
                destination: "local/coredns/corefile",
                env: false,
                changeMode: "signal",
                changeSignal: "SIGHUP",
                leftDelimiter: "{{",
                rightDelimiter: "}}",
              },
            ],
          },
        ],
      },
    ],
  };
}

/** The post quotes static ports ("53"); Nomad reads both forms as the same number. */
function numericStatics(job: any): any {
  return JSON.parse(JSON.stringify(job), (key, value) => (key === "static" && typeof value === "string" ? Number(value) : value));
}

describe("job shapes from the posts", () => {
  it("expresses the posted CoreDNS + keepalived job exactly, from DnsVip's job and the post's own choices", async () => {
    const posted = await parseJob(readFileSync(POSTED_COREDNS, "utf8"));
    expect(await parseJob(renderJobHcl(postedCorednsJob(posted)))).toEqual(numericStatics(posted));
  });

  it("expresses a gitea job's ports: SSH static on a host network", async () => {
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

  describe("a restic backup: a periodic batch job running a script with raw_exec", () => {
    const dev = { ...LAB_LIKE_FACTS, datacenter: "hydra", drivers: ["docker", "exec", "raw_exec"] as const, clientCount: 1 };
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
                  // A jobspec that goes through Terraform's templatefile() writes $${NOMAD_TASK_DIR};
                  // Nomad itself must receive ${NOMAD_TASK_DIR}.
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

    it("writes ${NOMAD_TASK_DIR} as $${NOMAD_TASK_DIR} in the synthesized JSON, as a templatefile() jobspec does", () => {
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

  it("expresses Java and exec jobs with artifacts and Nomad-discovered services", async () => {
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

  it("expresses a log-shipper sidecar: the main task leads, the shipper gets time to flush", async () => {
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
