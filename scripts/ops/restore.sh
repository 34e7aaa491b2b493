#!/bin/bash
# restore.sh ENV nomad|consul SNAPSHOT --yes     restores a decrypted Raft snapshot into ENV
# restore.sh --drill nomad|consul SNAPSHOT       the same into the throwaway dev agents, then checks it
# Prints what it will do first; without --yes (or --drill) it stops there.
#
# A restore replaces every ACL token with the snapshot's. A snapshot older than the last
# management-token rotation holds the old token while <ENV>-acl's state holds the new one, and
# every provider would get 403; agent tokens rotated since are missing too. So after the
# restore this command makes the state's tokens valid again:
#  - if the state's management token is unknown, it bootstraps again with the state's secret
#    (`acl bootstrap -`, the secret on stdin): refused with the reset index, it writes that
#    index to acl-bootstrap-reset in every server's data dir over SSH (dev: the agents' working
#    directory), which the leader reads at the next bootstrap (Nomad 2.0.5
#    nomad/acl_endpoint.go Bootstrap, Consul 1.21.5 agent/consul/acl_endpoint.go BootstrapACL),
#    bootstraps, and removes the file;
#  - it re-runs <ENV>-acl's bootstrap of that system (terraform apply -replace), which finds
#    its own token and creates the agent and health-gate tokens again with the state's secrets.
# Consul only: the snapshot's catalog names the nodes with the IDs they had when it was taken;
# a rebuilt cluster's agents have new ones and Consul refuses them ("Node name ... is reserved
# by node ...") while the old entry looks healthy (agent/consul/state/catalog.go
# ensureNoNodeWithSimilarNameTxn). Every catalog node whose ID differs from its live agent's
# is deregistered, and the leader registers the live agent again.
# Run from the project root; the snapshot must be decrypted (age --decrypt) and is never copied.
set -euo pipefail
ops_dir=$(dirname "$0")
stacks=cdktf.out/stacks

die() {
  echo "restore.sh: $*" >&2
  exit 1
}
usage() {
  echo "usage: restore.sh ENV nomad|consul SNAPSHOT --yes   or   restore.sh --drill nomad|consul SNAPSHOT" >&2
  exit 2
}

confirmed=false drill=false args=()
for arg in "$@"; do
  case $arg in
    --yes) confirmed=true ;;
    --drill) drill=true ;;
    -*) echo "restore.sh: unknown option '$arg'" >&2 && usage ;;
    *) args+=("$arg") ;;
  esac
