export { RESTIC_IMAGE, VolumeBackups } from "./volume-backups";
export type { BackupRepository, BackupRetention, VolumeBackupsProps } from "./volume-backups";
