#!/usr/bin/env node
// Copies the files the compiled library reads at synth time (next to its modules, via
// __dirname) into dist/, at the same relative paths tsc gives the JavaScript.
import { cpSync, existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// Library folders: every non-TypeScript file in them ships (shell scripts, nft rules, ...).
const LIBRARY_DIRS = ["constructs", "policies"];
// Files outside them that library code reads (constructs/acl-bootstrap reads the script).
const EXTRA_FILES = ["scripts/acl-bootstrap.mjs"];
// This repository's lockfile, which `hashilab init` seeds a new project's lockfile with (so the
// project installs the dependency tree hashilab is tested with); npm never packs a file named
// package-lock.json.
const LOCKFILE = { from: "package-lock.json", to: "dist/scripts/init/locked-versions.json" };

function* assets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* assets(path);
    else if (!name.endsWith(".ts")) yield path;
  }
}

for (const dir of LIBRARY_DIRS) {
  for (const file of assets(join(root, dir))) cpSync(file, join(root, "dist", relative(root, file)));
}
for (const file of EXTRA_FILES) {
  if (existsSync(join(root, file))) cpSync(join(root, file), join(root, "dist", file));
}
cpSync(join(root, LOCKFILE.from), join(root, LOCKFILE.to));
