import NodeEnvironment from "jest-environment-node";
import { types } from "node:util";

/**
 * jest's node environment, where only errors get jest's source-mapped stack traces. cdktf
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
  }
}
