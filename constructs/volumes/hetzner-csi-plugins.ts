import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { addDependsOn, throwIfProblems } from "../core";
import { NomadJob } from "../nomad-job";
import { NomadVariable } from "../nomad-variable";
import { secretInputProblems } from "../secrets";

export interface HetznerCsiPluginsProps {
  /** The Hetzner location volumes are created in, e.g. "nbg1": the servers' location. */
  readonly location: string;
  /**
   * The Hetzner Cloud API token (read/write) the controller creates, attaches and deletes
   * volumes with: a sensitive Terraform variable, never a literal. Only the controller reads it.
   */
  readonly apiToken: TerraformVariable;
  /**
   * The plugins' namespace. It must allow podman, privileged containers and the host's network
   * (the node plugin mounts disks on the host and asks the metadata service who it is), and no
   * other job may run there: declare it as environments/namespaces.ts declares `csi`.
   * @default "csi"
   */
  readonly namespace?: string;
  /** Controller instances, on distinct hosts. @default 2 */
  readonly controllers?: number;
  /** The driver's image. @default HETZNER_CSI_IMAGE */
  readonly image?: string;
  /** @default Nomad's default (every datacenter) */
  readonly datacenters?: readonly string[];
}

/** The Hetzner CSI driver's plugin id (PluginName, internal/driver/driver.go at v2.22.1). */
export const HETZNER_CSI_PLUGIN_ID = "csi.hetzner.cloud";
/** The namespace the plugins run in unless told otherwise. */
export const CSI_NAMESPACE = "csi";
/** The pinned driver release (hetznercloud/csi-driver v2.22.1), fully qualified for podman. */
export const HETZNER_CSI_IMAGE = "docker.io/hetznercloud/hcloud-csi-driver:v2.22.1";
/** Where Nomad mounts the plugin's socket directory in the task (csi_plugin mount_dir). */
const MOUNT_DIR = "/csi";
const TOKEN_FILE = "secrets/hcloud-token";
const TOKEN_ITEM = "hcloud_token";

/**
 * The Hetzner CSI driver for Nomad, as its Nomad docs (docs/nomad/README.md at v2.22.1) run it:
 * a controller job (service, `-controller`) that creates, attaches and detaches Hetzner
 * Volumes with the API token, and a node job (system, `-node`, privileged) that formats and
 * mounts an attached volume on each client. Children: "Controller", "Node" (NomadJob) and
 * "Token" (NomadVariable `nomad/jobs/<controller job>`, readable only by the controller's tasks).
 *
 * What differs from the docs, and why:
 * - The node plugin runs with podman, which nomad-driver-podman 0.6.4 always lets run
 *   privileged (driver.go sets Privileged from the task config, no plugin option), in a
 *   namespace of its own: the clients' docker refuses privileged (allow_privileged = false)
 *   and every other namespace may not use podman privileged (admission: allowPrivileged).
 * - It shares the host's network: the node plugin learns its server id and location from the
 *   metadata service (cmd/main.go), which the hosts block for container bridges.
 * - It has no API token at all (the node path of cmd/main.go creates no API client); the
 *   controller reads its token from a file (HCLOUD_TOKEN_FILE, internal/app/app.go), not the
 *   environment, and learns the location from HCLOUD_VOLUME_DEFAULT_LOCATION, not the
 *   metadata service.
 */
export class HetznerCsiPlugins extends Construct {
  readonly controllerPlugin: NomadJob;
  readonly nodePlugin: NomadJob;
  readonly token: NomadVariable;

  constructor(scope: Construct, id: string, props: HetznerCsiPluginsProps) {
    super(scope, id);
    const namespace = props.namespace ?? CSI_NAMESPACE;
    const controllers = props.controllers ?? 2;
    const image = props.image ?? HETZNER_CSI_IMAGE;
    const problems = [...secretInputProblems("apiToken", props.apiToken)];
    if (!/^[a-z]{3}[0-9]$/.test(props.location)) problems.push(`location "${props.location}" is not a Hetzner location name such as "nbg1", "fsn1" or "hel1"`);
    if (!Number.isInteger(controllers) || controllers < 1) problems.push(`controllers ${controllers} must be a whole number, at least 1`);
    throwIfProblems(this, "invalid Hetzner CSI plugins", problems);

    const env = { CSI_ENDPOINT: `unix://${MOUNT_DIR}/csi.sock`, ENABLE_METRICS: "false" };
    const resources = { cpuMhz: 100, memoryMb: 64 };
    this.controllerPlugin = new NomadJob(this, "Controller", {
      name: "hcloud-csi-controller",
      namespace,
      type: "service",
      datacenters: props.datacenters,
      update: { maxParallel: 1, minHealthyTime: "10s", healthyDeadline: "1m", autoRevert: true },
      groups: [
        {
          name: "controller",
          count: controllers,
          // One controller per host: losing a host keeps volumes attachable.
          constraints: controllers > 1 ? [{ operator: "distinct_hosts", value: "true" }] : undefined,
          network: { mode: "bridge" },
          tasks: [
            {
              name: "plugin",
              driver: "docker",
              config: { image, args: ["-controller"] },
              env: { ...env, HCLOUD_TOKEN_FILE: `/${TOKEN_FILE}`, HCLOUD_VOLUME_DEFAULT_LOCATION: props.location },
              templates: [
                {
                  destination: TOKEN_FILE,
                  perms: "0400",
                  changeMode: "restart",
                  data: `{{ with nomadVar "nomad/jobs/hcloud-csi-controller" }}{{ .${TOKEN_ITEM} }}{{ end }}`,
                },
              ],
              csiPlugin: { id: HETZNER_CSI_PLUGIN_ID, type: "controller", mountDir: MOUNT_DIR },
              resources,
            },
          ],
        },
      ],
    });
    this.nodePlugin = new NomadJob(this, "Node", {
      name: "hcloud-csi-node",
      namespace,
      type: "system",
      datacenters: props.datacenters,
      // Before the apps: a client without its node plugin cannot mount their volumes.
      priority: 90,
      groups: [
        {
          name: "node",
          tasks: [
            {
              name: "plugin",
              driver: "podman",
              config: { image, args: ["-node"], privileged: true, networkMode: "host" },
              env,
              csiPlugin: { id: HETZNER_CSI_PLUGIN_ID, type: "node", mountDir: MOUNT_DIR },
              resources,
            },
          ],
        },
      ],
    });
    this.token = new NomadVariable(this, "Token", {
      path: "nomad/jobs/hcloud-csi-controller",
      namespace,
      items: { [TOKEN_ITEM]: props.apiToken },
    });
    addDependsOn(this.controllerPlugin.resource, this.token.resource);
  }
}
