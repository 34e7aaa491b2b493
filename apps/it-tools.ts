import { NomadService } from "../constructs";
import { AppHostname, defineApp, exposeAll } from "./app";

/** IT Tools (corentinth/it-tools): a stateless web app of developer utilities. */
export interface ItToolsSettings {
  /** The image tag. @default "latest" */
  readonly imageTag?: string;
  /** Allocations. @default 1 */
  readonly replicas?: number;
  /** Hostnames routed to it through the ingress (public names over HTTPS). @default none */
  readonly hostnames?: readonly AppHostname[];
}

declare module "./app" {
  interface AppCatalog {
    itTools: ItToolsSettings;
  }
}

export const app = defineApp<ItToolsSettings>((scope, settings, context) => {
  // The id "ItTools" is the resources' address from before apps existed: keep it.
  const service = new NomadService(scope, "ItTools", {
    jobName: "it-tools",
    groupName: "ittools",
    taskName: "web",
    serviceName: "ittools",
    image: `corentinth/it-tools:${settings.imageTag ?? "latest"}`,
    count: settings.replicas,
    ports: { http: { to: 80 } },
    tags: ["app", "tools", "tech", "coding"],
    cpuMhz: 500,
    memoryMb: 1024,
  });
  exposeAll(service, context, settings.hostnames);
});
