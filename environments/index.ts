import { dev } from "./dev";
import { lab } from "./lab";
import { EnvironmentConfig } from "./types";

export * from "./derive";
export * from "./types";
export { dev, lab };

/** Every environment main.ts synthesizes, in a stable order. */
export const ENVIRONMENTS: readonly EnvironmentConfig[] = [lab, dev];
export * from "./schema";
export * from "./rules";
