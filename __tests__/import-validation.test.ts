import { App, TerraformStack } from "cdktf";
import { jobSpecFromHcl, NomadJob } from "../constructs";

/**
 * Imported jobs meet the validation Nomad v2.0.5 applies, no stricter: forms that real jobs use
 * and Nomad accepts construct, and the same rules still refuse what Nomad refuses.
 */

const construct = async (hcl: string) => {
  const props = await jobSpecFromHcl(hcl);
  return () => new NomadJob(new TerraformStack(new App(), "imported"), "Job", props);
};

const taskService = (port: string, resources: string) => `
job "web" {
  group "web" {
    task "web" {
      driver = "exec"
      config { command = "/bin/web" }
      service {
        name = "web"
        port = "${port}"
      }
      resources {
        cpu = 100
${resources}
      }
    }
  }
}
`;

describe("service ports (validateServices)", () => {
  test("a task service may use a port of its task's legacy resources network (COMPAT(0.13))", async () => {
    const make = await construct(taskService("http", `        network {\n          port "http" {}\n        }`));
    expect(make).not.toThrow();
  });

  test("a task service may use a legacy reserved port (NetworkResource.PortLabels includes reserved_ports)", async () => {
    const make = await construct(taskService("admin", `        network {\n          reserved_ports "admin" {\n            static = 8081\n          }\n        }`));
    expect(make).not.toThrow();
  });

  test("fails when a task service names a port neither the group's nor the task's network declares", async () => {
    const make = await construct(taskService("admin", `        network {\n          port "http" {}\n        }`));
    expect(make).toThrow(/service "web" uses port "admin", which the group's network does not declare/);
  });

  test("a group service's port may be a runtime reference the client interpolates (${NOMAD_PORT_x})", async () => {
    const make = await construct(`
job "web" {
  group "web" {
    network {
      port "api" {}
    }
    service {
      name = "api"
      port = "\${NOMAD_PORT_api}"
    }
    task "web" {
      driver = "exec"
      config { command = "/bin/web" }
    }
  }
}
`);
    expect(make).not.toThrow();
  });

  test("fails when a task service's port is a runtime reference (validateServices checks the label as written)", async () => {
    const make = await construct(taskService("${NOMAD_PORT_http}", `        network {\n          port "http" {}\n        }`));
    expect(make).toThrow(/uses port "\$\{NOMAD_PORT_http\}"/);
  });
});

describe("groups without tasks (TaskGroup.Validate after the connect hook)", () => {
  test("a group of a lone Connect ingress gateway constructs: Nomad injects the gateway's task", async () => {
    const make = await construct(`
job "ingress" {
  group "gateway" {
    network {
      mode = "bridge"
      port "inbound" {
        static = 8080
        to     = 8080
      }
    }
    service {
      name = "my-ingress"
      port = "8080"
      connect {
        gateway {
          ingress {
            listener {
              port     = 8080
              protocol = "tcp"
              service {
                name = "api"
              }
            }
          }
        }
      }
    }
  }
}
`);
    expect(make).not.toThrow();
  });

  test("fails for a group with neither tasks nor a Connect service that brings one", async () => {
    const make = await construct(`
job "empty" {
  group "nothing" {
    service {
      name = "plain"
    }
  }
}
`);
    expect(make).toThrow(/group "nothing": has no tasks/);
  });
});
