#!/usr/bin/env bash
# Deploys the dev environment's acl, platform and workloads stacks, in that order, with the
# project's own cdktf CLI. Terraform variables come from TF_VAR_* in the environment; for
# the end-to-end run on throwaway agents, unset ones get throwaway values (the Traefik
# dashboard login an htpasswd line, others random hex).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
export CHECKPOINT_DISABLE=1

if [ -z "${TF_VAR_traefik_basic_auth:-}" ]; then
  TF_VAR_traefik_basic_auth="e2e:$(openssl passwd -apr1 "$(openssl rand -hex 16)")"
  export TF_VAR_traefik_basic_auth
fi

mkdir -p "$E2E_DIR"
npx cdktf synth
node "$(dirname "$0")/throwaway-vars.mjs" cdktf.out "${E2E_STACKS[@]}" >"$E2E_DIR/throwaway-vars"
while IFS='=' read -r name value; do
  echo "throwaway value for variable $name"
  export "TF_VAR_$name=$value"
done <"$E2E_DIR/throwaway-vars"

npx cdktf deploy "${E2E_STACKS[@]}" --auto-approve --outputs-file "$E2E_DIR/outputs.json" --outputs-file-include-sensitive-outputs
