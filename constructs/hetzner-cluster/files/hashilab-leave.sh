#!/bin/bash
# hashilab-leave.sh ROLE PRIVATE_IP: makes this host leave the cluster before Terraform forgets
# it. ROLE is server, client or both; PRIVATE_IP is the address the agents bind to. Run by the
# destroy-time provisioner of ClusterMembership (constructs/hetzner-cluster/membership.ts) when
# the host is removed from the environment; docs/operations.md "Removing a host".
#
# Nomad first, while Consul still serves its service registrations, then Consul:
#   1. A drop-in configuration turns on the graceful leave (leave_on_interrupt/_terminate) and,
#      on a client, drain_on_shutdown. Nomad 2.0.5 reads both only at start: handleSignals
#      (command/agent/command.go) asks the configuration the agent started with, and a SIGHUP
#      reload (Agent.Reload) does not change them. So the agent restarts once, and this waits
#      until it is back in the cluster (a client that has servers, a server that sees a leader).
#   2. Stopping it (the unit's KillSignal is SIGINT) runs terminateGracefully, agent.Leave: the
#      client drains itself (client/drain.go DrainSelf) with its own node identity, which
#      Node.UpdateDrain accepts without node:write (nomad/node_endpoint.go checkNodeDrainAuth,
#      AuthorizeSameNode), so a client-only host needs no ACL token; the stop waits for the
#      drain up to its deadline. A server leaves Raft (nomad/server.go Leave: a leader removes
#      itself, a follower leaves Serf and waits until the leader removed its peer).
#   3. Consul likewise: leave_on_terminate (false by default on servers, true on clients:
#      agent/config/builder.go), a restart, a stop (KillSignal SIGTERM), a graceful leave.
#      `consul leave` (PUT /v1/agent/leave) would need agent:write on this node
#      (agent/agent_endpoint.go AgentLeave), which no token on a client-only host has.
#   4. A server checks that the other servers' Raft configurations no longer hold it
#      (GET /v1/status/peers?stale, no token needed). When no other server answers (the whole
#      cluster is being destroyed) it says so and goes on: the remaining servers' health gate
#      refuses a Raft peer that is not a listed server, so a leftover stops the next rollout.
#   5. Both units are disabled, so a reboot does not rejoin the host, and the drop-ins removed
#      (also on failure), so a host that is added back starts as a plain member.
# An agent that is not running is skipped, so a run after a failure goes on where it stopped.
# Every wait is bounded; docs/operations.md says what to do when the host is dead.
set -euo pipefail
# HASHILAB_ROOT only exists for tests: on a host every path is absolute.
root=${HASHILAB_ROOT:-}
role=${1:-}
self=${2:-}
case $role in
  server | client | both) ;;
  *)
    echo "hashilab-leave: usage: hashilab-leave.sh server|client|both PRIVATE_IP (role '$role' is none of them)" >&2
    exit 2
    ;;
esac
if ! [[ $self =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then
  echo "hashilab-leave: usage: hashilab-leave.sh server|client|both PRIVATE_IP ('$self' is no IPv4 address)" >&2
  exit 2
fi
is_server=false
is_client=false
[ "$role" = client ] || is_server=true
[ "$role" = server ] || is_client=true

# How long a client's allocations get to move to other clients; then the servers stop what is
# left (drain_on_shutdown's deadline, client/config/drain.go). systemd waits that long plus a
# minute for the stop (the agent's own graceful timeout adds 5 s: terminateGracefully).
drain_deadline_seconds=300
# HASHILAB_WAIT_* only exist for tests: 60 attempts 2 s apart.
attempts=${HASHILAB_WAIT_ATTEMPTS:-60}
interval=${HASHILAB_WAIT_INTERVAL_SECONDS:-2}

ca=$root/etc/hashilab/tls/ca.pem
consul_config=$root/etc/hashilab/consul.d/agent.hcl
nomad_leave_config=$root/etc/hashilab/nomad.d/zz-hashilab-leave.hcl
consul_leave_config=$root/etc/hashilab/consul.d/zz-hashilab-leave.hcl
nomad_stop_timeout=$root/run/systemd/system/nomad.service.d/hashilab-leave.conf

# Removes the leave settings once an agent stopped, and on any failure: a host that is added
# back (or kept after a failed leave) must not drain and leave at its next restart.
forget_nomad_leave() {
  rm -f "$nomad_leave_config"
  if [ -e "$nomad_stop_timeout" ]; then
    rm -f "$nomad_stop_timeout"
    systemctl daemon-reload || true
  fi
}
forget_consul_leave() {
  rm -f "$consul_leave_config"
}
# Whether an agent runs with the leave settings loaded (restarted with them, not stopped yet).
nomad_armed=false
consul_armed=false
# On any end: the leave settings go; an agent that a failure left running with them loaded
# would drain and leave at its next ordinary stop (Nomad reads them only at start), so it is
# killed without a graceful stop (SIGKILL runs no leave) and started without them.
restart_without_leave() {
  if systemctl is-active --quiet "$1.service"; then
    echo "hashilab-leave: $1 still runs with the leave settings: killing it and starting it without them" >&2
    systemctl kill --signal=SIGKILL --kill-who=main "$1.service" || true
    systemctl restart "$1.service" || true
  fi
}
disarm() {
  forget_nomad_leave
  forget_consul_leave
  if [ "$nomad_armed" = true ]; then restart_without_leave nomad; fi
  if [ "$consul_armed" = true ]; then restart_without_leave consul; fi
}
trap disarm EXIT

# fetch AGENT HOST PATH: sets $status (000 when nothing answered) and $body. No token: the
# status and client health endpoints need none.
fetch() {
  local port out
  case $1 in
    consul) port=8501 ;;
    nomad) port=4646 ;;
  esac
  out=$(curl --silent --connect-timeout 2 --max-time 8 --cacert "$ca" --write-out '\n%{http_code}' "https://$2:$port$3" 2>/dev/null || true)
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  [ -n "$status" ] || status=000
  [ "$body" != "$out" ] || body=""
}

