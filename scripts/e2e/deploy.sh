#!/usr/bin/env bash
# Deploys the dev environment's acl, platform and workloads stacks, in that order, with the
# project's own cdktf CLI. Terraform variables the stacks need come from TF_VAR_* in the
# environment; for the end-to-end run the Traefik dashboard login is a throwaway one.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

if [ -z "${TF_VAR_traefik_basic_auth:-}" ]; then
  TF_VAR_traefik_basic_auth="e2e:$(openssl passwd -apr1 "$(openssl rand -hex 16)")"
  export TF_VAR_traefik_basic_auth
fi
export CHECKPOINT_DISABLE=1
npx cdktf deploy "${E2E_STACKS[@]}" --auto-approve --outputs-file "$E2E_DIR/outputs.json" --outputs-file-include-sensitive-outputs
