#!/usr/bin/env node
/**
 * The `hashilab` command: `hashilab <command> [args...]`. Each command is a module loaded only
 * when it runs, exporting `run(args)` that resolves to the exit code.
 */
interface Command {
  run(args: readonly string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  "import-job": () => import("../import-job/cli"),
};

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  const load = name === undefined ? undefined : COMMANDS[name];
  if (load === undefined) {
    process.stderr.write(`usage: hashilab <command> [args...]\ncommands: ${Object.keys(COMMANDS).join(", ")}\n`);
    return 2;
  }
  return (await load()).run(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
