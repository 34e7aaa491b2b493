import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { BackupRepository, collectProblems, ExposeOptions, Ingress, kebabCase, NomadService, throwCollected, throwIfProblems } from "../constructs";

/**
 * The contract between an app's file (`apps/<name>.ts`) and the environments that run it: see
 * docs/apps.md. Each app file adds `<key>: <its settings type>` to AppCatalog with a
 * `declare module "./app"` block, so an environment's `apps` field is typed by the apps' own
 * settings without a registry that lists them.
 */
export interface AppCatalog {}

/** Which apps an environment runs, with which settings (the key names the file: kebab case). */
export type AppSelection = { readonly [K in keyof AppCatalog]?: AppCatalog[K] };

/** What the workloads stack gives every app. */
export interface AppContext {
  /** The environment's Traefik, for `exposeVia`. */
  readonly ingress: Ingress;
  /** The environment's name, e.g. "lab". */
  readonly environment: string;
  /** The lab domain CoreDNS answers for, e.g. "lab.example.com": names under it are internal. */
  readonly domain: string;
  /** A sensitive Terraform variable of the stack without a default; its value comes from `TF_VAR_<id>` at deploy time. */
  secret(id: string, description: string): TerraformVariable;
  /**
   * The environment's restic repository for volume backups (its `backups` bucket; keys and
   * password from TF_VAR_backups_*), or undefined when the environment sets no `backups`.
   */
  backupRepository(): BackupRepository | undefined;
}

/**
 * A hostname an app's settings route to it: a name, or a name with how it is served, e.g.
 * `{ hostname: "git.example.com", dns: "external" }` when its record is managed elsewhere.
 */
export type AppHostname = string | ({ readonly hostname: string } & ExposeOptions);

/** An AppHostname's name and how it is exposed. */
export function splitHostname(entry: AppHostname): { readonly hostname: string; readonly options: ExposeOptions } {
  const { hostname, ...options } = typeof entry === "string" ? { hostname: entry } : entry;
  return { hostname, options };
}

/** Routes each of `hostnames` to `service` through the environment's ingress. */
export function exposeAll(service: NomadService, context: AppContext, hostnames: readonly AppHostname[] = []): void {
  for (const { hostname, options } of hostnames.map(splitHostname)) service.exposeVia(context.ingress, hostname, options);
}

/** An app: creates its constructs in the workloads stack from the environment's settings. */
export interface AppDefinition<S> {
  readonly deploy: (scope: Construct, settings: S, context: AppContext) => void;
}

/** Declares an app; its file exports the result as `app`. */
export function defineApp<S>(deploy: AppDefinition<S>["deploy"]): AppDefinition<S> {
  return { deploy };
}

const APP_KEY = /^[a-z][a-zA-Z0-9]*$/;

/** The file an app key names, relative to apps/: `itTools` → `it-tools`. */
export function appModule(key: string): string {
  return kebabCase(key);
}

/**
 * Creates every app `selection` lists, in its order, each from `apps/<kebab-case key>.ts`.
 * `load` resolves a module name to its exports (the stack passes `require` of this folder).
 */
export function deployApps(scope: Construct, selection: AppSelection, context: AppContext, load: (module: string) => unknown): void {
  const apps: [string, AppDefinition<unknown>, unknown][] = [];
  const problems: string[] = [];
  for (const [key, settings] of Object.entries(selection)) {
    // The key becomes a module path: a plain name only, never a path elsewhere.
    if (!APP_KEY.test(key)) {
      problems.push(`apps.${JSON.stringify(key)}: an app key is the camelCase of its file's name (letters and digits, e.g. "itTools" for apps/it-tools.ts)`);
      continue;
    }
    const module = appModule(key);
    const exported = loadApp(module, load);
    if (typeof exported === "string") problems.push(`apps.${key}: ${exported}`);
    else apps.push([key, exported, settings]);
  }
  throwIfProblems(scope, "cannot run the environment's apps", problems);
  // One app's bad settings do not hide another's.
  const reports: string[] = [];
  for (const [, app, settings] of apps) collectProblems(reports, () => app.deploy(scope, settings, context));
  throwCollected(reports);
}

function loadApp(module: string, load: (module: string) => unknown): AppDefinition<unknown> | string {
  let exports: unknown;
  try {
    exports = load(module);
  } catch (error) {
    const missing = (error as { code?: string }).code === "MODULE_NOT_FOUND" && String((error as Error).message).includes(`/${module}'`);
    return missing
      ? `there is no apps/${module}.ts; write the app there (docs/apps.md) or remove the key from the environment's apps`
      : `apps/${module}.ts failed to load: ${(error as Error).message.split("\n")[0]}`;
  }
  const app = (exports as { app?: Partial<AppDefinition<unknown>> } | undefined)?.app;
  if (typeof app?.deploy !== "function") return `apps/${module}.ts does not export \`app = defineApp(...)\`; see docs/apps.md`;
  return app as AppDefinition<unknown>;
}
