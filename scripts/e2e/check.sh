#!/usr/bin/env bash
# Checks the deployed dev environment through the Nomad API and DNS:
#   every service job is running with a running allocation in each task group, and
#   CoreDNS answers <service>.<domain> (it-tools.lab.example.com by default) with an address.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

E2E_DNS_NAME="${E2E_DNS_NAME:-it-tools.lab.example.com}"
E2E_DNS_SERVER="${E2E_DNS_SERVER:-127.0.0.1}"
E2E_TIMEOUT="${E2E_TIMEOUT:-300}"

here="$(dirname "$0")"
# The management token the acl stack bootstrapped, from deploy.sh's outputs file.
NOMAD_TOKEN="$(node "$here/read-output.mjs" "$E2E_DIR/outputs.json" "$E2E_ENV-acl" nomad_token)"

nomad_get() {
  curl -fsS -H "X-Nomad-Token: $NOMAD_TOKEN" "$NOMAD_ADDR$1"
}

# Service jobs that are not (yet) running everywhere, one per line.
not_running_services() {
  nomad_get '/v1/jobs?namespace=*' | node "$here/service-jobs.mjs" --pending
}

all_services_running() {
  local pending
  pending="$(not_running_services)" || return 1
  if [ -n "$pending" ]; then
    echo "waiting for: $pending" >&2
    return 1
  fi
}

dns_answers() {
  local answer
  answer="$(dig +short +time=2 +tries=1 -p 53 "@$E2E_DNS_SERVER" "$E2E_DNS_NAME" A)" || return 1
  if ! grep -Eq '^[0-9]+(\.[0-9]+){3}$' <<<"$answer"; then
    echo "no A record for $E2E_DNS_NAME yet: ${answer:-(empty)}" >&2
    return 1
  fi
  echo "$E2E_DNS_NAME -> $(tr '\n' ' ' <<<"$answer")"
}

retry_for "$E2E_TIMEOUT" all_services_running
nomad_get '/v1/jobs?namespace=*' | node "$here/service-jobs.mjs" --list
retry_for 120 dns_answers
