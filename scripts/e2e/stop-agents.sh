#!/usr/bin/env bash
# Stops the agents start-agents.sh started (by their recorded pids) and prints their logs' tails.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

for agent in nomad consul; do
  pidfile="$E2E_DIR/$agent.pid"
  if [ -f "$pidfile" ]; then
    pid="$(cat "$pidfile")"
    if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo kill "$pid" 2>/dev/null; else kill "$pid" 2>/dev/null; fi
    rm -f "$pidfile"
  fi
  if [ -f "$E2E_DIR/logs/$agent.log" ]; then
    echo "--- last lines of $agent.log"
    tail -n 50 "$E2E_DIR/logs/$agent.log"
  fi
done
exit 0
