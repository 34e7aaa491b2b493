#!/usr/bin/env node
// Writes the table of Consul CLI commands and their flags at a release, read from Consul's own
// command sources: node scripts/runbooks/consul-cli-table.mjs <consul git dir> <tag> > scripts/runbooks/cli/consul.json
// command/registry.go maps each command name (entry{"name", ...}) to the package whose New()
// builds it, and its imports map the package to its folder. Every flag the folder's files define
// counts, with the HTTP API flag sets merged in (c.http.ClientFlags(), ServerFlags(), ...: the
// methods of HTTPFlags in command/flags/ that return a flag set, and the sets those merge in).
// A flag.Value field (fs.Var(&f.stale, "stale", ...)) is a boolean flag when its type has
// IsBoolFlag (command/flags/). `consul agent` takes its flags from config.AddFlags
// (agent/config/flags.go), whose add(&f.FlagValues.<field>, "name", ...) is a boolean flag for a
// *bool field of agent/config/config.go. Reads git objects only: no checkout, no network.
import { flagKinds, generatorArgs, gitRelease, methodsByReceiver, writeTable } from "./cli-table.mjs";

const { gitDir, tag } = generatorArgs("consul-cli-table.mjs", "consul");
const release = gitRelease(gitDir, tag);
const registry = release.show("command/registry.go");

/** The Go sources directly in a folder (not its subfolders), as one text. */
const folderSource = (dir) =>
  release
    .goFiles(dir)
    .filter((f) => f.slice(dir.length + 1).indexOf("/") === -1)
    .map((f) => release.read(f) ?? "")
    .join("\n");

// Import name (its alias, or the folder's last element) → folder.
const folders = {};
for (const m of registry.matchAll(/^\t(?:(\w+) )?"github\.com\/hashicorp\/consul\/(command\/[^"]+)"$/gm)) folders[m[1] ?? m[2].split("/").pop()] = m[2];

const commands = {};
const unresolved = [];
for (const m of registry.matchAll(/entry\{"([a-z][a-z0-9 -]*)",\s*func\([^)]*\) \(cli\.Command, error\) \{([\s\S]*?)\}\}/g)) {
  const pkg = [...m[2].matchAll(/\b(\w+)\.\w+\(/g)].map((p) => p[1]).find((name) => folders[name]);
  if (pkg) commands[m[1]] = folders[pkg];
  else unresolved.push(m[1]);
}
if (Object.keys(commands).length === 0 || unresolved.length > 0) {
  console.error(`consul-cli-table.mjs: ${Object.keys(commands).length} commands read from command/registry.go; no package for: ${unresolved.join(", ") || "(none)"}`);
  process.exit(1);
}

const FLAGS = folderSource("command/flags");
const BOOL_VALUE_TYPES = new Set([...FLAGS.matchAll(/^func \(\w+ \*?(\w+)\) IsBoolFlag\(\) bool/gm)].map((m) => m[1]));
/** Whether `field`, declared in `source`'s structs, has a boolean flag.Value type. */
const isBoolValueIn = (source) => (field) => {
  const type = source.match(new RegExp(`^\\s+${field}\\s+\\*?(?:flags\\.)?(\\w+)\\s*(?://.*)?$`, "m"))?.[1];
  return type !== undefined && BOOL_VALUE_TYPES.has(type);
};

// HTTPFlags' flag sets, each with the sets it merges in (f.NamespaceFlags() inside MultiTenancyFlags()).
const HTTP_SETS = Object.fromEntries(
  (methodsByReceiver(FLAGS).HTTPFlags ?? [])
    .map((body) => body.match(/^func \(\w+ \*HTTPFlags\) (\w+)\(\) \*flag\.FlagSet \{/))
    .filter(Boolean)
    .map((m) => [m[1], m.input]),
);
const httpSet = (name, seen = new Set()) => {
  if (seen.has(name)) return {};
  seen.add(name);
  const body = HTTP_SETS[name];
  const nested = [...body.matchAll(/\.(\w+)\(\)/g)].map((m) => m[1]).filter((n) => HTTP_SETS[n] && n !== name);
  return Object.assign({}, ...nested.map((n) => httpSet(n, seen)), flagKinds(body, isBoolValueIn(FLAGS)));
};

/** `consul agent`'s flags: config.AddFlags. */
function agentFlags() {
  const source = release.show("agent/config/flags.go");
  const config = release.show("agent/config/config.go");
  const flags = flagKinds(source);
  for (const m of source.matchAll(/\badd\(&\w+\.([\w.]+),\s*"([a-z0-9-]+)"/g)) {
    const field = m[1].split(".").pop();
    flags[m[2]] = new RegExp(`^\\s+${field}\\s+\\*bool\\b`, "m").test(config) ? "bool" : "value";
  }
  return flags;
}

const table = {};
for (const [name, folder] of Object.entries(commands)) {
  const source = folderSource(folder);
  const merged = [...source.matchAll(/\.http\.(\w+)\(\)/g)].map((m) => m[1]).filter((n) => HTTP_SETS[n]);
  table[name] = Object.assign(
    {},
    ...merged.map((n) => httpSet(n)),
    /\bconfig\.AddFlags\(/.test(source) ? agentFlags() : {},
    flagKinds(source, isBoolValueIn(source)),
  );
}
writeTable({
  cli: "consul",
  tag,
  source: `https://github.com/hashicorp/consul/tree/${release.commit}/command (registry.go, flags/, each command's package; agent: agent/config/flags.go)`,
  generatedBy: "scripts/runbooks/consul-cli-table.mjs",
  unreadable: release.unreadable,
  commands: table,
});
