import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * What one jest run shares between its test files: a folder jest's globalSetup makes
 * (global-setup.ts) and its globalTeardown removes, named in the environment the workers inherit.
 */
export const TEST_RUN_DIR_VARIABLE = "HASHILAB_TEST_RUN_DIR";

export function testRunDir(): string {
  const dir = process.env[TEST_RUN_DIR_VARIABLE];
  if (!dir) throw new Error(`${TEST_RUN_DIR_VARIABLE} is not set: run the tests with jest.config.js, whose globalSetup makes the run's shared folder.`);
  return dir;
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Longer than any maker takes on a loaded machine (a pack builds the package). */
const WAIT_MS = 15 * 60_000;

/**
 * The run's one copy of what `make` returns (JSON), under `name`: the first test file to ask
 * makes it while the others wait (a file jest runs in another worker), then every file reads
 * it. A failure is shared too, so no file waits for a result that will not come.
 */
export function sharedOncePerRun<T>(name: string, make: (dir: string) => T): T {
  const dir = join(testRunDir(), name);
  const result = join(dir, "result.json");
  const failure = join(dir, "failure.txt");
  let owner = true;
  try {
    mkdirSync(dir);
  } catch {
    owner = false;
  }
  if (owner) {
    try {
      const value = make(dir);
      writeFileSync(`${result}.tmp`, JSON.stringify(value));
      renameSync(`${result}.tmp`, result);
      return value;
    } catch (error) {
      writeFileSync(failure, String((error as Error).stack ?? error));
      throw error;
    }
  }
  const deadline = Date.now() + WAIT_MS;
  while (!existsSync(result)) {
    if (existsSync(failure)) throw new Error(`another test file failed to make the shared ${name}:\n${readFileSync(failure, "utf8")}`);
    if (Date.now() > deadline) throw new Error(`the shared ${name} was not ready after ${WAIT_MS} ms (made by another test file of this run)`);
    Atomics.wait(pause, 0, 0, 200);
  }
  return JSON.parse(readFileSync(result, "utf8"));
}
