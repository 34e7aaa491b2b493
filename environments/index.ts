import { dev } from "./dev";
import { home } from "./home";
import { lab } from "./lab";
import { EnvironmentConfig } from "./types";

export * from "./derive";
export * from "./types";
export { dev, home, lab };

/** Every environment main.ts synthesizes, in a stable order. */
export const ENVIRONMENTS: readonly EnvironmentConfig[] = [lab, home, dev];
export * from "./schema";
export * from "./rules";
