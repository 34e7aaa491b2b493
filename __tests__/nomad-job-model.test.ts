import { Job, NomadJob, renderJobHcl, TaskGroup } from "../constructs";
import { jobStack } from "./nomad-job.support";

/** The full job model: the blocks real jobs use, rendered in Nomad's names, and nothing dropped. */

const group = (extra: Partial<TaskGroup> = {}): TaskGroup => ({
  name: "app",
  tasks: [{ name: "app", driver: "docker", config: { image: "nginx:1.27" } }],
  ...extra,
});
const job = (extra: Partial<Job> = {}): Job => ({ name: "app", groups: [group()], ...extra });

describe("the job model", () => {
  it("renders vault, csi_plugin, task consul, dispatch_payload and volume_mount selinux_label in Nomad's names", () => {
    const hcl = renderJobHcl(
      job({
        type: "batch",
        parameterized: { payload: "required" },
        groups: [
          group({
            volumes: [{ name: "data", type: "csi", source: "data", accessMode: "single-node-writer", attachmentMode: "file-system" }],
            tasks: [
              {
                name: "app",
                driver: "podman",
                config: { image: "nginx:1.27" },
                vault: { role: "app", changeMode: "signal", changeSignal: "SIGHUP" },
                consul: { namespace: "apps" },
                dispatchPayload: { file: "input.json" },
                csiPlugin: { id: "hcloud", type: "monolith", mountDir: "/csi", healthTimeout: "1m" },
                volumeMounts: [{ volume: "data", destination: "/data", selinuxLabel: "z" }],
              },
            ],
          }),
        ],
      }),
    );
    expect(hcl).toContain('vault {\n        role          = "app"\n        change_mode   = "signal"\n        change_signal = "SIGHUP"\n      }');
    expect(hcl).toContain('csi_plugin {\n        id             = "hcloud"\n        type           = "monolith"\n        mount_dir      = "/csi"\n        health_timeout = "1m"\n      }');
    expect(hcl).toContain('dispatch_payload {\n        file = "input.json"\n      }');
    expect(hcl).toContain('selinux_label = "z"');
    expect(hcl).toContain('consul {\n        namespace = "apps"\n      }');
  });

  it("renders Consul Connect: a sidecar with upstreams, and sidecar task overrides", () => {
    const hcl = renderJobHcl(
      job({
        groups: [
          group({
            network: { mode: "bridge" },
            services: [
              {
                name: "web",
                port: "9090",
                connect: {
                  sidecarService: { proxy: { upstreams: [{ destinationName: "db", localBindPort: 5432 }] } },
                  sidecarTask: { resources: { cpuMhz: 50, memoryMb: 64 } },
                },
                checks: [{ type: "http", path: "/health", interval: "10s", timeout: "2s", initialStatus: "passing", expose: true }],
              },
            ],
          }),
        ],
      }),
    );
    expect(hcl).toContain(
      [
        "      connect {",
        "        sidecar_service {",
        "          proxy {",
        "            upstreams {",
        '              destination_name = "db"',
        "              local_bind_port  = 5432",
        "            }",
        "          }",
        "        }",
        "",
        "        sidecar_task {",
        "          resources {",
        "            cpu    = 50",
        "            memory = 64",
        "          }",
        "        }",
        "      }",
      ].join("\n"),
    );
    expect(hcl).toContain('initial_status = "passing"');
  });

  it("renders a legacy task network as Nomad v2.0.5 still reads it", () => {
    const hcl = renderJobHcl(
      job({
        groups: [group({ tasks: [{ name: "app", driver: "exec", resources: { cpuMhz: 100, networks: [{ mbits: 10, ports: [{ label: "http" }] }] } }] })],
      }),
    );
    expect(hcl).toContain('resources {\n        cpu = 100\n\n        network {\n          mbits = 10\n\n          port "http" {}\n        }\n      }');
  });

  it("writes extra attributes and blocks (a newer Nomad's) through the same escaping", () => {
    const hcl = renderJobHcl(job({ extra: { future_option: 'say "${NOMAD_JOB_NAME}" %{x}', future_map: { a: "b" }, future_block: [{ enabled: true }] } }));
    expect(hcl).toContain('future_option = "say \\"${NOMAD_JOB_NAME}\\" %%{x}"');
    expect(hcl).toContain('future_map    = {\n    a = "b"\n  }');
    expect(hcl).toContain("future_block {\n    enabled = true\n  }");
  });

  it("fails for a field the model does not have (JavaScript, JSON or as any), naming where and what is known", () => {
    const bad = { ...job(), groups: [{ ...group(), tasks: [{ name: "app", driver: "docker", config: { image: "x", port_map: { http: 80 } }, vualt: {} }] }] };
    expect(() => new NomadJob(jobStack(), "Bad", bad as any)).toThrow(/job "app" group\[0\] task\[0\] has an unknown field "vualt" \(known: name, driver, kind, user/);
    expect(() => new NomadJob(jobStack(), "Bad2", bad as any)).toThrow(/task\[0\] config has an unknown field "port_map"/);
  });

  it("fails for a nested block that is not an object", () => {
    expect(() => new NomadJob(jobStack(), "Bad", job({ periodic: "0 3 * * *" as any }))).toThrow(/job "app" periodic is "0 3 \* \* \*", not an object/);
  });

  describe("Nomad's rules for the added blocks (nomad/structs at v2.0.5)", () => {
    const task = (extra: object) => job({ groups: [group({ tasks: [{ name: "app", driver: "exec", ...extra }] })] });
    const fails = (spec: Job) => () => new NomadJob(jobStack(), "Job", spec);

    it("fails for vault changeMode signal without changeSignal (Vault.Validate)", () => {
      expect(fails(task({ vault: { changeMode: "signal" } }))).toThrow(/task "app": vault changeMode "signal" needs changeSignal/);
      expect(fails(job({ vault: { changeMode: "signal" } }))).toThrow(/job "app": vault changeMode "signal" needs changeSignal/);
    });

    it("fails for a csi_plugin without an id, of an unknown type, or staging inside its mount dir (Task.Validate)", () => {
      expect(fails(task({ csiPlugin: { id: "", type: "node" } }))).toThrow(/csiPlugin has an empty id/);
      expect(fails(task({ csiPlugin: { id: "x", type: "agent" as "node" } }))).toThrow(/csiPlugin type "agent" is not one of/);
      expect(fails(task({ csiPlugin: { id: "x", type: "node", mountDir: "/csi", stagePublishBaseDir: "/csi/stage" } }))).toThrow(/stagePublishBaseDir "\/csi\/stage" is inside mountDir "\/csi"/);
      expect(() => fails(task({ csiPlugin: { id: "x", type: "node", mountDir: "/csi", stagePublishBaseDir: "/local/csi" } }))()).not.toThrow();
    });

    it("fails for a dispatch_payload file that escapes the allocation directory, and accepts one that stays inside (DispatchPayloadConfig.Validate)", () => {
      expect(fails(task({ dispatchPayload: { file: "../../../etc/x" } }))).toThrow(/dispatchPayload file "..\/..\/..\/etc\/x" escapes the allocation directory/);
      expect(() => fails(task({ dispatchPayload: { file: "../input.json" } }))()).not.toThrow();
    });

    it("fails for a template with changeMode script and no changeScript (Template.Validate)", () => {
      expect(fails(task({ templates: [{ destination: "local/a", data: "x", changeMode: "script" }] }))).toThrow(/changeMode "script" but no changeScript/);
    });

    it("fails for a duration Nomad cannot parse in the added fields", () => {
      expect(fails(job({ groups: [group({ disconnect: { lostAfter: "ten minutes" } })] }))).toThrow(/group "app": disconnect.lostAfter "ten minutes" is not a duration/);
      expect(fails(task({ csiPlugin: { id: "x", type: "node", healthTimeout: "30" } }))).toThrow(/csiPlugin.healthTimeout "30" is not a duration/);
    });

    it("fails for a check initialStatus Consul does not know (ServiceCheck validation)", () => {
      const service = { name: "web", port: "http", checks: [{ type: "tcp" as const, interval: "10s", timeout: "2s", initialStatus: "ok" as "passing" }] };
      expect(fails(job({ groups: [group({ network: { ports: [{ label: "http" }] }, services: [service] })] }))).toThrow(/initialStatus "ok" is not "passing", "warning" or "critical"/);
    });
  });
});
