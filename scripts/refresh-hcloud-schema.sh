#!/usr/bin/env bash
# Regenerates providers/hcloud/schema.json from the real hetznercloud/hcloud provider.
#
# Needs network access to the Terraform registry, `terraform` (>= 1.1) and `node` on PATH.
# Usage: scripts/refresh-hcloud-schema.sh [VERSION]     (default: the version below)
#
# The output keeps only format_version and the hcloud provider's provider, resource_schemas
# and data_source_schemas (the parts the cdktf binding generator reads), with 2-space
# indentation and sorted keys in every name-keyed map. Review the diff before committing,
# and keep the hetznercloud/hcloud version in cdktf.json in step with it.
set -euo pipefail

version="${1:-1.68.0}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${root}/providers/hcloud/schema.json"

for tool in terraform node; do
  if ! command -v "${tool}" >/dev/null 2>&1; then
    echo "refresh-hcloud-schema: '${tool}' is not on PATH" >&2
    exit 1
  fi
done

workdir="$(mktemp -d "${TMPDIR:-/tmp}/hcloud-schema.XXXXXX")"
cleanup() { rm -rf "${workdir}"; }
trap cleanup EXIT

cat >"${workdir}/main.tf" <<EOF
terraform {
  required_providers {
    hcloud = {
      source  = "hetznercloud/hcloud"
      version = "${version}"
    }
  }
}
EOF

export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
terraform -chdir="${workdir}" init -input=false -no-color -backend=false >"${workdir}/init.log" 2>&1 || {
  cat "${workdir}/init.log" >&2
  echo "refresh-hcloud-schema: terraform init failed" >&2
  exit 1
}
terraform -chdir="${workdir}" providers schema -json >"${workdir}/raw.json"

tmp_out="${workdir}/schema.json"
node - "${workdir}/raw.json" "${tmp_out}" <<'EOF'
const fs = require("fs");
const [rawPath, outPath] = process.argv.slice(2);
const fqpn = "registry.terraform.io/hetznercloud/hcloud";
const raw = JSON.parse(fs.readFileSync(rawPath, "utf8"));
const p = raw.provider_schemas && raw.provider_schemas[fqpn];
if (!p) {
  console.error(`no provider_schemas["${fqpn}"] in terraform output`);
  process.exit(1);
}
// Maps keyed by names get sorted keys; struct-like objects keep terraform's field order.
const MAPS = new Set(["attributes", "block_types", "resource_schemas", "data_source_schemas"]);
function norm(value, key) {
  if (Array.isArray(value)) return value.map((v) => norm(v, undefined));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (MAPS.has(key)) keys.sort();
  const o = {};
  for (const k of keys) o[k] = norm(value[k], k);
  return o;
}
const out = {
  format_version: raw.format_version,
  provider_schemas: {
    [fqpn]: norm(
      {
        provider: p.provider,
        resource_schemas: p.resource_schemas || {},
        data_source_schemas: p.data_source_schemas || {},
      },
      undefined,
    ),
  },
};
fs.writeFileSync(outPath, JSON.stringify(out, null, 2) + "\n");
const n = (o) => Object.keys(o || {}).length;
console.log(`hetznercloud/hcloud: ${n(p.resource_schemas)} resources, ${n(p.data_source_schemas)} data sources`);
EOF

mv "${tmp_out}" "${out}"
echo "wrote ${out#"${root}"/} (hetznercloud/hcloud ${version})"

if ! grep -q "hetznercloud/hcloud@= *${version}\"" "${root}/cdktf.json" 2>/dev/null; then
  echo "note: cdktf.json does not pin hetznercloud/hcloud@= ${version}; update it to match" >&2
fi
