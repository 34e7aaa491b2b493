import { rmSync } from "node:fs";
import { testRunDir } from "./test-run";

/** jest's globalTeardown: removes the run's shared folder (test-run.ts). */
export default function globalTeardown(): void {
  rmSync(testRunDir(), { recursive: true, force: true });
}
