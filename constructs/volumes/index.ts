export { AppVolumes, HOST_VOLUME_PLUGIN_ID, volumeProblems } from "./app-volumes";
export type { AppVolumeProps, AppVolumesProps, VolumeAccessMode, VolumeProvider } from "./app-volumes";
export { CSI_NAMESPACE, HETZNER_CSI_IMAGE, HETZNER_CSI_PLUGIN_ID, HetznerCsiPlugins } from "./hetzner-csi-plugins";
export type { HetznerCsiPluginsProps } from "./hetzner-csi-plugins";
