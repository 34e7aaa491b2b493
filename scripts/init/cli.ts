/**
 * `npx hashilab init <dir> [--hashilab <npm spec>] [--no-lockfile]`: writes a new cdktf
 * project that depends on hashilab into <dir>, then resolves its package-lock.json (for
 * `npm ci`) with `npm install --package-lock-only`, which honours npm's configuration
 * (npm_config_offline=true to resolve from the cache alone).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ownManifest, projectFiles } from "./scaffold";

const USAGE = "npx hashilab init <dir> [--hashilab <npm spec>] [--no-lockfile]";

/** npm's rule for a new package name: lowercase, URL-safe, at most 214 characters. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9._-]{0,213}$/;

function fail(message: string): number {
  console.error(`init: ${message}`);
  return 1;
}

export function run(args: readonly string[]): number {
  const rest = [...args];
  let spec: string | undefined;
  let lockfile = true;
  const positional: string[] = [];
  while (rest.length > 0) {
    const arg = rest.shift()!;
    if (arg === "--hashilab") {
      spec = rest.shift();
      if (!spec || spec.startsWith("-")) return fail(`--hashilab needs an npm spec after it (a version, git+https://… URL, tarball URL or file: path); run ${USAGE}.`);
    } else if (arg === "--no-lockfile") lockfile = false;
    else if (arg.startsWith("-")) return fail(`unknown option ${arg}; run ${USAGE}.`);
    else positional.push(arg);
  }
  if (positional.length !== 1) return fail(`${positional.length === 0 ? "no directory given" : `one directory expected, got ${positional.join(" ")}`}; run ${USAGE}, e.g. npx hashilab init my-homelab.`);
  const dir = resolve(positional[0]);
  const name = basename(dir);
  if (!PACKAGE_NAME.test(name)) return fail(`"${name}" cannot name an npm package; pick a folder name of lowercase letters, digits, dots, dashes and underscores, e.g. my-homelab.`);
  if (existsSync(dir) && readdirSync(dir).length > 0) return fail(`${dir} is not empty; pick a new folder (init writes package.json, main.ts and more and overwrites nothing).`);
  const files = projectFiles(name, spec ?? ownManifest().version);
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  if (lockfile) {
    const npm = spawnSync("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (npm.status !== 0) {
      console.error(npm.stderr.trim());
      return fail(`the files are in ${dir} but npm could not resolve the dependencies (above); fix that (network, registry, --hashilab spec) and run npm install there.`);
    }
  }
  console.log(`Created ${name} in ${dir}. Next:\n  cd ${positional[0]}\n  npm ci\n  npm run synth\n  npm test`);
  return 0;
}