done
if $drill; then
  [ ${#args[@]} = 2 ] || usage
  env_name=dev system=${args[0]} snapshot=${args[1]}
else
  [ ${#args[@]} = 3 ] || usage
  env_name=${args[0]} system=${args[1]} snapshot=${args[2]}
fi
[[ $env_name =~ ^[a-z][a-z0-9-]*$ ]] || usage
case $system in
  nomad | consul) ;;
  *)
    echo "restore.sh: the system is nomad or consul, not '$system'" >&2
    exit 2
    ;;
esac
if [ ! -f "$snapshot" ] || [ ! -r "$snapshot" ]; then
  echo "restore.sh: snapshot file '$snapshot' not found (or not readable)" >&2
  exit 2
fi
if [[ $snapshot == *.age ]]; then
  echo "restore.sh: '$snapshot' is encrypted; decrypt it first: age --decrypt --identity <key file> --output ${snapshot%.age} $snapshot" >&2
  exit 2
fi

cluster_env=$("$ops_dir/cluster-env.sh" "$env_name" ${HASHILAB_SERVER:+"$HASHILAB_SERVER"})
eval "$cluster_env"

# Where each server reads acl-bootstrap-reset: HOST_PATHS.nomadDataDir + "/server" (the Nomad
# server's data dir) and HOST_PATHS.consulDataDir. Dev agents have no data dir: they read the
# bare file name, relative to the directory they were started in.
if [ "$system" = nomad ]; then
  host_reset_file=/opt/nomad/data/server/acl-bootstrap-reset address=$NOMAD_ADDR ca=${NOMAD_CACERT:-}
  inspect=(nomad operator snapshot inspect) restore=(nomad operator snapshot restore)
else
  host_reset_file=/opt/consul/acl-bootstrap-reset address=$CONSUL_HTTP_ADDR ca=${CONSUL_CACERT:-}
  inspect=(consul snapshot inspect) restore=(consul snapshot restore)
fi
acl_stack=$stacks/$env_name-acl
bootstrap_resource=$(terraform -chdir="$acl_stack" state list | grep -E "^terraform_data\.AclBootstrap_${system^}_[0-9A-F]{8}$" || true)
[ -n "$bootstrap_resource" ] || die "$env_name-acl's state has no ${system^} bootstrap (terraform_data.AclBootstrap_${system^}_...); deploy $env_name-acl first"
if [ -d "$stacks/$env_name-hosts" ]; then
  # The servers' SSH addresses: public on Hetzner, the LAN addresses of SSH hosts.
  hosts_out() { terraform -chdir="$stacks/$env_name-hosts" output -json "$1" | grep -oE '[0-9]+(\.[0-9]+){3}'; }
  mapfile -t server_ssh_ips < <(hosts_out server_public_ips 2>/dev/null || hosts_out server_private_ips)
  reset_where="on every server (ssh root@{${server_ssh_ips[*]}} 'echo <index> > $host_reset_file')"
elif ! [[ $address =~ ^https?://(127\.0\.0\.1|localhost): ]]; then
  die "$env_name has no hosts stack and its agents are not local ($address): the reset index must be written into the data dir of a server this cannot reach; follow \"Rotating a management token\" in docs/operations.md by hand"
else
  reset_where="in the dev agents' working directory (${HASHILAB_DEV_AGENT_DIR:-$PWD}/acl-bootstrap-reset)"
fi

echo "restore.sh will, in $env_name's ${system^} at $address:"
echo "  1. check that $snapshot is a ${system^} snapshot (${inspect[*]})"
echo "  2. restore it: every job, variable, catalog entry, ACL policy and token there is replaced by the snapshot's"
echo "  3. if $env_name-acl's management token is not among the snapshot's: bootstrap the ACLs again with that token's secret,"
echo "     writing the bootstrap reset index $reset_where"
echo "  4. re-run $env_name-acl's bootstrap (terraform apply -replace=$bootstrap_resource), which re-creates the agent tokens"
[ "$system" = consul ] && echo "  5. deregister catalog nodes whose ID differs from their live agent's, so that the agents register again"
$drill && echo "  6. check what the dev agents now hold (jobs, variables, ACL policies)"
if ! $drill && ! $confirmed; then
  echo "restore.sh: nothing done. This replaces the live state of $env_name; run again with --yes to go ahead (or --drill for the dev agents)." >&2
  exit 3
fi

token_env=$([ "$system" = nomad ] && echo NOMAD_TOKEN || echo CONSUL_HTTP_TOKEN)

# GET/PUT on the system's HTTP API with the state's token, sent on stdin rather than in argv.
api() {
  local method=$1 path=$2 body=${3:-}
  local args=(--silent --show-error --fail-with-body --request "$method" --header @-)
  [ -n "$ca" ] && args+=(--cacert "$ca")
  [ -n "$body" ] && args+=(--data "$body")
  local header=X-Consul-Token
  [ "$system" = nomad ] && header=X-Nomad-Token
  printf '%s: %s\n' "$header" "${!token_env}" | curl "${args[@]}" "$address$path"
}

# Whether the state's management token is valid: 0 yes, 1 the cluster does not know it (403).
token_valid() {
  local out
  if [ "$system" = nomad ]; then out=$(nomad acl token self 2>&1) && return 0; else out=$(consul acl token read -self 2>&1) && return 0; fi
  [[ $out == *"403"* ]] && return 1
  die "checking $env_name-acl's management token failed: $out"
}

# Writes (or with "rm", removes) the bootstrap reset index where the leader reads it. On hosts:
# on every server, so that a change of leader between the write and the bootstrap does not
# matter (and without a token to ask which one leads); a server SSH cannot reach cannot lead
# a bootstrap either, so the write fails only when it reaches none.
reset_file() {
  local index=$1
  if [ ! -d "$stacks/$env_name-hosts" ]; then
    local file=${HASHILAB_DEV_AGENT_DIR:-$PWD}/acl-bootstrap-reset
    if [ "$index" = rm ]; then rm -f "$file"; else printf '%s\n' "$index" >"$file"; fi
    return
  fi
  local ip written=0 remote="echo $index > $host_reset_file"
  [ "$index" = rm ] && remote="rm -f $host_reset_file"
  for ip in "${server_ssh_ips[@]}"; do
    if ssh -o BatchMode=yes "root@$ip" "$remote"; then
      written=$((written + 1))
    else
      echo "restore.sh: ssh root@$ip failed (above); going on with the other servers" >&2
    fi
  done
  [ "$written" -gt 0 ] || die "no server of $env_name took the reset index over SSH (${server_ssh_ips[*]})"
}

# Bootstraps with the state's secret (on stdin: never in argv, never printed).
bootstrap_with_state_secret() {
  if [ "$system" = nomad ]; then
    { printf '%s' "$NOMAD_TOKEN" | NOMAD_TOKEN='' nomad acl bootstrap - >/dev/null; } 2>&1
  else
    { printf '%s' "$CONSUL_HTTP_TOKEN" | CONSUL_HTTP_TOKEN='' consul acl bootstrap - >/dev/null; } 2>&1
  fi
}

# Makes the state's management token valid again (see the top of this file).
reconcile_management_token() {
  token_valid && return 0
  echo "restore.sh: $env_name's ${system^} does not know $env_name-acl's management token (a snapshot older than its last rotation); bootstrapping with it"
  local out index
  out=$(bootstrap_with_state_secret) && return 0
  [[ $out =~ reset\ index:\ ([0-9]+) ]] || die "bootstrapping with $env_name-acl's token failed: $out"
  index=${BASH_REMATCH[1]}
  echo "restore.sh: writing the reset index $index $reset_where"
  reset_file "$index"
  out=$(bootstrap_with_state_secret) || {
    reset_file rm
    die "bootstrapping with the reset index $index failed: $out"
  }
  reset_file rm
  token_valid || die "$env_name-acl's management token is still refused after the bootstrap"
  echo "restore.sh: bootstrapped $env_name's ${system^} with $env_name-acl's management token; the snapshot's own still works until you delete it (${system} acl token list: the older \"Bootstrap Token\")"
}

# Consul: deregisters catalog nodes whose ID is not their live agent's.
reconcile_node_ids() {
  local members nodes stale name
  members=$(api GET /v1/agent/members)
  nodes=$(api GET /v1/catalog/nodes)
  # Serf status 1 is alive (serf.StatusAlive); the agent's node ID is its "id" tag.
  stale=$(node -e '
    const [members, nodes] = process.argv.slice(1).map((t) => JSON.parse(t));
    const live = new Map(members.filter((m) => m.Status === 1).map((m) => [m.Name.toLowerCase(), m.Tags?.id]));
    for (const n of nodes) if (live.has(n.Node.toLowerCase()) && live.get(n.Node.toLowerCase()) !== n.ID) console.log(n.Node);' "$members" "$nodes")
  [ -n "$stale" ] || return 0
  while read -r name; do
    echo "restore.sh: node $name has another ID in the snapshot than its agent; deregistering the snapshot's entry"
    api PUT /v1/catalog/deregister "$(node -e 'console.log(JSON.stringify({ Node: process.argv[1] }))' "$name")" >/dev/null
  done <<<"$stale"
}

# What a drill can check: the restored jobs, variables and ACL policies are there.
drill_checks() {
  local counts
  if [ "$system" = nomad ]; then
    counts=$(node -e 'for (const t of process.argv.slice(1)) console.log(JSON.parse(t).length)' \
      "$(api GET '/v1/jobs?namespace=*')" "$(api GET '/v1/vars?namespace=*')" "$(api GET /v1/acl/policies)")
    read -r -d '' jobs vars policies <<<"$counts" || true
    echo "restore.sh: drill: the dev agent holds $jobs jobs, $vars variables and $policies ACL policies from the snapshot"
    if [ "$jobs" = 0 ] || [ "$policies" = 0 ]; then die "drill failed: a cluster of hashilab's has jobs and ACL policies; this snapshot restored none"; fi
  else
    counts=$(node -e 'const [p, s] = process.argv.slice(1).map((t) => JSON.parse(t)); console.log(p.filter((x) => x.Name !== "global-management").length, Object.keys(s).length)' \
      "$(api GET /v1/acl/policies)" "$(api GET /v1/catalog/services)")
    read -r policies services <<<"$counts"
    echo "restore.sh: drill: the dev agent holds $policies ACL policies (besides global-management) and $services services"
    [ "$policies" -gt 0 ] || die "drill failed: a cluster of hashilab's has ACL policies; this snapshot restored none"
  fi
  echo "restore.sh: drill passed. The dev agents now hold the snapshot's data: restart them and remove state/dev-*.tfstate before using dev again."
}

"${inspect[@]}" "$snapshot" >/dev/null || die "$snapshot is not a ${system^} snapshot (above); nothing restored"
# A restore needs a management token: after an earlier restore of an old snapshot the state's may be unknown.
reconcile_management_token
"${restore[@]}" "$snapshot"
reconcile_management_token
echo "restore.sh: re-running $env_name-acl's ${system^} bootstrap, which re-creates the agent tokens"
terraform -chdir="$acl_stack" apply -input=false -auto-approve -replace="$bootstrap_resource"
if [ "$system" = consul ]; then reconcile_node_ids; fi
if $drill; then drill_checks; fi
echo "restore.sh: done. Then: npx cdktf deploy $env_name-platform $env_name-workloads (re-aligns policies, tokens and jobs with the code)"
