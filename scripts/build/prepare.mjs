#!/usr/bin/env node
// npm's `prepare` script. Always: generate the hcloud bindings (what `npm ci` needs in this
// repository). And when npm prepares hashilab as a git dependency
// (`npm install git+https://…/hashilab.git`), build dist/ too: npm clones the repository,
// runs `npm install` in the clone (which runs `prepare`, with _PACOTE_NO_PREPARE_ in the
// environment), runs `prepare` once more (with npm_package_resolved set) and packs the
// clone's `files`, without running `prepack` (npm 11's pacote, lib/git.js #prepareDir and
// lib/dir.js #prepareDir). Without dist/ that package would hold only LICENSE, README and
// package.json.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(process.execPath, [join(root, "scripts", "generate-hcloud.mjs")]);
const asGitDependency = process.env._PACOTE_NO_PREPARE_ !== undefined || process.env.npm_package_resolved !== undefined;
if (asGitDependency && !existsSync(join(root, "dist", "constructs", "index.js"))) run("npm", ["run", "build"]);
