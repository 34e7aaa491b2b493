#!/bin/bash
# hashilab-wait-healthy.sh AGENT...: the gate between hosts. After a delivery (re)started the
# agents (consul, nomad), waits until the cluster is healthy again, so that a change which cuts
# a server off from its peers stops the rollout on that host instead of rolling on:
#   - the unit is running and the local HTTPS API answers;
#   - every server (the retry_join list of the Consul agent configuration, which names all of
#     them) answers GET /v1/status/leader with the same, non-empty leader, and its own Raft
#     configuration (GET /v1/status/peers?stale) holds only listed servers, every one that answers;
#   - this host's agent reaches that leader through its own API (it is a member), and a Nomad
#     client also has servers (GET /v1/agent/health?type=client);
#   - with a token that has operator:read, autopilot (GET /v1/operator/autopilot/health) reports
#     every listed server healthy and voting. The tokens come from NOMAD_TOKEN / CONSUL_HTTP_TOKEN
#     or else from the files the ACL stack delivers (/var/lib/hashilab/secrets/gate/nomad-token
#     and consul-token, root only); without either, autopilot is not checked.
# The status endpoints need no ACL token (Nomad nomad/status_endpoint.go, Consul
# agent/consul/status_endpoint.go); autopilot needs operator:read on both.
#
# What leaderless looks like (Nomad 2.0.5, Consul 1.21): Nomad answers /v1/status/leader with
# 500 "No cluster leader" (nomad/rpc.go getLeaderForRPC, after rpc_hold_timeout); Consul with
# 200 and "" (its Status.Leader reads the local Raft state). /v1/status/peers?stale reads the
# local Raft configuration on both: empty ([] or null) until the cluster first bootstrapped.
#
# A cluster that is still forming (its first deploy delivers the servers one at a time, and none
# elects a leader before bootstrap_expect of them run) is accepted while some listed server does
# not answer yet and no server has a leader or a Raft configuration. Once a cluster has
# bootstrapped, every server keeps its Raft configuration, so a partition is never mistaken for it.
# Likewise a listed server that does not answer and is no Raft peer of those that do is not part
# of the cluster yet (a deploy that replaces servers delivers it later), as long as the servers
# that answer are a majority of the listed ones; one that is a peer is down, and that fails.
#
# On timeout: the reason, each server's answers, the autopilot state and the agent's journal.
#
# While /run/hashilab-gate-lenient exists (tmpfs: gone at the next boot), the gate only waits for
# the local API to answer, and says so: an operator's override for an emergency. A CA rotation
# no longer needs it: it trusts both CAs while the certificates change (docs/operations.md
# "Rotating the CA"). Its content says why it is there.
set -euo pipefail
# HASHILAB_ROOT only exists for tests: on a host every path is absolute.
root=${HASHILAB_ROOT:-}
ca=$root/etc/hashilab/tls/ca.pem
consul_config=$root/etc/hashilab/consul.d/agent.hcl
gate_tokens=$root/var/lib/hashilab/secrets/gate
# HASHILAB_WAIT_* only exist for tests: 90 attempts 2 s apart (3 minutes and more: a Nomad
# server without a leader holds each request for rpc_hold_timeout, 5 s, before it answers 500).
attempts=${HASHILAB_WAIT_ATTEMPTS:-90}
interval=${HASHILAB_WAIT_INTERVAL_SECONDS:-2}

# The HTTPS API and Raft (RPC) ports: CONSUL_PORTS / NOMAD_PORTS and the agents' defaults.
api_port() {
  case $1 in
    consul) echo 8501 ;;
    nomad) echo 4646 ;;
    *)
      echo "hashilab: no health endpoint known for agent '$1'" >&2
      return 2
      ;;
  esac
}
raft_port() {
  case $1 in
    consul) echo 8300 ;;
    nomad) echo 4647 ;;
  esac
}

# token_of AGENT: the agent's ACL token, from the environment or else from its gate token file
# (its first line, whitespace removed), or nothing.
token_of() {
  local token=""
  case $1 in
    consul) token=${CONSUL_HTTP_TOKEN:-} ;;
    nomad) token=${NOMAD_TOKEN:-} ;;
  esac
  if [ -z "$token" ] && [ -r "$gate_tokens/$1-token" ]; then
    IFS= read -r token <"$gate_tokens/$1-token" || true
    token=${token//[[:space:]]/}
  fi
  printf '%s' "$token"
}

# fetch AGENT HOST PATH: sets $status (000 when nothing answered) and $body. The token goes to
# curl on a file descriptor, never on its command line, where any local user could read it.
fetch() {
  local token header out
  token=$(token_of "$1")
  case $1 in
    consul) header=X-Consul-Token ;;
    nomad) header=X-Nomad-Token ;;
  esac
  out=$(curl --silent --connect-timeout 2 --max-time 8 --cacert "$ca" --header @<(if [ -n "$token" ]; then printf '%s: %s\n' "$header" "$token"; fi) \
    --write-out '\n%{http_code}' "https://$2:$(api_port "$1")$3" 2>/dev/null || true)
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  [ -n "$status" ] || status=000
  [ "$body" != "$out" ] || body=""
}

