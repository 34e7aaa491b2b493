#!/bin/bash
# cluster-env.sh ENV [SERVER]: prints the environment the nomad and consul CLIs need to reach
# the cluster of ENV from this machine (address, CA, management token), read from the
# Terraform outputs of its deployed stacks. Use it as
#   eval "$(scripts/ops/cluster-env.sh lab)"
# Without SERVER it exports the stacks' own address: the cluster's API name (apiHostname, one
# A record per server, which survives the loss of any one) or, without one, server 1's address.
# SERVER picks one server (1, 2, ...) instead: every host certificate names its own address, so
# any server serves the same API. Run from the project
# root after `cdktf deploy` of <ENV>-acl (and <ENV>-hosts on Hetzner). The tokens are printed
# for eval only: do not paste the output anywhere.
set -euo pipefail
env_name=${1:-}
server=${2:-}
if ! [[ $env_name =~ ^[a-z][a-z0-9-]*$ ]]; then
  echo "usage: cluster-env.sh ENV [SERVER]  (ENV as in environments/, e.g. lab)" >&2
  exit 2
fi
if [ -n "$server" ] && ! [[ $server =~ ^[1-9][0-9]*$ ]]; then
  echo "cluster-env.sh: SERVER is a server number (1, 2, ...), not '$server'" >&2
  exit 2
fi
stacks=cdktf.out/stacks
if [ ! -d "$stacks/$env_name-acl" ]; then
  echo "cluster-env.sh: $stacks/$env_name-acl not found; deploy $env_name-acl first (npx cdktf deploy $env_name-acl)" >&2
  exit 1
fi
out() { terraform -chdir="$stacks/$1" output -raw "$2"; }
nomad_addr=$(out "$env_name-acl" nomad_address)
consul_addr=$(out "$env_name-acl" consul_address)
lines=()
if [ -d "$stacks/$env_name-hosts" ]; then
  if [ -n "$server" ]; then
    # The hosts stack's servers, one address a line (terraform output -json of a list of strings):
    # public addresses on Hetzner, the LAN addresses of SSH hosts (which have no public ones).
    hosts_out() { terraform -chdir="$stacks/$env_name-hosts" output -json "$1"; }
    mapfile -t ips < <({ hosts_out server_public_ips 2>/dev/null || hosts_out server_private_ips; } | grep -oE '[0-9]+(\.[0-9]+){3}')
    if [ "$server" -gt "${#ips[@]}" ]; then
      echo "cluster-env.sh: $env_name has ${#ips[@]} servers, no server $server" >&2
      exit 1
    fi
    ip=${ips[$((server - 1))]}
    nomad_addr="https://$ip:${nomad_addr##*:}"
    consul_addr="https://$ip:${consul_addr##*:}"
  fi
  ca=$PWD/cdktf.out/$env_name-ca.pem
  out "$env_name-hosts" ca_certificate >"$ca"
  lines+=("export NOMAD_CACERT=$(printf '%q' "$ca") CONSUL_CACERT=$(printf '%q' "$ca")")
elif [ -n "$server" ]; then
  echo "cluster-env.sh: $env_name has no hosts stack (its agents are not ours to pick)" >&2
  exit 1
fi
lines+=("export NOMAD_ADDR=$(printf '%q' "$nomad_addr") CONSUL_HTTP_ADDR=$(printf '%q' "$consul_addr")")
lines+=("export NOMAD_TOKEN=$(printf '%q' "$(out "$env_name-acl" nomad_token)") CONSUL_HTTP_TOKEN=$(printf '%q' "$(out "$env_name-acl" consul_token)")")
printf '%s\n' "${lines[@]}"
