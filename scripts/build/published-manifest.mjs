#!/usr/bin/env node
// `prepack` / `postpack`: the published package.json carries no `prepare` script. npm runs a
// dependency's `prepare` only for git and directory dependencies; the tarball already holds
// dist/, and a `prepare` pointing at scripts/ that the tarball does not ship only misleads.
//   node scripts/build/published-manifest.mjs strip     (prepack, after the build)
//   node scripts/build/published-manifest.mjs restore   (postpack)
// The repository's package.json is kept in dist/package.dev.json meanwhile (dist/ is rebuilt
// by every pack and only its listed folders are packed).
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const manifest = join(root, "package.json");
const saved = join(root, "dist", "package.dev.json");

const mode = process.argv[2];
if (mode === "strip") {
  copyFileSync(manifest, saved);
  const pkg = JSON.parse(readFileSync(manifest, "utf8"));
  delete pkg.scripts.prepare;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (mode === "restore") {
  if (existsSync(saved)) {
    copyFileSync(saved, manifest);
    rmSync(saved);
  }
} else {
  console.error("published-manifest: pass strip (prepack) or restore (postpack).");
  process.exit(1);
}
