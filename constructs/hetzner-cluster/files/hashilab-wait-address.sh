#!/bin/bash
# hashilab-wait-address ADDRESS [SECONDS]: the agents' ExecStartPre. Consul and Nomad bind
# RPC and Serf to the host's private address, which Hetzner's private network attaches (a
# second NIC with a DHCP address) independently of network-online.target, sometimes after boot.
# Waits until ADDRESS is configured on an interface, at most SECONDS (default 60); then fails,
# and systemd restarts the agent (RestartSec, no start limit) to wait again.
set -euo pipefail
address=$1
seconds=${2:-60}

for ((waited = 0; ; waited++)); do
  # Prints the interface's line when ADDRESS is configured, nothing otherwise.
  if [ -n "$(ip -o -4 address show to "$address/32")" ]; then
    exit 0
  fi
  if [ "$waited" -ge "$seconds" ]; then
    echo "hashilab: no interface has the private address $address after ${seconds}s; is the server attached to its private network?" >&2
    exit 1
  fi
  sleep 1
done
