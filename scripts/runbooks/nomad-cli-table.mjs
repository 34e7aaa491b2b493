#!/usr/bin/env node
// Writes the table of Nomad CLI commands and their flags at a release, read from Nomad's own
// command sources: node scripts/runbooks/nomad-cli-table.mjs <nomad git dir> <tag> > scripts/runbooks/cli/nomad.json
// command/commands.go maps each command name to its type; every method of that type that
// defines a flag (flags.BoolVar(&x, "name", ...), the Meta.FlagSet general flags with
// FlagSetClient) contributes. Reads git objects only: no checkout, no network.
import { execFileSync } from "node:child_process";

const [gitDir, tag] = process.argv.slice(2);
if (!gitDir || !tag) {
  console.error("usage: nomad-cli-table.mjs <nomad git dir> <tag>");
  process.exit(2);
}
const git = (...args) => execFileSync("git", ["-C", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
const show = (path) => git("show", `${tag}:${path}`);

const registry = show("command/commands.go");
const commands = {};
for (const match of registry.matchAll(/^\t\t"([a-z][a-z0-9 -]*)": func\(\) \(cli\.Command, error\) \{([\s\S]*?)^\t\t\},/gm)) {
  // A type of another package (agent.Command) is named with it.
  const types = [...match[2].matchAll(/&((?:\w+\.)?\w+)\{/g)].map((m) => m[1]).filter((t) => t !== "DeprecatedCommand" && t !== "Meta");
  if (types.length > 0) commands[match[1]] = types[0];
}

// Every method body of every type, by receiver type.
const files = git("ls-tree", "-r", "--name-only", tag, "command/")
  .split("\n")
  .filter((f) => /^command\/([^/]+\/)?[^/]+\.go$/.test(f) && !f.endsWith("_test.go"));
const methods = {};
// A mirror may leave its largest files out (generated UI assets): named in the output.
const unreadable = [];
for (const file of files) {
  let source;
  try {
    source = execFileSync("git", ["-C", gitDir, "show", `${tag}:${file}`], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    unreadable.push(file);
    continue;
  }
  const pkg = file.split("/").length === 3 ? `${file.split("/")[1]}.` : "";
  for (const m of source.matchAll(/^func \(\w+ \*?(\w+)\) \w+\([\s\S]*?^\}$/gm)) {
    (methods[pkg + m[1]] ??= []).push(m[0]);
  }
}
const GENERAL = show("command/meta.go").match(/if fs&FlagSetClient != 0 \{([\s\S]*?)\n\t\}/)[1];
// Each flag with its kind: "bool" flags take no separate value (-yes), the others take the
// next argument or "=value"; Go's flag package stops at the first argument that is no flag.
const flagKinds = (body) => {
  const kinds = {};
  for (const m of body.matchAll(/\.(String|Bool|Int|Int64|Uint|Uint64|Float64|Duration|Func|BoolFunc)?Var\([^,()]*(?:\([^()]*\)[^,()]*)*,\s*"([a-z0-9-]+)"/g)) {
    kinds[m[2]] = m[1] === "Bool" || m[1] === "BoolFunc" ? "bool" : "value";
  }
  for (const m of body.matchAll(/\.(String|Bool|Int|Int64|Uint64|Duration)\("([a-z0-9-]+)"/g)) kinds[m[2]] = m[1] === "Bool" ? "bool" : "value";
  // flags.Var((funcVar)(func(s string) error { ... }), "name", ...): a function that takes the value.
  for (const m of body.matchAll(/\}\),\s*"([a-z0-9-]+)"/g)) kinds[m[1]] ??= "value";
  return kinds;
};

const table = {};
for (const [name, type] of Object.entries(commands).sort(([a], [b]) => a.localeCompare(b))) {
  const bodies = (methods[type] ?? []).join("\n");
  const flags = flagKinds(bodies);
  if (/FlagSet\(.*FlagSet(Client|Default)\)/.test(bodies)) Object.assign(flags, flagKinds(GENERAL));
  table[name] = Object.fromEntries(Object.entries(flags).sort(([a], [b]) => a.localeCompare(b)));
}
const commit = git("rev-list", "-n", "1", tag).trim();
process.stdout.write(
  JSON.stringify(
    {
      cli: "nomad",
      version: tag.replace(/^v/, ""),
      source: `https://github.com/hashicorp/nomad/tree/${commit}/command (commands.go, meta.go, each command's methods)`,
      generatedBy: "scripts/runbooks/nomad-cli-table.mjs",
      unreadable,
      commands: table,
    },
    null,
    2,
  ) + "\n",
);
