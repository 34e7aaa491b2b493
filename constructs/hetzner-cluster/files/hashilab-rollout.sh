#!/bin/bash
# hashilab-rollout.sh COMMAND ARG...: the steps of a rolling change beyond the health gate, run
# as root beside hashilab-wait-healthy.sh and hashilab-upgrade-agents.sh: from the delivery's
# upload by the install script, and from /usr/local/lib/hashilab, where each delivery installs
# the three, by the rollout's steps (docs/operations.md "Rolling upgrade of Nomad and Consul").
#
#   leader-away AGENT            On a server host, before its AGENT (consul or nomad) restarts:
#                                when this server leads AGENT's cluster, hand leadership to the
#                                server the rollout restarts last (the last of retry_join; the last
#                                one itself hands it to the one before it), and wait until another
#                                server leads. The leader is so restarted last, and gracefully.
#   upgrade AGENT VERSIONS       Install AGENT's packages at the versions VERSIONS pins ("<package>
#                                <version>" lines), behind the health gate: the cluster healthy,
#                                the leader away, install, restart, healthy again. Nothing happens
#                                on a host that runs them already (a new host, a re-run).
#   drain NODE VERSION MINUTES   On a server host, for the Nomad client NODE (a node name): drain it
#                                (deadline MINUTES) when it runs a Nomad other than VERSION.
#   eligible NODE                On that server host, after NODE's upgrade: make NODE eligible again,
#                                if the drain above drained it.
#
# Write access comes from the rollout tokens the ACL stack delivers to server hosts only
# (/var/lib/hashilab/secrets/rollout, root only). Nomad v2.0.5 lets only a management token
# transfer leadership (nomad/operator_endpoint.go TransferLeadershipToPeer: IsManagement);
# draining and eligibility need node:write (nomad/node_endpoint.go UpdateDrain, UpdateEligibility);
# Consul's transfer-leader needs operator:write. Until the ACL stack has run (a cluster's first
# deploy) there are no tokens: the steps say so and go on without a transfer or a drain.
set -euo pipefail
# HASHILAB_ROOT only exists for tests: on a host every path is absolute.
root=${HASHILAB_ROOT:-}
here=$(dirname "${BASH_SOURCE[0]}")
ca=$root/etc/hashilab/tls/ca.pem
consul_config=$root/etc/hashilab/consul.d/agent.hcl
tokens=$root/var/lib/hashilab/secrets/rollout
pending=$root/var/lib/hashilab/pending-restart
drained=$root/var/lib/hashilab/rollout-drained
# HASHILAB_WAIT_* only exist for tests: 90 attempts 2 s apart, as the health gate.
attempts=${HASHILAB_WAIT_ATTEMPTS:-90}
interval=${HASHILAB_WAIT_INTERVAL_SECONDS:-2}
# The CLIs reach the local agent over TLS (hashilab-profile.sh sets the same for operators).
export NOMAD_ADDR=https://127.0.0.1:4646 NOMAD_CACERT=$ca CONSUL_HTTP_ADDR=https://127.0.0.1:8501 CONSUL_CACERT=$ca

# The Raft (RPC) port and the HTTPS API port of AGENT: NOMAD_PORTS / CONSUL_PORTS.
raft_port() {
  case $1 in
    consul) echo 8300 ;;
    nomad) echo 4647 ;;
    *)
      echo "hashilab: '$1' is not an agent (consul or nomad)" >&2
      exit 2
      ;;
  esac
}
api_port() {
  case $1 in
    consul) echo 8501 ;;
    nomad) echo 4646 ;;
  esac
}

# A string setting of the Consul agent configuration (NAME = "value").
consul_setting() {
  sed -nE "s/^$1 *= *\"([^\"]*)\".*/\\1/p" "$consul_config" | head -n 1
}

# The rollout token file of AGENT, or nothing (with a warning) when the ACL stack has not delivered it.
token_file() {
  if [ -r "$tokens/$1-token" ]; then
    echo "$tokens/$1-token"
  else
    echo "hashilab: WARNING: no rollout token at $tokens/$1-token (the <env>-acl stack delivers it to server hosts); $2" >&2
  fi
}

