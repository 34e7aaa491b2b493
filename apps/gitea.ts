import { Construct } from "constructs";
import { BackupRepository, VolumeBackups } from "../constructs/backups";
import type { Ingress } from "../constructs/ingress";
import { NomadService } from "../constructs/nomad-service";

/** What an environment decides about its Gitea. */
export interface GiteaSettings {
  /** The hostname Gitea is served at through the ingress, e.g. "git.lab.example.com". */
  readonly hostname: string;
  /** @default "default" */
  readonly namespace?: string;
  /** The data volume (repositories, SQLite database, attachments). @default 10 (Hetzner's smallest volume) */
  readonly dataSizeGiB?: number;
  /** Where the nightly backups go. @default none: no backups (say so in the environment) */
  readonly backups?: BackupRepository;
  /** @default "gitea/gitea:1.24" */
  readonly image?: string;
}

/**
 * Gitea, a stateful app to copy: one container whose data lives on a persistent volume
 * (a Hetzner Cloud Volume on Hetzner, a host volume on LAN hosts), served through the
 * ingress, backed up nightly with the app stopped (SQLite: a file copy of a stopped app is
 * consistent). Returns the service and its backups.
 */
export function gitea(scope: Construct, settings: GiteaSettings, ingress?: Ingress): { service: NomadService; backups?: VolumeBackups } {
  const service = new NomadService(scope, "Gitea", {
    image: settings.image ?? "gitea/gitea:1.24",
    namespace: settings.namespace,
    ports: { http: { to: 3000 } },
    healthCheck: { path: "/api/healthz" },
    // The image starts as root and runs Gitea as git (USER_UID) after fixing /data's owner.
    env: {
      USER_UID: "1000",
      USER_GID: "1000",
      GITEA__server__ROOT_URL: `https://${settings.hostname}/`,
      GITEA__server__DISABLE_SSH: "true",
      GITEA__database__DB_TYPE: "sqlite3",
    },
    cpuMhz: 300,
    memoryMb: 512,
    persistentVolumes: { data: { sizeGiB: settings.dataSizeGiB ?? 10, mountPath: "/data" } },
  });
  if (ingress) service.exposeVia(ingress, settings.hostname);
  const backups = settings.backups ? new VolumeBackups(scope, "GiteaBackups", { app: service, repository: settings.backups }) : undefined;
  return { service, backups };
}
