#!/usr/bin/env bash
# Starts the agents the dev environment targets, in the background, logging to $E2E_DIR/logs:
#   consul agent -dev, with ACLs enabled (the acl stack bootstraps them; a plain -dev agent
#   has ACLs off and the bootstrap would fail), and
#   nomad agent -dev -acl-enabled, as root when possible (the exec driver and the DNS job's
#   port 53 need it).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
export PATH="$E2E_DIR/bin:$PATH"

mkdir -p "$E2E_DIR/logs"
as_root=()
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then
  as_root=(sudo --preserve-env=PATH)
fi

consul agent -dev -client 127.0.0.1 \
  -hcl 'acl { enabled = true default_policy = "deny" enable_token_persistence = true }' \
  >"$E2E_DIR/logs/consul.log" 2>&1 &
echo $! >"$E2E_DIR/consul.pid"

"${as_root[@]}" "$(command -v nomad)" agent -dev -acl-enabled -bind 127.0.0.1 \
  >"$E2E_DIR/logs/nomad.log" 2>&1 &
echo $! >"$E2E_DIR/nomad.pid"
echo "consul (pid $(cat "$E2E_DIR/consul.pid")) and nomad (pid $(cat "$E2E_DIR/nomad.pid")) starting; logs in $E2E_DIR/logs"