# Runs the nomad CLI with the rollout token (from its root-only file, into this process only).
nomad_cli() {
  local token
  IFS= read -r token <"$tokens/nomad-token" || true
  NOMAD_TOKEN=${token//[[:space:]]/} nomad "$@"
}

# AGENT's Raft peers ("ip:port", one a line) as the local server knows them (GET
# /v1/status/peers, no token needed), or nothing.
peers_of() {
  local out
  out=$(curl --silent --connect-timeout 2 --max-time 8 --cacert "$ca" "https://127.0.0.1:$(api_port "$1")/v1/status/peers" 2>/dev/null || true)
  grep -oE '"[^"]*"' <<<"$out" | tr -d '"' || true
}

# The leader AGENT's local API names ("ip:port"), or nothing. The status endpoints need no token.
leader_of() {
  local out
  out=$(curl --silent --connect-timeout 2 --max-time 8 --cacert "$ca" "https://127.0.0.1:$(api_port "$1")/v1/status/leader" 2>/dev/null || true)
  grep -oE '"[^"]*"' <<<"$out" | head -n 1 | tr -d '"' || true
}

leader_away() {
  local agent=$1 me target leader token server
  if ! grep -qE '^server *= *true' "$consul_config"; then
    return 0
  fi
  me=$(consul_setting advertise_addr)
  leader=$(leader_of "$agent")
  if [ "$leader" != "$me:$(raft_port "$agent")" ]; then
    echo "hashilab: $agent: this server ($me) does not lead (leader: ${leader:-none}); no transfer"
    return 0
  fi
  # The last listed server other than this one that is a Raft peer already: the one the rollout
  # restarts last. A server this deploy adds is listed before it has joined (its delivery comes
  # later in the chain), and Raft refuses to hand leadership to a non-peer.
  local peers
  peers=$(peers_of "$agent")
  target=""
  while read -r server; do
    if [ "$server" != "$me" ] && grep -qxF "$server:$(raft_port "$agent")" <<<"$peers"; then target=$server; fi
  done < <(grep -E '^retry_join *=' "$consul_config" | grep -oE '[0-9]+(\.[0-9]+){3}')
  if [ -z "$target" ]; then
    echo "hashilab: $agent: no other server is a Raft peer; its cluster has no leader while this one restarts"
    return 0
  fi
  token=$(token_file "$agent" "restarting the $agent leader without handing leadership over first (the others elect a new one)")
  [ -n "$token" ] || return 0
  echo "hashilab: $agent: this server ($me) leads; handing leadership to $target, which the rollout restarts last"
  case $agent in
    nomad) nomad_cli operator raft transfer-leadership -peer-address="$target:$(raft_port nomad)" ;;
    consul)
      # transfer-leader takes the Raft ID (the node ID): list-peers' columns are Node, ID, Address, ...
      local id
      id=$(consul operator raft list-peers -token-file="$token" | awk -v address="$target:$(raft_port consul)" '$3 == address { print $2 }')
      if [ -z "$id" ]; then
        echo "hashilab: consul: $target:$(raft_port consul) is no Raft peer (consul operator raft list-peers); not restarting the leader" >&2
        exit 1
      fi
      consul operator raft transfer-leader -token-file="$token" -id="$id"
      ;;
  esac
  for ((attempt = 1; ; attempt++)); do
    leader=$(leader_of "$agent")
    if [ -n "$leader" ] && [ "$leader" != "$me:$(raft_port "$agent")" ]; then
      echo "hashilab: $agent: $leader leads now"
      return 0
    fi
    if [ "$attempt" -ge "$attempts" ]; then
      echo "hashilab: $agent: still led by ${leader:-nobody} after $attempts attempts; not restarting the leader" >&2
      exit 1
    fi
    sleep "$interval"
  done
}

# Whether PENDING (the install script's restart memory) names AGENT.
pending_for() {
  [ -f "$pending" ] && grep -qw "$1" "$pending"
}

upgrade() {
  local agent=$1 versions=$2 package version installed outdated=""
  raft_port "$agent" >/dev/null
  while read -r package version; do
    [ -n "$package" ] || continue
    installed=$(dpkg-query --showformat='${Version}' --show "$package" 2>/dev/null || true)
    [ "$installed" = "$version-1" ] || outdated+=" $package ${installed:-(none)} -> $version-1"
  done <"$versions"
  if [ -z "$outdated" ] && ! pending_for "$agent"; then
    echo "hashilab: $agent: the pinned versions are installed; nothing to do"
    return 0
  fi
  echo "hashilab: $agent: upgrading:${outdated:- (restart left by a failed run)}"
  # The cluster is healthy before this host goes down (not when a failed run of this host left it down).
  if ! pending_for "$agent" && systemctl is-active --quiet "$agent.service"; then
    bash "$here/hashilab-wait-healthy.sh" "$agent"
  fi
  leader_away "$agent"
  bash "$here/hashilab-upgrade-agents.sh" "$versions" "$pending"
  systemctl restart "$agent.service"
  bash "$here/hashilab-wait-healthy.sh" "$agent"
  # Done with this agent: the restart memory keeps only the others.
  local rest
  rest=$(tr ' ' '\n' <"$pending" | grep -vxF "$agent" | grep . | tr '\n' ' ' || true)
  if [ -n "$rest" ]; then printf '%s\n' "$rest" >"$pending"; else rm -f "$pending"; fi
}

