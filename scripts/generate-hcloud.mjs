#!/usr/bin/env node
// Generates .gen/providers/hcloud from the vendored provider schema, offline.
// There is no prebuilt @cdktf/provider-hcloud, and `cdktf get` needs the network to
// download the provider; this runs the same generator `cdktf get` uses on a schema we
// keep in git, so `npm ci` is enough on an offline machine.
import { createRequire } from "node:module";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

process.env.CHECKPOINT_DISABLE = "1";
const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const schemaPath = join(root, "providers", "hcloud", "schema.json");
const outDir = join(root, ".gen");
const stampPath = join(outDir, "providers", "hcloud", ".schema-stamp");

const cdktfJson = JSON.parse(readFileSync(join(root, "cdktf.json"), "utf8"));
const constraintText = cdktfJson.terraformProviders.find((p) => p.startsWith("hetznercloud/hcloud@"));
if (!constraintText) {
  throw new Error('cdktf.json: terraformProviders must list "hetznercloud/hcloud@<version>"');
}
const version = constraintText.split("@")[1].replace(/^[=\s]+/, "");
const schemaText = readFileSync(schemaPath, "utf8");
const generatorVersion = require("@cdktf/provider-generator/package.json").version;
const stamp = createHash("sha256").update(`${generatorVersion}\n${constraintText}\n${schemaText}`).digest("hex");

if (existsSync(stampPath) && readFileSync(stampPath, "utf8") === stamp) {
  console.log(`hcloud bindings up to date (hetznercloud/hcloud ${version})`);
  process.exit(0);
}

const { CodeMaker, TerraformProviderGenerator } = require("@cdktf/provider-generator");
const { ConstructsMakerProviderTarget, TerraformProviderConstraint, Language } = require("@cdktf/commons");

const schema = JSON.parse(schemaText);
const fqpn = "registry.terraform.io/hetznercloud/hcloud";
if (!schema.provider_schemas?.[fqpn]) {
  throw new Error(`${schemaPath}: no provider_schemas["${fqpn}"]`);
}
// `terraform providers schema -json` does not carry versions; `cdktf get` adds them the same way.
schema.provider_versions = { [fqpn]: version };

const code = new CodeMaker();
const generator = new TerraformProviderGenerator(code, schema);
generator.generate(
  new ConstructsMakerProviderTarget(new TerraformProviderConstraint(constraintText), Language.TYPESCRIPT),
);
rmSync(join(outDir, "providers", "hcloud"), { recursive: true, force: true });
await code.save(outDir);
mkdirSync(dirname(stampPath), { recursive: true });
writeFileSync(stampPath, stamp);
console.log(`generated .gen/providers/hcloud (hetznercloud/hcloud ${version})`);