# The JSON strings of a JSON array of strings, one a line (peers; no string holds a quote).
json_strings() {
  grep -oE '"[^"]*"' <<<"$1" | tr -d '"' || true
}

# Each object of the "Servers" array of an autopilot health reply on its own line, whatever the
# order of the keys and the nesting inside (Consul adds a Meta map to each server).
autopilot_servers() {
  awk '{
    text = $0; start = index(text, "\"Servers\":[");
    if (start == 0) exit;
    text = substr(text, start + 11); depth = 0; quoted = 0; item = "";
    for (i = 1; i <= length(text); i++) {
      c = substr(text, i, 1);
      if (quoted) { item = item c; if (c == "\\") { i++; item = item substr(text, i, 1) } else if (c == "\"") quoted = 0; continue }
      if (c == "\"") quoted = 1;
      else if (c == "{") depth++;
      else if (c == "}") { depth--; if (depth == 0) { print item "}"; item = ""; continue } }
      else if (c == "]" && depth == 0) exit;
      if (depth > 0) item = item c;
    }
  }' <<<"$1"
}

# fail AGENT MESSAGE: says why, with what the servers answered, the unit's state and its last
# log lines, and stops.
fail() {
  echo "hashilab: $1 $2" >&2
  if [ -n "${report:-}" ]; then printf '%s\n' "$report" >&2; fi
  systemctl status --no-pager --lines=0 "$1.service" >&2 || true
  journalctl --unit "$1.service" --no-pager --lines=30 >&2 || true
  exit 1
}

# cluster_verdict AGENT: 0 when healthy (or still forming); otherwise $why says what is not.
# $report collects each server's answers for the timeout message.
cluster_verdict() {
  local agent=$1 server answering=0 silent=0 later=0 configured=0 peers expected unhealthy absent=""
  local -A peers_of=()
  report="what the $agent servers answer:"
  leader=""
  tolerated=""
  expected=$(for server in $servers; do echo "$server:$(raft_port "$agent")"; done | sort)
  why=""
  for server in $servers; do
    fetch "$agent" "$server" "/v1/status/peers?stale"
    if [ "$status" = 000 ]; then
      report+=$'\n'"  $server: no answer"
      absent+=" $server"
      continue
    fi
    answering=$((answering + 1))
    peers=$(json_strings "$body" | sort)
    [ -z "$peers" ] || configured=$((configured + 1))
    peers_of[$server]=$peers
    report+=$'\n'"  $server: peers HTTP $status ${body:-(empty)}"
    if [ "$status" != 200 ]; then
      why=${why:-"server $server answers its Raft peers with HTTP $status"}
    fi
    fetch "$agent" "$server" /v1/status/leader
    report+=", leader HTTP $status ${body:-(empty)}"
    local this
    this=$(json_strings "$body")
    if [ "$status" != 200 ] || [ -z "$this" ]; then
      why=${why:-"server $server knows no leader (HTTP $status ${body:-(empty)})"}
    elif [ -z "$leader" ]; then
      leader=$this
    elif [ "$this" != "$leader" ]; then
      why=${why:-"servers disagree on the leader: $leader and $this (on $server)"}
    fi
  done
  # A listed server that does not answer and is no Raft peer of any server that does is not part
  # of the cluster yet: the deploy that creates or replaces it delivers it later (or a removal
  # is under way). One that is a peer is down, and a rollout must not go on without it.
  local all_peers
  all_peers=$(printf '%s\n' "${peers_of[@]}")
  for server in $absent; do
    if grep -qxF "$server:$(raft_port "$agent")" <<<"$all_peers"; then
      silent=$((silent + 1))
    else
      later=$((later + 1))
      tolerated+=" $server"
    fi
  done
  if [ "$((silent + later))" -gt 0 ] && [ "$configured" -eq 0 ] && [ -z "$leader" ]; then
    forming="the cluster is still forming: $answering of $((answering + silent + later)) servers run and none has a leader or a Raft configuration yet"
    return 0
  fi
  forming=""
  if [ "$silent" -gt 0 ]; then
    why=${why:-"$silent of $((answering + silent + later)) servers do not answer"}
  fi
  # Every answering server's Raft configuration: only listed servers (a removed one left
  # behind is not), and every server that answers (one that never joined is missing).
  local member peer
  for server in "${!peers_of[@]}"; do
    for peer in ${peers_of[$server]}; do
      grep -qxF "$peer" <<<"$expected" || why=${why:-"server $server has Raft peer $peer, which is not a listed server (${expected//$'\n'/ })"}
    done
    for member in "${!peers_of[@]}"; do
      grep -qxF "$member:$(raft_port "$agent")" <<<"${peers_of[$server]}" || why=${why:-"server $server's Raft peers (${peers_of[$server]//$'\n'/ }) lack $member, which answers"}
    done
  done
  # The servers that answer must still be a majority of the listed ones.
  if [ -z "$why" ] && [ "$later" -gt 0 ]; then
    if [ "$((2 * answering))" -le "$((answering + later))" ]; then
      why="only $answering of $((answering + later)) servers answer: no quorum"
    else
      echo "hashilab: $agent: not answering and no Raft peer yet:$tolerated (this deploy may be creating them)" >&2
    fi
  fi
  [ -z "$why" ] || return 1
  if ! grep -qxF "$leader" <<<"$expected"; then
    why="the leader $leader is not one of the listed servers"
    return 1
  fi
  # This host's own agent: a server or client that is a member reaches the same leader.
  fetch "$agent" 127.0.0.1 /v1/status/leader
  report+=$'\n'"  this host: leader HTTP $status ${body:-(empty)}"
  if [ "$status" != 200 ] || [ "$(json_strings "$body")" != "$leader" ]; then
    why="this host's $agent agent does not reach the leader $leader (HTTP $status ${body:-(empty)}); has it joined?"
    return 1
  fi
  if [ "$agent" = nomad ] && [ "$client" = true ]; then
    fetch nomad 127.0.0.1 "/v1/agent/health?type=client"
    report+=$'\n'"  this host: client health HTTP $status ${body:-(empty)}"
    if [ "$status" != 200 ]; then
      why="this host's Nomad client is not healthy (HTTP $status ${body:-(empty)})"
      return 1
    fi
  fi
  [ -n "$(token_of "$agent")" ] || return 0
  fetch "$agent" 127.0.0.1 /v1/operator/autopilot/health
  report+=$'\n'"  autopilot: HTTP $status ${body:-(empty)}"
  # 429 is autopilot's "something is unhealthy" (operator_endpoint.go OperatorServerHealth).
  if [ "$status" != 200 ] && [ "$status" != 429 ]; then
    why="autopilot health is not readable (HTTP $status ${body:-(empty)}); does the token have operator:read?"
    return 1
  fi
  local entries count
  entries=$(autopilot_servers "$body")
  count=$(grep -c . <<<"$entries" || true)
  unhealthy=$(grep -vE '"Healthy": ?true' <<<"$entries" | grep -oE '"Name": ?"[^"]*"' | cut -d'"' -f4 || true)
  local nonvoters
  nonvoters=$(grep -vE '"Voter": ?true' <<<"$entries" | grep -oE '"Name": ?"[^"]*"' | cut -d'"' -f4 || true)
  if [ -n "$unhealthy" ]; then
    why="autopilot reports unhealthy servers: ${unhealthy//$'\n'/ }"
  elif [ -n "$nonvoters" ]; then
    why="autopilot reports servers that do not vote: ${nonvoters//$'\n'/ }"
  elif [ "$count" -ne "$(($(wc -w <<<"$servers") - later))" ]; then
    why="autopilot knows $count servers, the configuration lists $(wc -w <<<"$servers")${tolerated:+ of which$tolerated do not answer yet}"
  elif [ "$status" != 200 ] || ! grep -qE '^\{"Healthy": ?true' <<<"$body"; then
    why="autopilot reports the cluster unhealthy (HTTP $status)"
  fi
  [ -z "$why" ]
}

