#!/bin/bash
# hashilab-rotate-gossip.sh: moves the cluster's gossip encryption to the keys the deliveries
# just wrote into this server host's secret config files, Consul first, then Nomad. Run once per
# gossipKeyGeneration, on one server, after every host's delivery (gossip-rotation.ts).
#
# Why a step of its own: after its first start each agent keeps its keyring in its data
# directory and ignores `encrypt` from then on (Consul agent/config/builder.go: "LAN keyring
# exists but -encrypt given, using keyring", serf/local.keyring and, on servers,
# serf/remote.keyring; Nomad v2.0.5 command/agent/agent.go setupKeyrings and keyring.go
# initKeyring: <data_dir>/server/serf.keyring is written only when absent). So the new key
# reaches the running cluster only through the keyring operations, which every member applies:
#   1. install the new key on every member, again until every member reports it (a member
#      that lacks it could no longer read the gossip once the key is primary);
#   2. make it primary;
#   3. remove every other key.
# Idempotent: when the new key is already the only one on every member, nothing is done.
#
# Checking "every member": Consul's `keyring -list` prints, per pool ("WAN:", "dc1 (LAN):"), the
# members' messages ("  ===> <node>: <message>") and "  <key> [<members holding it>/<members>]"
# (command/keyring/keyring.go formatResponse). Nomad's
# `operator gossip keyring list` prints keys only (v2.0.5 command/operator_gossip_keyring_list.go),
# so its counts come from GET /v1/agent/keyring/list, {"Keys":{"<key>":n},"NumNodes":m}
# (command/agent/agent_endpoint.go KeyringOperationRequest). Both count the members alive now.
#
# ACLs: Consul's list needs `keyring = "read"`, install/use/remove `keyring = "write"`
# (agent/consul/internal_endpoint.go KeyringOperation); Nomad's endpoint needs agent:write
# (AllowAgentWrite), which the rollout's management token has. The tokens are the rollout's,
# root-only files the ACL stack delivers to server hosts; they reach the CLIs by environment,
# never on a command line.
set -euo pipefail
# HASHILAB_ROOT only exists for tests: on a host every path is absolute.
root=${HASHILAB_ROOT:-}
secrets=$root/var/lib/hashilab/secrets
# HASHILAB_WAIT_* only exist for tests: 60 attempts 2 s apart.
attempts=${HASHILAB_WAIT_ATTEMPTS:-60}
interval=${HASHILAB_WAIT_INTERVAL_SECONDS:-2}

export CONSUL_HTTP_ADDR=https://127.0.0.1:8501 CONSUL_CACERT=$root/etc/hashilab/tls/ca.pem
export NOMAD_ADDR=https://127.0.0.1:4646 NOMAD_CACERT=$root/etc/hashilab/tls/ca.pem

say() { echo "hashilab: $*" >&2; }

# key_in FILE: the value of the `encrypt` attribute in a delivered gossip config.
key_in() {
  local key
  [ -r "$1" ] || { say "no gossip key file $1: this host's delivery did not run"; return 1; }
  key=$(sed -n 's/^[[:space:]]*encrypt[[:space:]]*=[[:space:]]*"\([A-Za-z0-9+/=]*\)".*$/\1/p' "$1")
  [ -n "$key" ] || { say "$1 holds no encrypt = \"<key>\""; return 1; }
  printf '%s' "$key"
}

# token_from FILE VARIABLE: exports the token in FILE (its first line) as VARIABLE.
token_from() {
  local token=""
  if [ ! -r "$1" ]; then
    say "no rollout token at $1: deploy the acl stack, which delivers it, then deploy the hosts again"
    return 1
  fi
  IFS= read -r token <"$1" || true
  export "$2=${token//[[:space:]]/}"
}

# Consul: "<key> <holding> <members>" per key and pool, and the number of pools.
consul_counts() {
  consul keyring -list | sed -n 's/^  \([A-Za-z0-9+/=]*\) \[\([0-9]*\)\/\([0-9]*\)\]$/\1 \2 \3/p'
}
consul_pools() {
  local list
  list=$(consul keyring -list) || { say "consul: keyring -list failed"; return 1; }
  grep -c '^[^ =].*:$' <<<"$list" || { say "consul: keyring -list names no pool"; return 1; }
}

