import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { AppVolumes, HetznerCsiPlugins, NomadJob, NomadService } from "../constructs";
import type { ClusterFacts } from "../constructs/cluster-facts";
import { backupRepository, csiPluginsProps, dev, lab, volumeProvider } from "../environments";
import { jobStack, LAB_LIKE_FACTS, parseJob, synthJobStack } from "./nomad-job.support";
import { resourcesByName, resourcesOf, synthEnvironment } from "./support/synth";

const HETZNER: ClusterFacts = {
  ...LAB_LIKE_FACTS,
  namespaces: [...LAB_LIKE_FACTS.namespaces, "csi"],
  namespaceAdmission: {
    default: { taskDrivers: ["docker", "exec"], addCapabilities: [], hostNetworkMode: false, allowPrivileged: false },
    dns: { taskDrivers: ["docker", "podman"], addCapabilities: [], hostNetworkMode: true, allowPrivileged: false },
    csi: { taskDrivers: ["docker", "podman"], addCapabilities: [], hostNetworkMode: true, allowPrivileged: true },
  },
  volumeProvider: { kind: "hetzner-csi", location: "nbg1" },
};
const HOSTS: ClusterFacts = { ...LAB_LIKE_FACTS, volumeProvider: { kind: "host" } };

const gitea = (scope: Construct, extra: Partial<ConstructorParameters<typeof NomadService>[2]> = {}) =>
  new NomadService(scope, "Gitea", { image: "gitea/gitea:1.24", persistentVolumes: { data: { sizeGiB: 10, mountPath: "/data" } }, ...extra });

async function groupOf(stack: Record<string, any>, id = "Gitea") {
  const job = Object.entries<any>(resourcesOf(stack, "nomad_job")).find(([key]) => key.startsWith(id))![1];
  const parsed = await parseJob(job.jobspec);
  const [name] = Object.keys(parsed);
  return { job, group: Object.values<any>(parsed[name][0].group)[0][0] };
}