fail() {
  echo "hashilab-leave: $1 $2" >&2
  journalctl --unit "$1.service" --no-pager --lines=30 >&2 || true
  exit 1
}

# back_in_cluster AGENT: 0 once the restarted agent is a member again: a Nomad client has
# servers (GET /v1/agent/health?type=client is 200), a server sees a leader; $why otherwise.
back_in_cluster() {
  if [ "$1" = nomad ] && [ "$is_client" = true ]; then
    fetch nomad 127.0.0.1 "/v1/agent/health?type=client"
    why="its client health answers HTTP $status ${body:-(empty)}"
    [ "$status" = 200 ]
    return
  fi
  fetch "$1" 127.0.0.1 /v1/status/leader
  why="it knows no leader (HTTP $status ${body:-(empty)})"
  [ "$status" = 200 ] && [ -n "$(tr -d '"[:space:]' <<<"$body")" ]
}

# wait_back AGENT: waits until back_in_cluster, or fails: without servers a client cannot
# drain, and without a leader a server cannot leave Raft.
wait_back() {
  for ((attempt = 1; ; attempt++)); do
    if back_in_cluster "$1"; then return 0; fi
    [ "$attempt" -lt "$attempts" ] || fail "$1" "is not back in the cluster after its restart ($why), so it cannot leave gracefully; see its log below"
    sleep "$interval"
  done
}

# wait_left AGENT RAFT_PORT: waits until no other server's Raft configuration holds this host.
wait_left() {
  local others server answered peer_of_someone
  others=$(grep -E '^retry_join *=' "$consul_config" 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+){3}' | grep -vxF "$self" || true)
  if [ -z "$others" ]; then
    echo "hashilab-leave: $1: no other server is listed; nothing to check"
    return 0
  fi
  for ((attempt = 1; ; attempt++)); do
    answered=0
    peer_of_someone=""
    for server in $others; do
      fetch "$1" "$server" "/v1/status/peers?stale"
      [ "$status" = 200 ] || continue
      answered=$((answered + 1))
      if grep -qF "\"$self:$2\"" <<<"$body"; then peer_of_someone+=" $server"; fi
    done
    if [ "$answered" -eq 0 ]; then
      echo "hashilab-leave: WARNING: $1: no other server answers, so whether this host left their Raft configuration is not known (the cluster is going away, or the next rollout's health gate finds a leftover peer)" >&2
      return 0
    fi
    if [ -z "$peer_of_someone" ]; then
      echo "hashilab-leave: $1: this host is no longer a Raft peer of the other servers"
      return 0
    fi
    [ "$attempt" -lt "$attempts" ] || fail "$1" "left, but $self:$2 is still a Raft peer of:$peer_of_someone (remove it there: docs/operations.md \"A dead host\")"
    sleep "$interval"
  done
}

leave_nomad() {
  if ! systemctl is-active --quiet nomad.service; then
    echo "hashilab-leave: nomad is not running: nothing to drain or leave"
    # A re-run after a leave whose Raft check failed: the check still decides.
    if [ "$is_server" = true ]; then wait_left nomad 4647; fi
    return 0
  fi
  {
    echo "# Written by hashilab-leave.sh while this host leaves the cluster; removed when it is done."
    echo "leave_on_interrupt = true"
    echo "leave_on_terminate = true"
    if [ "$is_client" = true ]; then
      printf 'client {\n  drain_on_shutdown {\n    deadline = "%ss"\n  }\n}\n' "$drain_deadline_seconds"
    fi
  } >"$nomad_leave_config"
  mkdir -p "${nomad_stop_timeout%/*}"
  printf '[Service]\nTimeoutStopSec=%s\n' "$((drain_deadline_seconds + 60))" >"$nomad_stop_timeout"
  systemctl daemon-reload
  nomad_armed=true
  systemctl restart nomad.service
  wait_back nomad
  echo "hashilab-leave: nomad: stopping the agent: $([ "$is_client" = true ] && echo "its client drains (up to ${drain_deadline_seconds}s), ")$([ "$is_server" = true ] && echo "its server leaves Raft")"
  systemctl stop nomad.service
  nomad_armed=false
  forget_nomad_leave
  if [ "$is_server" = true ]; then wait_left nomad 4647; fi
}

leave_consul() {
  if ! systemctl is-active --quiet consul.service; then
    echo "hashilab-leave: consul is not running: nothing to leave"
    if [ "$is_server" = true ]; then wait_left consul 8300; fi
    return 0
  fi
  {
    echo "# Written by hashilab-leave.sh while this host leaves the cluster; removed when it is done."
    echo "leave_on_terminate = true"
  } >"$consul_leave_config"
  consul_armed=true
  systemctl restart consul.service
  wait_back consul
  echo "hashilab-leave: consul: stopping the agent, which leaves the cluster"
  systemctl stop consul.service
  consul_armed=false
  forget_consul_leave
  if [ "$is_server" = true ]; then wait_left consul 8300; fi
}

leave_nomad
leave_consul
systemctl disable nomad.service consul.service
echo "hashilab-leave: this host left the cluster; nomad and consul are stopped and disabled"
