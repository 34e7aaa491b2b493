import { createHash } from "node:crypto";

/**
 * A string that tells `value` apart from every other plain-data value (what JSON.stringify
 * loses kept: a key set to undefined, NaN, ±Infinity, -0), for keeping the last result of a
 * pure function of it. Undefined when `value` holds something that is not plain data (a
 * function, a symbol, a bigint, a class instance such as a cdktf token object): such a value
 * has no description, and its result must not be kept.
 */
export function describePlainData(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, describeLeaf as (key: string, value: unknown) => unknown);
  } catch (error) {
    if (error === NOT_PLAIN) return undefined;
    throw error;
  }
}

const NOT_PLAIN = Symbol("not plain data");

// Sentinels start with NUL, and so a string that starts with NUL gets one more: no two values meet.
// The holder's own value is checked too: JSON.stringify hands the replacer what toJSON made of it.
function describeLeaf(this: Record<string, unknown>, key: string, value: unknown): unknown {
  if (!Object.is(this[key], value)) throw NOT_PLAIN;
  switch (typeof value) {
    case "string":
      return value.startsWith("\0") ? `\0${value}` : value;
    case "undefined":
      return "\0undefined";
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : `\0number ${Object.is(value, -0) ? "-0" : String(value)}`;
    case "boolean":
      return value;
    case "object": {
      if (value === null) return value;
      // A property JSON does not show (not enumerable, or a symbol) would change nothing here.
      if (Reflect.ownKeys(value).length !== Object.keys(value).length + (Array.isArray(value) ? 1 : 0)) throw NOT_PLAIN;
      if (Array.isArray(value)) return value;
      const prototype = Object.getPrototypeOf(value);
      if (prototype === Object.prototype || prototype === null) return value;
      throw NOT_PLAIN;
    }
    default:
      throw NOT_PLAIN;
  }
}

/**
 * The last result of a pure function, kept while its inputs stay the same: a SHA-256 digest of
 * their description is kept (44 bytes, not a description of kilobytes). Inputs that are not
 * plain data have no description, and their result is computed every time.
 */
export class LastResult<T> {
  private last?: { readonly inputs: string; readonly result: T };

  /** `compute()`'s result for `inputs`, computed again only when `inputs` changed. */
  of(inputs: unknown, compute: () => T): T {
    const description = describePlainData(inputs);
    if (description === undefined) return compute();
    const digest = createHash("sha256").update(description).digest("base64");
    if (this.last?.inputs !== digest) this.last = { inputs: digest, result: compute() };
    return this.last.result;
  }
}