# The ID of the Nomad node named NODE that is not down, or nothing.
node_id() {
  local ids
  # A failed query (a 403, no leader) must stop the rollout, not read as "no such node": set -e
  # does not reach into a command substitution.
  ids=$(nomad_cli node status -quiet -filter "Name == \"$1\" and Status != \"down\"") || {
    echo "hashilab: nomad: cannot list the nodes to find $1; not upgrading it undrained" >&2
    exit 1
  }
  [ "$ids" != "No nodes registered" ] || ids=""
  if [ "$(grep -c . <<<"$ids")" -gt 1 ]; then
    echo "hashilab: several Nomad nodes are named $1 and not down: ${ids//$'\n'/ }" >&2
    exit 1
  fi
  printf '%s' "$ids"
}

drain() {
  local node=$1 version=$2 minutes=$3 id outdated
  [[ $node =~ ^[a-z0-9][a-z0-9-]*$ ]] || { echo "hashilab: '$node' is not a node name" >&2; exit 2; }
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "hashilab: '$version' is not a release (x.y.z)" >&2; exit 2; }
  [[ $minutes =~ ^[1-9][0-9]*$ ]] || { echo "hashilab: '$minutes' is not a number of minutes" >&2; exit 2; }
  [ -n "$(token_file nomad "not draining $node before its upgrade")" ] || return 0
  id=$(node_id "$node")
  if [ -z "$id" ]; then
    echo "hashilab: nomad: no node $node is registered; nothing to drain"
    return 0
  fi
  # NodeListStub.Version is the Nomad the client runs (nomad/structs/structs.go).
  outdated=$(nomad_cli node status -quiet -filter "ID == \"$id\" and Version != \"$version\"")
  if [ -z "$outdated" ] || [ "$outdated" = "No nodes registered" ]; then
    echo "hashilab: nomad: $node runs Nomad $version already; no drain"
    return 0
  fi
  bash "$here/hashilab-wait-healthy.sh" nomad
  mkdir -p "$drained"
  # Remembered before the drain starts, so that a failed upgrade still ends with the node eligible.
  echo "$id" >"$drained/$node"
  echo "hashilab: nomad: draining $node ($id), deadline ${minutes}m"
  # Without -detach the CLI waits until the drain is complete (command/node_drain.go monitorDrain).
  nomad_cli node drain -enable -yes -deadline "${minutes}m" -m "hashilab: upgrading to Nomad $version" "$id"
}

eligible() {
  local node=$1 id
  [[ $node =~ ^[a-z0-9][a-z0-9-]*$ ]] || { echo "hashilab: '$node' is not a node name" >&2; exit 2; }
  if [ ! -f "$drained/$node" ]; then
    echo "hashilab: nomad: the rollout did not drain $node; its eligibility stays as it is"
    return 0
  fi
  id=$(node_id "$node")
  if [ -z "$id" ]; then
    echo "hashilab: nomad: no node $node is registered after its upgrade; see its journal (journalctl -u nomad)" >&2
    exit 1
  fi
  nomad_cli node eligibility -enable "$id"
  rm -f "$drained/$node"
}

usage() {
  echo "usage: hashilab-rollout.sh leader-away AGENT | upgrade AGENT VERSIONS | drain NODE VERSION MINUTES | eligible NODE" >&2
  exit 2
}

case ${1:-} in
  leader-away)
    [ $# -eq 2 ] || usage
    raft_port "$2" >/dev/null
    leader_away "$2"
    ;;
  upgrade)
    [ $# -eq 3 ] || usage
    upgrade "$2" "$3"
    ;;
  drain)
    [ $# -eq 4 ] || usage
    drain "$2" "$3" "$4"
    ;;
  eligible)
    [ $# -eq 2 ] || usage
    eligible "$2"
    ;;
  *) usage ;;
esac
