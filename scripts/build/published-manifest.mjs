#!/usr/bin/env node
// `prepack` / `postpack`: the published package.json carries no `prepare` script. npm 11 lists a
// non-registry dependency's `prepare` among the install scripts its consumers must review
// (a release tarball URL is such a source), and the tarball needs no preparation: dist/ is in it.
//   node scripts/build/published-manifest.mjs strip     (prepack, after the build)
//   node scripts/build/published-manifest.mjs restore   (postpack)
// The repository's package.json waits in .package.json.packing (git-ignored, never packed)
// meanwhile. npm skips postpack when the pack fails, so `strip` first restores a copy that a
// failed pack left behind: the repository's package.json is never lost.
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const manifest = join(root, "package.json");
const saved = join(root, ".package.json.packing");

function restore() {
  if (!existsSync(saved)) return;
  copyFileSync(saved, manifest);
  rmSync(saved);
}

const mode = process.argv[2];
if (mode === "strip") {
  restore();
  copyFileSync(manifest, saved);
  const pkg = JSON.parse(readFileSync(manifest, "utf8"));
  delete pkg.scripts.prepare;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (mode === "restore") {
  restore();
} else {
  console.error("published-manifest: pass strip (prepack) or restore (postpack).");
  process.exit(1);
}
