import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_RUN_DIR_VARIABLE } from "./test-run";

/** jest's globalSetup: the run's shared folder (test-run.ts); workers start after it and inherit the variable. */
export default function globalSetup(): void {
  process.env[TEST_RUN_DIR_VARIABLE] = realpathSync(mkdtempSync(join(tmpdir(), `hashilab-test-run-${process.pid}-`)));
}