servers=$(grep -E '^retry_join *=' "$consul_config" 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+){3}' || true)
if [ -z "$servers" ]; then
  echo "hashilab: no servers listed in retry_join of $consul_config; was the agent configuration delivered?" >&2
  exit 1
fi
lenient=$root/run/hashilab-gate-lenient
client=false
if grep -qE '^client *\{' "$root/etc/hashilab/nomad.d/agent.hcl" 2>/dev/null; then client=true; fi

for agent in "$@"; do
  port=$(api_port "$agent")
  report=""
  answered=false
  for ((attempt = 1; ; attempt++)); do
    # An agent whose start condition failed (a delivered file missing) or that systemd gave up
    # restarting will never answer: say so at once.
    state=$(systemctl is-active "$agent.service" || true)
    case $state in
      inactive | failed) fail "$agent" "is $state after the delivery (re)started it; see its log below" ;;
    esac
    if [ "$answered" = false ]; then
      fetch "$agent" 127.0.0.1 /v1/status/leader
      if [ "$status" != 000 ]; then
        answered=true
        echo "hashilab: $agent answers https://127.0.0.1:$port (HTTP $status)"
      fi
    fi
    if [ "$answered" = true ] && [ -e "$lenient" ]; then
      echo "hashilab: WARNING: $lenient exists ($(head -c 200 "$lenient" | tr -d '\n')): $agent answers, its cluster is not checked" >&2
      break
    fi
    if [ "$answered" = true ]; then
      if cluster_verdict "$agent"; then
        if [ -n "$forming" ]; then
          echo "hashilab: $agent: $forming; not waiting for a leader"
        else
          echo "hashilab: $agent cluster is healthy: every server follows $leader"
        fi
        break
      fi
    fi
    if [ "$attempt" -ge "$attempts" ]; then
      if [ "$answered" = false ]; then
        fail "$agent" "did not answer https://127.0.0.1:$port after $attempts attempts; is it crashing? See its log below"
      fi
      fail "$agent" "is not healthy after $attempts attempts: $why. See the answers and its log below"
    fi
    sleep "$interval"
  done
done