# Nomad: "<key> <holding> <members>" per key (one pool: the servers).
# `operator api` POSTs its stdin when that is no terminal (command/operator_api.go): -X GET and
# /dev/null keep it a read. It prints an error's body and exits 0, so the body is checked.
nomad_counts() {
  local answer body members
  answer=$(nomad operator api -X GET /v1/agent/keyring/list </dev/null)
  body=$(tr -d ' \n' <<<"$answer")
  members=$(sed -n 's/.*"NumNodes":\([0-9]*\).*/\1/p' <<<"$body")
  [ -n "$members" ] || { say "nomad: the keyring list answered: ${answer:-nothing}"; return 1; }
  grep -oE '"Keys":\{[^}]*\}' <<<"$body" | grep -oE '"[A-Za-z0-9+/=]+":[0-9]+' | tr -d '"' | tr ':' ' ' | sed "s/\$/ $members/"
}

# everywhere AGENT KEY POOLS: whether KEY is held by every member of each of POOLS pools.
everywhere() {
  local counts
  counts=$("$1"_counts)
  [ "$(awk -v key="$2" '$1 == key && $2 == $3 && $3 > 0' <<<"$counts" | wc -l)" -eq "$3" ]
}

# others AGENT KEY: the installed keys other than KEY, one a line.
others() {
  "$1"_counts | awk -v key="$2" '$1 != key { print $1 }' | sort -u
}

install_key() {
  case $1 in
    consul) consul keyring -install "$2" ;;
    nomad) nomad operator gossip keyring install "$2" ;;
  esac
}

# rotate AGENT KEY POOLS: the three steps, each only where still needed.
rotate() {
  local agent=$1 key=$2 pools=$3 attempt old install_error
  if everywhere "$agent" "$key" "$pools" && [ -z "$(others "$agent" "$key")" ]; then
    say "$agent: every member holds only the new gossip key; nothing to do"
    return 0
  fi
  say "$agent: installing the new gossip key on every member"
  # Installing is idempotent: each attempt reaches the members the previous one missed (it
  # fails while any member does not answer, which the count below shows).
  for ((attempt = 1; ; attempt++)); do
    install_error=$(install_key "$agent" "$key" 2>&1 >/dev/null) || true
    everywhere "$agent" "$key" "$pools" && break
    if [ "$attempt" -ge "$attempts" ]; then
      say "$agent: not every member holds the new gossip key after $attempts attempts; the old key stays primary. The last install said: ${install_error:-nothing}"
      # Keys are secrets and this reaches Terraform's output: a fingerprint of each instead.
      say "$agent: each key (its sha256, first 12 digits), the members holding it, the members:"
      "$agent"_counts | while read -r listed holding members; do
        printf '  %s %s %s\n' "$(printf '%s' "$listed" | sha256sum | cut -c1-12)" "$holding" "$members"
      done >&2
      say "start or repair the members that lack it, then deploy again (docs/operations.md \"Rotating gossip keys\")"
      return 1
    fi
    sleep "$interval"
  done
  say "$agent: making the new gossip key primary"
  case $agent in
    consul) consul keyring -use "$key" >/dev/null ;;
    nomad) nomad operator gossip keyring use "$key" >/dev/null ;;
  esac
  # A listing that fails must fail the step: the step runs once per generation, and an old key
  # left installed would never be removed (set -e does not reach into a command substitution).
  local olds
  olds=$(others "$agent" "$key") || { say "$agent: cannot list the keys to remove the previous ones"; return 1; }
  for old in $olds; do
    say "$agent: removing a previous gossip key"
    case $agent in
      consul) consul keyring -remove "$old" >/dev/null ;;
      nomad) nomad operator gossip keyring remove "$old" >/dev/null ;;
    esac
  done
  say "$agent: gossip key rotated"
}

consul_key=$(key_in "$secrets/consul.d/gossip.hcl")
nomad_key=$(key_in "$secrets/nomad.d/gossip.hcl")
token_from "$secrets/rollout/consul-token" CONSUL_HTTP_TOKEN
token_from "$secrets/rollout/nomad-token" NOMAD_TOKEN
consul_pool_count=$(consul_pools)
rotate consul "$consul_key" "$consul_pool_count"
rotate nomad "$nomad_key" 1
