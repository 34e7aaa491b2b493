import { TerraformResource, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { clusterFactsOf, declareCreatedHostVolumes, TaskDriver } from "../cluster-facts";
import { addDependsOn, escapeTerraformTemplate, NOMAD_NAME, throwIfProblems } from "../core";
import type { Volume, VolumeMount } from "../nomad-job";
import { NomadCsiVolume, NomadDynamicHostVolume } from "../providers";
import { HETZNER_CSI_PLUGIN_ID, HetznerCsiPlugins } from "./hetzner-csi-plugins";

/**
 * How a volume may be claimed (Nomad's access modes that both providers support: the Hetzner
 * CSI driver's isCapabilitySupported, internal/driver/helper.go at v2.22.1, and Nomad's
 * HostVolumeCapability.Validate, nomad/structs/host_volumes.go at v2.0.5).
 * "single-node-writer": one allocation writes (a database, most apps);
 * "single-node-multi-writer": several allocations of one host write (the app coordinates).
 */
export type VolumeAccessMode = "single-node-writer" | "single-node-multi-writer";

/** A named persistent volume of an app: where it is mounted and how big it is. */
export interface AppVolumeProps {
  /**
   * Size in GiB. Hetzner Cloud Volumes are 10 to 10240 GiB (the CSI driver's MinVolumeSize);
   * host volumes (the `mkdir` plugin) share the host's disk and ignore it but for the cost.
   * Growing is an in-place expansion; shrinking is refused (see docs/storage.md).
   */
  readonly sizeGiB: number;
  /** Where the volume is mounted in the task, e.g. "/data". */
  readonly mountPath: string;
  /** @default "single-node-writer" */
  readonly accessMode?: VolumeAccessMode;
  /** Mount it read-only in the task. @default false */
  readonly readOnly?: boolean;
  /**
   * Keep the volume, and its data, when it is removed from the code: Terraform then refuses a
   * plan that would destroy it (`prevent_destroy`). Set false, deploy, then remove it, to
   * delete a volume on purpose.
   * @default true
   */
  readonly retainOnDelete?: boolean;
  /**
   * Host volumes only: the client (its hostname, `${attr.unique.hostname}`) the volume is
   * created on, and so where the app runs.
   * @default the client Nomad picks when it creates the volume
   */
  readonly host?: string;
}

/** Nomad's built-in dynamic host volume plugin (client/hostvolumemanager, HostVolumePluginMkdirID at v2.0.5). */
export const HOST_VOLUME_PLUGIN_ID = "mkdir";
/** The CSI driver's topology key: a Hetzner volume attaches only to servers in its location. */
const HETZNER_LOCATION_SEGMENT = `${HETZNER_CSI_PLUGIN_ID}/location`;
/** The driver's MinVolumeSize (GiB) and Hetzner's largest volume. */
const HETZNER_VOLUME_GIB = { min: 10, max: 10240 } as const;

/**
 * How a cluster provides apps' volumes, a fact of its environment:
 * - "hetzner-csi": Hetzner Cloud Volumes through the Hetzner CSI driver (HetznerCsiPlugins);
 *   a volume follows its app to any client in `location`.
 * - "host": Nomad dynamic host volumes, directories on one client's disk; the app stays on
 *   that client and the data does not survive it.
 */
export type VolumeProvider = { readonly kind: "hetzner-csi"; readonly location: string } | { readonly kind: "host" };

/** Drivers that cannot mount volumes (MountConfigSupportNone: drivers/rawexec, java, qemu at v2.0.5; volume_hook.go refuses them). */
const NO_MOUNT_DRIVERS: readonly string[] = ["raw_exec", "java", "qemu"];

export interface AppVolumesProps {
  /** The job whose group mounts them; volume ids are `<jobName>-<name>`. */
  readonly jobName: string;
  /** @default "default" */
  readonly namespace?: string;
  /** The volumes by name (lower case letters, digits, dashes). */
  readonly volumes: Readonly<Record<string, AppVolumeProps>>;
  /** Allocations that may run at once: the group's count plus canaries. */
  readonly instances: number;
  /** The driver of the task that mounts them. */
  readonly driver: TaskDriver;
}

const VOLUME_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
const SINGLE_WRITER: readonly VolumeAccessMode[] = ["single-node-writer"];

/**
 * An app's persistent volumes, created the way the cluster provides them (the `volumeProvider`
 * of its cluster facts): `nomad_csi_volume` on Hetzner, `nomad_dynamic_host_volume` on hosts.
 * `groupVolumes` and `volumeMounts` go into the job; `mustExistBefore` orders the job after them.
 */
export class AppVolumes extends Construct {
  readonly groupVolumes: readonly Volume[];
  readonly volumeMounts: readonly VolumeMount[];
  /** The volume resources by name. */
  readonly resources: Readonly<Record<string, NomadCsiVolume | NomadDynamicHostVolume>>;
  readonly provider: VolumeProvider;

  constructor(scope: Construct, id: string, props: AppVolumesProps) {
    super(scope, id);
    const provider = clusterFactsOf(this)?.volumeProvider;
    throwIfProblems(this, "invalid volumes", volumeProblems(props, provider));
    this.provider = provider as VolumeProvider;
    const namespace = props.namespace ?? "default";
    const names = Object.keys(props.volumes).sort();
    const resources: Record<string, NomadCsiVolume | NomadDynamicHostVolume> = {};
    for (const name of names) {
      const volume = props.volumes[name];
      const volumeId = `${props.jobName}-${name}`;
      const capability = [{ accessMode: volume.accessMode ?? "single-node-writer", attachmentMode: "file-system" }];
      const lifecycle = volume.retainOnDelete === false ? undefined : { preventDestroy: true };
      resources[name] =
        this.provider.kind === "hetzner-csi"
          ? new NomadCsiVolume(this, name, {
              pluginId: HETZNER_CSI_PLUGIN_ID,
              volumeId,
              // The controller names the Hetzner volume after it, and Hetzner names are unique in a
              // project: with the namespace, unique in the environment (NomadJob claims namespace/job).
              name: `${namespace}-${volumeId}`,
              namespace,
              // min = max: Hetzner creates exactly this size (helper.go rounds min up and max
              // down to whole GiB), and Nomad refuses a max below the current capacity, so a
              // shrink fails instead of being ignored (nomad/csi_endpoint.go expandVolume).
              capacityMin: `${volume.sizeGiB}GiB`,
              capacityMax: `${volume.sizeGiB}GiB`,
              capability,
              // The driver formats ext4 when no fs_type is given (internal/volumes/mount.go
              // DefaultFSType); named here with its docs' discard flag (docs/nomad/README.md).
              mountOptions: { fsType: "ext4", mountFlags: ["discard", "defaults"] },
              topologyRequest: { required: { topology: [{ segments: { [HETZNER_LOCATION_SEGMENT]: this.provider.location } }] } },
              lifecycle,
            })
          : new NomadDynamicHostVolume(this, name, {
              pluginId: HOST_VOLUME_PLUGIN_ID,
              name: volumeId,
              namespace,
              capacityMin: `${volume.sizeGiB}GiB`,
              capability,
              // "mkdir" makes a directory owned by root, mode 0755 by default; the app's own
              // user may differ, so it is left open to the container's root to chown.
              // Nomad's own interpolation, kept from Terraform's.
              constraint: volume.host ? [{ attribute: escapeTerraformTemplate("${attr.unique.hostname}"), operator: "=", value: escapeTerraformTemplate(volume.host) }] : undefined,
              lifecycle,
            });
    }
    this.resources = resources;
    // Nomad creates a CSI volume through the controller plugin: after the plugins' jobs (the
    // controller's apply waits until it is healthy) when the same stack runs them.
    const plugins = TerraformStack.of(this).node.findAll().find((c): c is HetznerCsiPlugins => c instanceof HetznerCsiPlugins);
    if (this.provider.kind === "hetzner-csi" && plugins) {
      for (const volume of Object.values(resources)) {
        addDependsOn(volume, plugins.controllerPlugin.resource);
        addDependsOn(volume, plugins.nodePlugin.resource);
      }
    }
    this.groupVolumes = names.map((name) => {
      const volume = props.volumes[name];
      const accessMode = volume.accessMode ?? "single-node-writer";
      return this.provider.kind === "hetzner-csi"
        ? { name, type: "csi", source: `${props.jobName}-${name}`, readOnly: volume.readOnly, accessMode, attachmentMode: "file-system" }
        : // A dynamic host volume's source is its name; Nomad places the group on the client that has it.
          { name, type: "host", source: `${props.jobName}-${name}`, readOnly: volume.readOnly, accessMode, attachmentMode: "file-system" };
    });
    // The job under the same app may name the host volumes this deploy creates.
    if (this.provider.kind !== "hetzner-csi") declareCreatedHostVolumes(scope, names.map((name) => `${props.jobName}-${name}`));
    this.volumeMounts = names.map((name) => ({ volume: name, destination: props.volumes[name].mountPath, readOnly: props.volumes[name].readOnly }));
  }

  /** Orders `resource` (the job) after every volume: Nomad refuses a job whose volume does not exist. */
  public mustExistBefore(resource: TerraformResource): void {
    for (const volume of Object.values(this.resources)) addDependsOn(resource, volume);
  }
}

/** Everything wrong with `props` on a cluster that provides volumes as `provider`, each with the fix. */
export function volumeProblems(props: AppVolumesProps, provider: VolumeProvider | undefined): string[] {
  const problems: string[] = [];
  const names = Object.keys(props.volumes);
  if (names.length === 0) return problems;
  if (provider === undefined) {
    problems.push(
      `volumes ${names.join(", ")}: this cluster declares no volume provider, so nothing would create them; ` +
        `deploy the app in an environment whose cluster provides volumes (Hetzner: CSI volumes, hosts: host volumes), or remove volumes`,
    );
  }
  if (NO_MOUNT_DRIVERS.includes(props.driver)) {
    problems.push(`volumes ${names.join(", ")}: the ${props.driver} driver cannot mount volumes (Nomad refuses it at start); use docker, podman or exec`);
  }
  const idLength = (name: string) => props.jobName.length + 1 + name.length;
  const namespace = props.namespace ?? "default";
  for (const name of names) {
    const v = props.volumes[name];
    const at = `volumes.${name}`;
    if (!VOLUME_NAME.test(name)) problems.push(`${at}: the name may hold only a-z, 0-9 and inner dashes (1-32), e.g. "data"`);
    else if (!Token.isUnresolved(props.jobName) && (idLength(name) + namespace.length + 1 > 63 || !NOMAD_NAME.test(`${props.jobName}-${name}`))) {
      problems.push(`${at}: its volume name "${namespace}-${props.jobName}-${name}" must be a Nomad name of at most 63 characters; shorten the job or volume name`);
    }
    if (!Number.isInteger(v.sizeGiB) || v.sizeGiB < 1) problems.push(`${at}.sizeGiB ${v.sizeGiB} must be a whole number of GiB, at least 1`);
    else if (provider?.kind === "hetzner-csi" && (v.sizeGiB < HETZNER_VOLUME_GIB.min || v.sizeGiB > HETZNER_VOLUME_GIB.max)) {
      problems.push(`${at}.sizeGiB ${v.sizeGiB}: Hetzner Cloud Volumes are ${HETZNER_VOLUME_GIB.min} to ${HETZNER_VOLUME_GIB.max} GiB; choose a size in that range`);
    }
    // Plain path characters only: Nomad would interpolate "${...}" in the destination at runtime.
    if (!/^(\/[A-Za-z0-9._-]+)+$/.test(v.mountPath) || v.mountPath.split("/").includes("..")) {
      problems.push(`${at}.mountPath ${JSON.stringify(v.mountPath)} must be an absolute path in the task of letters, digits, ".", "_", "-" and "/", without "..", e.g. "/data"`);
    }
    const mode = v.accessMode ?? "single-node-writer";
    if (SINGLE_WRITER.includes(mode) && !v.readOnly && props.instances > 1) {
      problems.push(
        `${at}: ${props.instances} allocations (count plus canaries) would write to a ${mode} volume, which Nomad lets only one claim; ` +
          `run count 1 without canaries, or use accessMode "single-node-multi-writer" if the app coordinates its writers on one host`,
      );
    }
    if (v.host !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(v.host)) {
      problems.push(`${at}.host ${JSON.stringify(v.host)} is not a hostname; give the client's hostname, e.g. "nas"`);
    }
    if (v.host !== undefined && provider?.kind === "hetzner-csi") {
      problems.push(`${at}.host: a Hetzner Cloud Volume follows the app to any host of its location; remove host`);
    }
  }
  return problems;
}
