#!/usr/bin/env bash
# Shared settings of the end-to-end scripts; sourced, not run.
# shellcheck disable=SC2034  # the variables are used by the scripts that source this file
E2E_DIR="${E2E_DIR:-$PWD/.e2e}"
NOMAD_ADDR="${NOMAD_ADDR:-http://127.0.0.1:4646}"
CONSUL_HTTP_ADDR="${CONSUL_HTTP_ADDR:-http://127.0.0.1:8500}"
# The dev environment's stacks, in deploy order (no hosts stack: the agents run here).
E2E_ENV="${E2E_ENV:-dev}"
E2E_STACKS=("$E2E_ENV-acl" "$E2E_ENV-platform" "$E2E_ENV-workloads")

# Polls "$@" once a second until it succeeds or $1 seconds have passed.
retry_for() {
  local seconds="$1"
  shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      echo "gave up after ${seconds}s: $*" >&2
      return 1
    fi
    sleep 1
  done
}
