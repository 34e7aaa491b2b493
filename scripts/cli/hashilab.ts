#!/usr/bin/env node
/**
 * `hashilab <command> [args]`, the package's bin. Each command is a module exporting
 * `run(args): number | Promise<number>` (the exit code), loaded only when it is called.
 */
export const COMMANDS: Readonly<Record<string, () => Promise<{ run(args: readonly string[]): number | Promise<number> }>>> = {
  "import-job": () => import("../import-job/cli"),
  init: () => import("../init/cli"),
  synth: () => import("./synth"),
};

async function main([name, ...args]: readonly string[]): Promise<number> {
  const load = name === undefined ? undefined : COMMANDS[name];
  if (!load) {
    const known = Object.keys(COMMANDS).join(", ");
    console.error(`hashilab: ${name === undefined ? "no command given" : `unknown command "${name}"`}; run hashilab <command> with one of ${known}, e.g. npx hashilab init my-homelab.`);
    return 1;
  }
  return (await load()).run(args);
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
