import { App } from "cdktf";
import { SynthProblems } from "../../constructs/core";
import { EnvironmentConfig } from "../../environments";
import { addEnvironment } from "../../stacks/environment";

/** The problems addEnvironment throws for `env` (on a fresh App), one line per problem, "" for none. */
export function environmentError(env: unknown): string {
  try {
    addEnvironment(new App(), env as EnvironmentConfig);
  } catch (error) {
    if (error instanceof SynthProblems) return error.message;
    throw error;
  }
  return "";
}

/** The message `build` throws as a SynthProblems; fails the test when it throws nothing. */
export function synthError(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    if (error instanceof SynthProblems) return error.message;
    throw error;
  }
  throw new Error("expected a synth error, got none");
}

/** `value` with the field at `path` replaced (or removed, for undefined): an environment a JSON file or JavaScript could hold. */
export function withField(value: unknown, path: readonly (string | number)[], replacement: unknown): any {
  if (path.length === 0) return replacement;
  const [key, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  const next = withField(copy[key], rest, replacement);
  if (next === undefined && rest.length === 0) delete copy[key];
  else copy[key] = next;
  return copy;
}
