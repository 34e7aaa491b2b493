import NodeEnvironment from "jest-environment-node";
import { types } from "node:util";
import { WORKER_HCL2JSON, WorkerHcl2json } from "./hcl2json";

/**
 * jest's node environment, where only errors get jest's source-mapped stack traces, and where
 * `@cdktf/hcl2json` is one copy per worker (./hcl2json.ts). cdktf
 * captures a full stack trace on a plain object for every token it creates (the token's
 * `creationStack`), and jest's formatter copies and source-maps each frame of each one: a
 * third of the CPU of a test file that synthesizes. Those traces get V8's own rendering, as
 * outside jest; anything thrown keeps jest's.
 */
export default class TestEnvironment extends NodeEnvironment {
  constructor(...args: ConstructorParameters<typeof NodeEnvironment>) {
    super(...args);
    // The test file's realm has an Error of its own; V8 asks it first, then this realm's
    // Error, where jest installs its formatter (looked up at each call: jest sets it later).
    (this.global.Error as ErrorConstructor).prepareStackTrace = (error: unknown, frames: NodeJS.CallSite[]) =>
      types.isNativeError(error) && Error.prepareStackTrace
        ? Error.prepareStackTrace(error, frames)
        : `${Error.prototype.toString.call(error)}${frames.map((frame) => `\n    at ${frame}`).join("")}`;

    // hcl2json is loaded in this realm, once per worker (Node's module cache), at the first
    // parse. Its trees and errors are rebuilt with the test realm's JSON and Error, so they are
    // the test file's own objects, as those of a copy loaded there would be.
    const testJson = this.global.JSON as JSON;
    const TestError = this.global.Error as ErrorConstructor;
    const shared: WorkerHcl2json = {
      async parse(filename, contents) {
        const hcl2json = await import("@cdktf/hcl2json");
        let tree: Record<string, any>;
        try {
          tree = await hcl2json.parse(filename, contents);
        } catch (error) {
          throw new TestError((error as Error).message);
        }
        return testJson.parse(JSON.stringify(tree));
      },
    };
    this.global[WORKER_HCL2JSON as unknown as string] = shared;
  }
}
