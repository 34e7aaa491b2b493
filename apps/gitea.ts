import { VolumeBackups } from "../constructs/backups";
import { NomadService } from "../constructs/nomad-service";
import { AppHostname, defineApp, exposeAll, splitHostname } from "./app";

/** What an environment decides about its Gitea. */
export interface GiteaSettings {
  /** Where Gitea is served through the ingress, e.g. "git.lab.example.com" (a name under the lab domain stays on HTTP). @default not exposed */
  readonly hostname?: AppHostname;
  /** @default "default" */
  readonly namespace?: string;
  /** The data volume (repositories, SQLite database, attachments). @default 10 (Hetzner's smallest volume) */
  readonly dataSizeGiB?: number;
  /** Back the data volume up nightly to the environment's `backups` bucket. @default true when the environment sets `backups` */
  readonly backup?: boolean;
  /** @default "gitea/gitea:1.24" */
  readonly image?: string;
}

declare module "./app" {
  interface AppCatalog {
    gitea: GiteaSettings;
  }
}

/**
 * Gitea, a stateful app to copy: one container whose data lives on a persistent volume
 * (a Hetzner Cloud Volume on Hetzner, a host volume on LAN hosts), served through the
 * ingress, backed up nightly with the app stopped (SQLite: a file copy of a stopped app is
 * consistent).
 */
export const app = defineApp<GiteaSettings>((scope, settings, context) => {
  const exposed = settings.hostname === undefined ? undefined : splitHostname(settings.hostname);
  // What the ingress serves it at (HTTPS for a public name): Gitea's links and redirects use it.
  const rootUrl = exposed && context.ingress.urlOf(exposed.hostname, exposed.options);
  const service = new NomadService(scope, "Gitea", {
    image: settings.image ?? "gitea/gitea:1.24",
    namespace: settings.namespace,
    ports: { http: { to: 3000 } },
    healthCheck: { path: "/api/healthz" },
    // The image starts as root and runs Gitea as git (USER_UID) after fixing /data's owner.
    env: {
      USER_UID: "1000",
      USER_GID: "1000",
      ...(rootUrl ? { GITEA__server__ROOT_URL: rootUrl } : {}),
      GITEA__server__DISABLE_SSH: "true",
      GITEA__database__DB_TYPE: "sqlite3",
    },
    cpuMhz: 300,
    memoryMb: 512,
    persistentVolumes: { data: { sizeGiB: settings.dataSizeGiB ?? 10, mountPath: "/data" } },
  });
  exposeAll(service, context, settings.hostname ? [settings.hostname] : []);
  const repository = settings.backup === false ? undefined : context.backupRepository();
  if (repository) new VolumeBackups(scope, "GiteaBackups", { app: service, repository });
});
