#!/usr/bin/env bash
# Waits until Consul and Nomad each report a Raft leader (GET /v1/status/leader is not "").
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

has_leader() {
  local leader
  leader="$(curl -fsS "$1/v1/status/leader" 2>/dev/null)" || return 1
  [ -n "$leader" ] && [ "$leader" != '""' ]
}

retry_for "${E2E_TIMEOUT:-60}" has_leader "$CONSUL_HTTP_ADDR"
echo "consul has a leader"
retry_for "${E2E_TIMEOUT:-60}" has_leader "$NOMAD_ADDR"
echo "nomad has a leader"
