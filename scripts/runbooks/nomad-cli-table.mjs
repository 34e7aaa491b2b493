#!/usr/bin/env node
// Writes the table of Nomad CLI commands and their flags at a release, read from Nomad's own
// command sources: node scripts/runbooks/nomad-cli-table.mjs <nomad git dir> <tag> > scripts/runbooks/cli/nomad.json
// command/commands.go maps each command name to its type; every method of that type that
// defines a flag (flags.BoolVar(&x, "name", ...), the Meta.FlagSet general flags with
// FlagSetClient) contributes. Reads git objects only: no checkout, no network.
import { flagKinds, generatorArgs, gitRelease, methodsByReceiver, writeTable } from "./cli-table.mjs";

const { gitDir, tag } = generatorArgs("nomad-cli-table.mjs", "nomad");
const release = gitRelease(gitDir, tag);

const registry = release.show("command/commands.go");
const commands = {};
for (const match of registry.matchAll(/^\t\t"([a-z][a-z0-9 -]*)": func\(\) \(cli\.Command, error\) \{([\s\S]*?)^\t\t\},/gm)) {
  // A type of another package (agent.Command) is named with it.
  const types = [...match[2].matchAll(/&((?:\w+\.)?\w+)\{/g)].map((m) => m[1]).filter((t) => t !== "DeprecatedCommand" && t !== "Meta");
  if (types.length > 0) commands[match[1]] = types[0];
}

// Every method body of every type, by receiver type, in command/ and its direct subpackages.
const methods = {};
for (const file of release.goFiles("command").filter((f) => /^command\/([^/]+\/)?[^/]+\.go$/.test(f))) {
  const source = release.read(file);
  if (source === undefined) continue;
  const pkg = file.split("/").length === 3 ? `${file.split("/")[1]}.` : "";
  for (const [type, bodies] of Object.entries(methodsByReceiver(source, pkg))) (methods[type] ??= []).push(...bodies);
}
const GENERAL = release.show("command/meta.go").match(/if fs&FlagSetClient != 0 \{([\s\S]*?)\n\t\}/)[1];

const table = {};
for (const [name, type] of Object.entries(commands)) {
  const bodies = (methods[type] ?? []).join("\n");
  const flags = flagKinds(bodies);
  if (/FlagSet\(.*FlagSet(Client|Default)\)/.test(bodies)) Object.assign(flags, flagKinds(GENERAL));
  table[name] = flags;
}
writeTable({
  cli: "nomad",
  tag,
  source: `https://github.com/hashicorp/nomad/tree/${release.commit}/command (commands.go, meta.go, each command's methods)`,
  generatedBy: "scripts/runbooks/nomad-cli-table.mjs",
  unreadable: release.unreadable,
  commands: table,
});
