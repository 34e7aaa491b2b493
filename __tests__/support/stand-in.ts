import { ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SERVER = join(__dirname, "stand-in-server.mjs");
const CLIENT = join(__dirname, "stand-in-client.sh");

/** The servers this test file started, by handler module (stand-in-server.mjs). */
const servers = new Map<string, { process: ChildProcess; port: string; dir: string }>();
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Waits (blocking: a test cannot yield to a process it started) until `file` exists and, when
 * `content` is given, holds it; returns its content, or throws `failure()` after 30 s.
 */
export function waitForFile(file: string, content: string | undefined, failure: () => string): string {
  const deadline = Date.now() + 30_000;
  while (!existsSync(file) || (content !== undefined && readFileSync(file, "utf8") !== content)) {
    if (Date.now() > deadline) throw new Error(failure());
    Atomics.wait(pause, 0, 0, 5);
  }
  return readFileSync(file, "utf8");
}

function serverPort(handler: string): string {
  let server = servers.get(handler);
  if (!server) {
    const dir = mkdtempSync(join(tmpdir(), `hashilab-stand-in-${process.pid}-`));
    const portFile = join(dir, "port");
    // Its stdin stays open while this process lives; neither keeps jest waiting at the end.
    const child = spawn(process.execPath, [SERVER, handler, portFile], { stdio: ["pipe", "ignore", "inherit"] });
    child.unref();
    (child.stdin as Socket).unref();
    const port = waitForFile(portFile, undefined, () => `the stand-in server for ${handler} did not start within 30 s`);
    server = { process: child, port, dir };
    servers.set(handler, server);
  }
  return server.port;
}

/**
 * Puts the stand-in commands `names` into `bin`, answered by the module `handler` (see
 * stand-in-server.mjs) in one server process per test file instead of a node process per call.
 * Returns the environment the commands need: a run passes it on, with the `variables` the
 * handler reads.
 */
export function standInCommands(handler: string, bin: string, names: readonly string[], variables: readonly string[]): Record<string, string> {
  mkdirSync(bin, { recursive: true });
  for (const name of names) symlinkSync(CLIENT, join(bin, name));
  return { STAND_IN_PORT: serverPort(handler), STAND_IN_VARIABLES: variables.join(" ") };
}

/** Stops the stand-in servers this test file started (its afterAll). */
export function stopStandIns(): void {
  for (const server of servers.values()) {
    server.process.kill();
    rmSync(server.dir, { recursive: true, force: true });
  }
  servers.clear();
}
