// Runs the project's TypeScript with plain node: `node --require ./scripts/build/ts-loader.cjs main.ts`
// (cdktf.json's app). Each .ts file is transpiled once (esbuild, the transpiler tsx uses) and
// the JavaScript kept under node_modules/.cache/hashilab-ts, named by the hash of the source,
// the transpile options and the esbuild version; later runs only read it. What tsx costs on
// top, and this leaves out: ESM loader hooks in a worker thread that every require waits on,
// and source maps turned on for every stack trace (cdktf captures one per token: 0.3 s and
// 15 MB per synth of the app). Stack traces name the .ts file with the JavaScript's line; run
// with NODE_OPTIONS=--enable-source-maps for the TypeScript lines (each cached file carries
// its inline source map).
"use strict";
const { createHash } = require("node:crypto");
const { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { basename, dirname, join, resolve, sep } = require("node:path");

const ROOT = join(__dirname, "..", "..");
const CACHE_DIR = join(ROOT, "node_modules", ".cache", "hashilab-ts");
const ESBUILD_VERSION = require("esbuild/package.json").version;
// The project's compiler options (class-field semantics follow its target); esbuild reads
// tsconfig's JSON-with-comments itself. `import()` becomes require(), as tsc's "module":
// "commonjs" compiles it (node's own import() would not find an extensionless .ts file).
const TSCONFIG = readFileSync(join(ROOT, "tsconfig.json"), "utf8");
const OPTIONS = { loader: "ts", format: "cjs", target: "node20", supported: { "dynamic-import": false }, sourcemap: "inline", tsconfigRaw: TSCONFIG };
const OPTIONS_KEY = `${ESBUILD_VERSION}\0${JSON.stringify(OPTIONS)}\0`;

let esbuild;

// The source map names the file relative to itself, so checkouts at other paths (the review's
// base) share the cached file.
function transpile(source, name) {
  esbuild ??= require("esbuild");
  return esbuild.transformSync(source, { ...OPTIONS, sourcefile: name }).code;
}

function compiled(source, filename) {
  const name = basename(filename);
  const key = createHash("sha256").update(OPTIONS_KEY).update(name).update("\0").update(source).digest("hex");
  const file = join(CACHE_DIR, `${key}.js`);
  try {
    return readFileSync(file, "utf8");
  } catch {
    const code = transpile(source, name);
    mkdirSync(CACHE_DIR, { recursive: true });
    // Written whole, then renamed: a concurrent run reads the old state or the complete file.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, file);
    return code;
  }
}

Module._extensions[".ts"] = (module, filename) => {
  module._compile(compiled(readFileSync(filename, "utf8"), filename), filename);
};

// TypeScript resolves `./name` to name.ts before name.json or name.js; node's resolver tries
// .js and .json first. So the project's own relative imports look for the .ts file first.
const resolveFilename = Module._resolveFilename;
const NODE_MODULES = `${sep}node_modules${sep}`;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request.startsWith(".") && parent?.filename && !parent.filename.includes(NODE_MODULES)) {
    const candidate = `${resolve(dirname(parent.filename), request)}.ts`;
    if (existsSync(candidate)) return candidate;
  }
  return resolveFilename.call(this, request, parent, ...rest);
};
