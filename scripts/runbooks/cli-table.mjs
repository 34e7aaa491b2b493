// What the CLI table generators (nomad-cli-table.mjs, consul-cli-table.mjs) share: reading a
// release's sources from git objects (no checkout, no network), reading Go flag definitions,
// and writing the table (scripts/runbooks/cli/<cli>.json, read by __tests__/runbooks.test.ts).
import { execFileSync } from "node:child_process";

/** The generator's two arguments, or its usage and exit 2. */
export function generatorArgs(script, cli) {
  const [gitDir, tag] = process.argv.slice(2);
  if (!gitDir || !tag) {
    console.error(`usage: ${script} <${cli} git dir> <tag>`);
    process.exit(2);
  }
  return { gitDir, tag };
}

/**
 * A release's files, read from git objects. A mirror may leave its largest files out (e.g.
 * generated UI assets): `read` returns undefined for those and lists them in `unreadable`,
 * which the table names.
 */
export function gitRelease(gitDir, tag) {
  const git = (...args) => execFileSync("git", ["-C", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] });
  const unreadable = [];
  return {
    commit: git("rev-list", "-n", "1", tag).trim(),
    unreadable,
    /** A file that must be there. */
    show: (path) => git("show", `${tag}:${path}`),
    /** A file the mirror may lack. */
    read(path) {
      try {
        return git("show", `${tag}:${path}`);
      } catch {
        unreadable.push(path);
        return undefined;
      }
    },
    /** The Go sources (tests left out) under `dir`, recursively. */
    goFiles: (dir) =>
      git("ls-tree", "-r", "--name-only", tag, `${dir}/`)
        .split("\n")
        .filter((f) => f.endsWith(".go") && !f.endsWith("_test.go")),
  };
}

/**
 * Each flag that Go code defines, with its kind: "bool" flags take no separate value (-yes),
 * the others take the next argument or "=value"; Go's flag package stops at the first
 * argument that is no flag. `isBoolValue(field)` tells whether the flag.Value a
 * `.Var(&x.field, "name", ...)` registers is a boolean one (IsBoolFlag); without it, such
 * flags take a value.
 */
export function flagKinds(body, isBoolValue = () => false) {
  const kinds = {};
  for (const m of body.matchAll(/\.(String|Bool|Int|Int64|Uint|Uint64|Float64|Duration|Func|BoolFunc)?Var\(([^,()]*(?:\([^()]*\)[^,()]*)*),\s*"([a-z0-9-]+)"/g)) {
    const field = m[1] === undefined ? m[2].trim().match(/^&?[\w.]*?(\w+)$/)?.[1] : undefined;
    kinds[m[3]] = m[1] === "Bool" || m[1] === "BoolFunc" || (field !== undefined && isBoolValue(field)) ? "bool" : "value";
  }
  for (const m of body.matchAll(/\.(String|Bool|Int|Int64|Uint64|Duration)\("([a-z0-9-]+)"/g)) kinds[m[2]] = m[1] === "Bool" ? "bool" : "value";
  // flags.Var((funcVar)(func(s string) error { ... }), "name", ...): a function that takes the value.
  for (const m of body.matchAll(/\}\),\s*"([a-z0-9-]+)"/g)) kinds[m[1]] ??= "value";
  return kinds;
}

/** Every method body in Go source, by receiver type (a type of another package named with it, e.g. "agent.Command"). */
export function methodsByReceiver(source, pkg = "") {
  const methods = {};
  for (const m of source.matchAll(/^func \(\w+ \*?(\w+)\) \w+\([\s\S]*?^\}$/gm)) (methods[pkg + m[1]] ??= []).push(m[0]);
  return methods;
}

/** An object with its keys sorted, so the table diffs well. */
export const sortedObject = (record) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

/** Prints the table as the runbook test reads it. */
export function writeTable({ cli, tag, source, generatedBy, unreadable, commands }) {
  const table = sortedObject(Object.fromEntries(Object.entries(commands).map(([name, flags]) => [name, sortedObject(flags)])));
  process.stdout.write(JSON.stringify({ cli, version: tag.replace(/^v/, ""), source, generatedBy, unreadable, commands: table }, null, 2) + "\n");
}
