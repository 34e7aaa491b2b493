import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** Template files whose name npm would drop from the package (it never packs a .gitignore). */
const RENAMED: Readonly<Record<string, string>> = { gitignore: ".gitignore" };

/** hashilab's package folder, above this module (scripts/init/ here, dist/scripts/init/ when installed). */
function packageRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file) && JSON.parse(readFileSync(file, "utf8")).name === "hashilab") return dir;
  }
  throw new Error(`no hashilab package.json above ${__dirname}`);
}

/** The template the new project's files come from; the package ships it from its source folder. */
export const TEMPLATE_DIR = join(packageRoot(), "scripts", "init", "template");

/** hashilab's own package.json. */
export function ownManifest(): { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> } {
  return JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8"));
}

/**
 * The new project's package.json. Every tool is pinned to the version hashilab is built and
 * tested with: TypeScript 5.9 in particular, since the registry's latest (7) rejects options
 * that cdktf projects commonly use.
 */
export function projectManifest(name: string, hashilabSpec: string): Record<string, unknown> {
  const own = ownManifest();
  const pin = (deps: Record<string, string>, names: readonly string[]) => Object.fromEntries(names.map((n) => [n, deps[n]]));
  return {
    name,
    version: "0.1.0",
    private: true,
    scripts: {
      synth: "hashilab synth",
      test: "tsc --noEmit && node --import tsx --test __tests__/*.test.ts",
    },
    dependencies: {
      hashilab: hashilabSpec,
      ...pin(own.dependencies, ["@cdktf/provider-nomad"]),
      ...pin(own.devDependencies, ["cdktf", "constructs"]),
    },
    devDependencies: pin(own.devDependencies, ["@types/node", "cdktf-cli", "tsx", "typescript"]),
    allowScripts: allowScripts(hashilabSpec),
  };
}

/**
 * npm 11 records in the project's `allowScripts` which dependencies may run install scripts
 * (npm docs, "npm install-scripts"; the `prepare` that builds hashilab from a git URL is one).
 * A git dependency is matched by its URL without the committish (arborist
 * lib/script-allowed.js, matchGit). The two other packages with install scripts are recorded
 * as reviewed and denied: hashilab is tested without them (esbuild's binary check, node-pty's
 * prebuild copy, which synthesizing does not use).
 */
function allowScripts(hashilabSpec: string): Record<string, boolean> {
  const fromGit = /^(git\+|git:|github:|gitlab:|bitbucket:)/.test(hashilabSpec);
  return { ...(fromGit ? { [hashilabSpec.replace(/#.*$/, "")]: true } : {}), "@cdktf/node-pty-prebuilt-multiarch": false, esbuild: false };
}

/**
 * A package-lock.json seeded with hashilab's own (shipped as locked-versions.json): `npm
 * install --package-lock-only` then keeps the versions it locks, so the new project gets the
 * dependency tree hashilab is tested with, and drops what the project does not use.
 */
export function seedLockfile(manifest: Record<string, any>): string | undefined {
  const file = join(__dirname, "locked-versions.json");
  const own = existsSync(file) ? file : join(packageRoot(), "package-lock.json");
  if (!existsSync(own)) return undefined;
  const lock = JSON.parse(readFileSync(own, "utf8"));
  const root = { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies };
  return `${JSON.stringify({ ...lock, name: manifest.name, version: manifest.version, packages: { ...lock.packages, "": root } }, null, 2)}\n`;
}

/** The project's files by path: the template's, with {{name}} filled in, and its package.json. */
export function projectFiles(name: string, hashilabSpec: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else files.set(`${prefix}${RENAMED[entry.name] ?? entry.name}`, readFileSync(join(dir, entry.name), "utf8").split("{{name}}").join(name));
    }
  };
  walk(TEMPLATE_DIR, "");
  const manifest = projectManifest(name, hashilabSpec);
  files.set("package.json", `${JSON.stringify(manifest, null, 2)}\n`);
  const lock = seedLockfile(manifest);
  if (lock) files.set("package-lock.json", lock);
  return files;
}