function error(build: (scope: Construct) => void, facts: ClusterFacts | undefined = HETZNER): string {
  try {
    build(jobStack(facts));
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

describe("a volume is part of the app", () => {
  it("on Hetzner: a Hetzner Cloud Volume through the CSI driver, in the cluster's location, that Terraform will not destroy", async () => {
    const stack = synthJobStack((scope) => gitea(scope), HETZNER);
    const volume = resourcesByName(stack, "nomad_csi_volume")["default-gitea-data"];
    // The volume specification's fields (Nomad docs other-specifications/volume/csi, the
    // driver's docs/nomad/README.md at v2.22.1): the driver's plugin id and location segment.
    expect(volume).toMatchObject({
      plugin_id: "csi.hetzner.cloud",
      volume_id: "gitea-data",
      namespace: "default",
      capacity_min: "10GiB",
      capacity_max: "10GiB",
      capability: [{ access_mode: "single-node-writer", attachment_mode: "file-system" }],
      mount_options: { fs_type: "ext4", mount_flags: ["discard", "defaults"] },
      topology_request: { required: { topology: [{ segments: { "csi.hetzner.cloud/location": "nbg1" } }] } },
      lifecycle: { prevent_destroy: true },
    });
    const { job, group } = await groupOf(stack);
    expect(group.volume).toEqual({
      data: [{ type: "csi", source: "gitea-data", access_mode: "single-node-writer", attachment_mode: "file-system" }],
    });
    expect(group.task.gitea[0].volume_mount).toEqual([{ volume: "data", destination: "/data" }]);
    // Nomad refuses a job whose volume does not exist yet.
    expect(job.depends_on).toEqual([expect.stringMatching(/^nomad_csi_volume\./)]);
  });

  it("on hosts: a Nomad dynamic host volume (mkdir plugin), pinned to a named host when asked, the app placed where it is", async () => {
    const stack = synthJobStack((scope) => gitea(scope, { persistentVolumes: { data: { sizeGiB: 5, mountPath: "/data", host: "nas" } } }), HOSTS);
    const volume = resourcesByName(stack, "nomad_dynamic_host_volume")["gitea-data"];
    expect(volume).toMatchObject({
      plugin_id: "mkdir",
      capacity_min: "5GiB",
      capability: [{ access_mode: "single-node-writer", attachment_mode: "file-system" }],
      // Escaped for Terraform: Nomad reads ${attr.unique.hostname} itself.
      constraint: [{ attribute: "$${attr.unique.hostname}", operator: "=", value: "nas" }],
      lifecycle: { prevent_destroy: true },
    });
    const { group } = await groupOf(stack);
    expect(group.volume.data[0]).toMatchObject({ type: "host", source: "gitea-data", access_mode: "single-node-writer" });
  });

  it("lets a volume be deleted on purpose with retainOnDelete: false", () => {
    const stack = synthJobStack((scope) => gitea(scope, { persistentVolumes: { data: { sizeGiB: 10, mountPath: "/data", retainOnDelete: false } } }), HETZNER);
    expect(resourcesByName(stack, "nomad_csi_volume")["default-gitea-data"].lifecycle).toBeUndefined();
  });

  it("fails on an environment that provides no volumes, naming the construct and the fix", () => {
    expect(error((scope) => gitea(scope), LAB_LIKE_FACTS)).toContain("test/Gitea/Volumes: invalid volumes:\n  - volumes data: this cluster declares no volume provider");
  });

  it("fails on a driver that cannot mount volumes (raw_exec: MountConfigSupportNone)", () => {
    const message = error((scope) => new AppVolumes(scope, "V", { jobName: "x", volumes: { data: { sizeGiB: 10, mountPath: "/data" } }, instances: 1, driver: "raw_exec" }));
    expect(message).toContain("the raw_exec driver cannot mount volumes");
  });

  it("fails on two writers of a single-writer volume: count 2, or a canary beside the running allocation", () => {
    expect(error((scope) => gitea(scope, { count: 2 }))).toContain('volumes.data: 2 allocations (count plus canaries) would write to a single-node-writer volume');
    expect(error((scope) => gitea(scope, { update: { canary: 1 } }))).toContain("2 allocations (count plus canaries)");
    // Several writers of one host are fine when the app says it coordinates them.
    expect(error((scope) => gitea(scope, { count: 2, persistentVolumes: { data: { sizeGiB: 10, mountPath: "/data", accessMode: "single-node-multi-writer" } } }))).toBe("");
  });

  it("fails on sizes Hetzner cannot create, bad mount paths, names and hosts", () => {
    const message = error((scope) =>
      gitea(scope, {
        persistentVolumes: {
          small: { sizeGiB: 5, mountPath: "data" },
          Big_One: { sizeGiB: 1.5, mountPath: "/a/../etc" },
          pinned: { sizeGiB: 10, mountPath: "/p", host: "nas" },
          templated: { sizeGiB: 10, mountPath: "/data/${NOMAD_ALLOC_ID}" },
        },
      }),
    );
    expect(message).toContain("volumes.small.sizeGiB 5: Hetzner Cloud Volumes are 10 to 10240 GiB");
    expect(message).toContain('volumes.small.mountPath "data" must be an absolute path');
    expect(message).toContain('volumes.Big_One: the name may hold only a-z');
    expect(message).toContain("volumes.Big_One.sizeGiB 1.5 must be a whole number");
    expect(message).toContain('volumes.Big_One.mountPath "/a/../etc"');
    expect(message).toContain("volumes.pinned.host: a Hetzner Cloud Volume follows the app");
    expect(message).toContain('volumes.templated.mountPath "/data/${NOMAD_ALLOC_ID}" must be an absolute path');
    expect(error((scope) => gitea(scope, { persistentVolumes: { data: { sizeGiB: 5, mountPath: "/d", host: "${var.x}" } } }), HOSTS)).toContain(
      'volumes.data.host "${var.x}" is not a hostname',
    );
  });
});

describe("HetznerCsiPlugins", () => {
  const plugins = (scope: Construct) =>
    new HetznerCsiPlugins(scope, "Csi", {
      location: "nbg1",
      namespace: "csi",
      apiToken: new TerraformVariable(scope, "hcloud_csi_token", { type: "string", sensitive: true }),
    });

  it("runs the driver's controller and node plugins as its Nomad docs do, the node plugin privileged with podman on the host network", async () => {
    const stack = synthJobStack(plugins, HETZNER);
    const controller = (await groupOf(stack, "Csi_Controller")).group;
    const node = (await groupOf(stack, "Csi_Node")).group;
    expect(controller.count).toBe(2);
    expect(controller.task.plugin[0]).toMatchObject({
      driver: "docker",
      config: [{ image: "docker.io/hetznercloud/hcloud-csi-driver:v2.22.1", args: ["-controller"] }],
      csi_plugin: [{ id: "csi.hetzner.cloud", type: "controller", mount_dir: "/csi" }],
      env: [{ CSI_ENDPOINT: "unix:///csi/csi.sock", ENABLE_METRICS: "false", HCLOUD_TOKEN_FILE: "/secrets/hcloud-token", HCLOUD_VOLUME_DEFAULT_LOCATION: "nbg1" }],
    });
    expect(node.task.plugin[0]).toMatchObject({
      driver: "podman",
      config: [{ image: "docker.io/hetznercloud/hcloud-csi-driver:v2.22.1", args: ["-node"], privileged: true, network_mode: "host" }],
      csi_plugin: [{ id: "csi.hetzner.cloud", type: "node", mount_dir: "/csi" }],
    });
    // The node plugin holds no token; only the controller's variable path has it.
    expect(JSON.stringify(node)).not.toContain("hcloud_token");
    expect(Object.values<any>(resourcesOf(stack, "nomad_variable")).find((v) => v.path === "nomad/jobs/hcloud-csi-controller")).toMatchObject({ namespace: "csi", items: { hcloud_token: "${var.hcloud_csi_token}" } });
  });

  it("orders apps' Hetzner volumes after the plugins of the same stack: Nomad creates them through the controller", () => {
    const stack = synthJobStack((scope) => {
      plugins(scope);
      gitea(scope);
    }, HETZNER);
    expect(resourcesByName(stack, "nomad_csi_volume")["default-gitea-data"].depends_on).toEqual([
      expect.stringMatching(/^nomad_job\.Csi_Controller_/),
      expect.stringMatching(/^nomad_job\.Csi_Node_/),
    ]);
  });

  it("fails when privileged is asked outside a namespace that allows it, or with docker, which the clients refuse it", () => {
    expect(error((scope) => new HetznerCsiPlugins(scope, "Csi", { location: "nbg1", namespace: "dns", apiToken: new TerraformVariable(scope, "t", { sensitive: true }) }))).toContain(
      "sets privileged, which makes the container root on the host",
    );
  });

  it("fails on a privileged docker container even in csi, whose allowPrivileged admits podman only (the clients' docker refuses it)", () => {
    const message = error(
      (scope) =>
        new NomadJob(scope, "Priv", {
          name: "priv",
          namespace: "csi",
          groups: [{ name: "g", tasks: [{ name: "t", driver: "docker", config: { image: "busybox:1.37", privileged: true } }] }],
        }),
    );
    expect(message).toContain('namespace "csi" allows privileged podman containers only');
  });

  it("fails on a location that is not a Hetzner location and a literal token", () => {
    const message = error((scope) => new HetznerCsiPlugins(scope, "Csi", { location: "Nürnberg", apiToken: "secret" as unknown as TerraformVariable }));
    expect(message).toContain('location "Nürnberg" is not a Hetzner location name');
    expect(message).toContain("apiToken");
  });
});

describe("lab provides Hetzner Cloud Volumes", () => {
  const stacks = synthEnvironment(lab);

  it("runs the CSI plugins in the csi namespace, the only one where podman may run privileged", () => {
    const workloads = stacks["lab-workloads"];
    const jobs = Object.values<any>(resourcesOf(workloads, "nomad_job")).map((j) => j.jobspec as string);
    expect(jobs.filter((spec) => /namespace\s+= "csi"/.test(spec)).length).toBe(2);
    expect(workloads.variable.hcloud_csi_token).toMatchObject({ sensitive: true });
    expect(workloads.variable.hcloud_csi_token.default).toBeUndefined();
    const namespaces = resourcesByName(stacks["lab-platform"], "nomad_namespace");
    expect(namespaces.csi.capabilities.enabled_task_drivers).toEqual(["docker", "podman"]);
  });
});

describe("the environment decides how volumes are provided (environments/derive.ts)", () => {
  it("gives lab Hetzner Cloud Volumes in its location, local agents host volumes, and a Hetzner cluster without the csi namespace none", () => {
    expect(volumeProvider(lab)).toEqual({ kind: "hetzner-csi", location: "nbg1" });
    expect(volumeProvider(dev)).toEqual({ kind: "host" });
    expect(volumeProvider({ ...lab, namespaces: lab.namespaces.filter((ns) => ns.name !== "csi") })).toBeUndefined();
  });

  it("runs two CSI controllers where there are two clients or more, and backs volumes up under <env>/", () => {
    const token = {} as TerraformVariable;
    expect(csiPluginsProps(lab, "nbg1", token)).toMatchObject({ location: "nbg1", namespace: "csi", controllers: 2, datacenters: ["lab01"] });
    expect(backupRepository(lab, { endpoint: "https://nbg1.your-objectstorage.com", bucket: "b" }, { s3AccessKeyId: token, s3SecretAccessKey: token, password: token }).prefix).toBe("lab/");
  });
});
