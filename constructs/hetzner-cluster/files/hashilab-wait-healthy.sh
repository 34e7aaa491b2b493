#!/bin/bash
# hashilab-wait-healthy.sh AGENT...: after a delivery (re)started the agents, waits until each
# (consul, nomad) answers its local HTTPS API, so that an agent which crashes or never starts
# fails the delivery with its log instead of passing silently. Any HTTP answer counts: a Nomad
# server answers /v1/agent/health with 500 until the cluster has a leader, which on the first
# deploy waits for the other servers. Neither endpoint needs an ACL token.
set -euo pipefail
ca=/etc/hashilab/tls/ca.pem
# HASHILAB_WAIT_* only exist for tests: 60 attempts 2 s apart, each at most 3 s: 2 to 5 minutes.
attempts=${HASHILAB_WAIT_ATTEMPTS:-60}
interval=${HASHILAB_WAIT_INTERVAL_SECONDS:-2}

health_url() {
  case $1 in
    consul) echo https://127.0.0.1:8501/v1/status/leader ;;
    nomad) echo https://127.0.0.1:4646/v1/agent/health ;;
    *)
      echo "hashilab: no health endpoint known for agent '$1'" >&2
      return 2
      ;;
  esac
}

# fail AGENT MESSAGE: says why, with the unit's state and last log lines, and stops.
fail() {
  echo "hashilab: $1 $2" >&2
  systemctl status --no-pager --lines=0 "$1.service" >&2 || true
  journalctl --unit "$1.service" --no-pager --lines=30 >&2 || true
  exit 1
}

for agent in "$@"; do
  url=$(health_url "$agent")
  for ((attempt = 1; ; attempt++)); do
    # An agent whose start condition failed (a delivered file missing) or that systemd gave up
    # restarting will never answer: say so at once.
    state=$(systemctl is-active "$agent.service" || true)
    case $state in
      inactive | failed) fail "$agent" "is $state after the delivery (re)started it; see its log below" ;;
    esac
    # curl prints 000 when nothing answered: connection refused, TLS failure or timeout.
    status=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 3 --cacert "$ca" "$url" || true)
    if [ -n "$status" ] && [ "$status" != 000 ]; then
      echo "hashilab: $agent answers $url (HTTP $status)"
      break
    fi
    if [ "$attempt" -ge "$attempts" ]; then
      why=$(curl --silent --show-error --output /dev/null --max-time 3 --cacert "$ca" "$url" 2>&1 || true)
      fail "$agent" "did not answer $url after $attempts attempts ($why); is it crashing? See its log below"
    fi
    sleep "$interval"
  done
done
