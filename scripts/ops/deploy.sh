#!/bin/bash
# deploy.sh ENV STACK... [-replace=ADDRESS...]: deploys STACKs of ENV in the order given (what `cdktf deploy` does:
# synth, then terraform init, plan and apply in cdktf.out/stacks/<stack>), but when a stack's
# plan changes hosts, ACLs or generated secrets (a rotation), it first saves a Raft snapshot of
# Nomad and of Consul, named after the stack's state serial, and then applies exactly that plan.
#   npm run deploy -- lab lab-hosts lab-acl
# Why a wrapper on the operator's machine rather than a Terraform resource on a server: only
# the plan knows whether a deploy touches hosts or ACLs, and a resource inside the plan runs in
# the same apply as the changes it should precede, in an order Terraform picks; the wrapper also
# snapshots before the hosts stack replaces the servers a resource would have to run on.
# The snapshots hold every ACL secret and the keyring. They go to
# $HASHILAB_SNAPSHOT_DIR (default state/snapshots, beside the state, which holds the same
# secrets and which git ignores) as <env>/<stack>-serial-<serial>-<UTC time>/{nomad,consul}.snap,
# directories 0700 and files 0600. Restore one with scripts/ops/restore.sh.
# Run from the project root with what `cdktf deploy` needs (TF_VAR_*, provider credentials).
# HASHILAB_SERVER picks the server the snapshots are taken from (see cluster-env.sh).
set -euo pipefail
umask 077
ops_dir=$(dirname "$0")
env_name=${1:-}
usage() {
  echo "usage: deploy.sh ENV STACK... [-replace=ADDRESS...]  (e.g. deploy.sh lab lab-hosts lab-acl)" >&2
  exit 2
}
[[ $env_name =~ ^[a-z][a-z0-9-]*$ ]] || usage
shift
stacks=() plan_options=()
for arg in "$@"; do
  case $arg in
    # A rotation: terraform plan's own option, so the replacement is snapshotted like any change.
    -replace=?*) plan_options+=("$arg") ;;
    -*)
      echo "deploy.sh: unknown option '$arg' (only -replace=ADDRESS is passed on to terraform plan)" >&2
      exit 2
      ;;
    *)
      if [[ $arg != "$env_name"-* ]] || ! [[ $arg =~ ^[a-z0-9-]+$ ]]; then
        echo "deploy.sh: '$arg' is not a stack of $env_name (its stacks are named $env_name-hosts, $env_name-acl, ...)" >&2
        exit 2
      fi
      stacks+=("$arg")
      ;;
  esac
done
[ ${#stacks[@]} -gt 0 ] || usage
if [ ${#plan_options[@]} -gt 0 ] && [ ${#stacks[@]} != 1 ]; then
  echo "deploy.sh: -replace names a resource of one stack; deploy that stack alone" >&2
  exit 2
fi

# Resource types whose changes touch the hosts (servers, the deliveries to them), the ACL
# systems (the bootstrap, policies, tokens) or generated secrets and certificates (rotations).
guarded_types='^(hcloud_|terraform_data$|null_resource$|random_|tls_|nomad_acl_|consul_acl_)'

# The addresses of the plan's changes to guarded types, one a line (terraform show -json's
# resource_changes; "no-op" and "read" change nothing).
guarded_changes() {
  # shellcheck disable=SC2016 # JavaScript, not shell: ${...} is a template literal
  terraform -chdir="$1" show -json "$2" | node -e '
    let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
      const guarded = new RegExp(process.argv[1]);
      for (const change of JSON.parse(text).resource_changes ?? []) {
        const actions = change.change?.actions ?? [];
        if (guarded.test(change.type) && actions.some((a) => a !== "no-op" && a !== "read")) console.log(`${change.address} (${actions.join(", ")})`);
      }
    });' "$guarded_types"
}

# The serial of a stack's state (terraform state pull prints nothing before the first apply).
state_serial() {
  terraform -chdir="$1" state pull | node -e '
    let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => console.log(text.trim() === "" ? 0 : JSON.parse(text).serial));'
}

# Saves both snapshots before STACK's plan is applied; $2 lists the changes that call for it.
snapshot() {
  local stack=$1 changes=$2 dir serial target cluster_env
  dir=cdktf.out/stacks/$stack
  local acl=cdktf.out/stacks/$env_name-acl message
  if [ ! -d "$acl" ]; then
    echo "deploy.sh: $env_name has no acl stack (a cluster someone else runs): its snapshots are theirs"
    return
  fi
  # Only a state that is readable and holds no token yet is a first deploy; a backend that
  # cannot be read (not initialized, no credentials) must not skip the snapshot silently.
  if ! message=$(terraform -chdir="$acl" init -input=false 2>&1 >/dev/null); then
    printf '%s\n' "$message" >&2
    echo "deploy.sh: cannot read $env_name-acl's state to take the snapshots before $stack; nothing applied" >&2
    exit 1
  fi
  if ! message=$(terraform -chdir="$acl" output -raw nomad_token 2>&1 >/dev/null); then
    if grep -q 'not found' <<<"$message"; then
      echo "deploy.sh: $env_name-acl has no tokens yet (a first deploy): no cluster to snapshot"
      return
    fi
    printf '%s\n' "$message" >&2
    echo "deploy.sh: cannot read $env_name-acl's tokens to take the snapshots before $stack; nothing applied" >&2
    exit 1
  fi
  if ! cluster_env=$("$ops_dir/cluster-env.sh" "$env_name" ${HASHILAB_SERVER:+"$HASHILAB_SERVER"}); then
    echo "deploy.sh: cannot reach $env_name for the snapshots before $stack; nothing applied. Name another server with HASHILAB_SERVER=2 (see cluster-env.sh)" >&2
    exit 1
  fi
  serial=$(state_serial "$dir")
  target=${HASHILAB_SNAPSHOT_DIR:-state/snapshots}/$env_name/$stack-serial-$serial-$(date -u +%Y%m%dT%H%M%SZ)
  # umask 077: the folders this creates are 0700 (one given in HASHILAB_SNAPSHOT_DIR is left as it is).
  mkdir -p "$target"
  printf '%s\n' "$changes" >"$target/changes.txt"
  echo "deploy.sh: $stack changes hosts, ACLs or secrets; snapshots first, to $target:"
  printf '  %s\n' "$changes"
  # One && chain: errexit does not apply inside a subshell that is the left side of ||.
  (eval "$cluster_env" && nomad operator snapshot save "$target/nomad.snap" && consul snapshot save "$target/consul.snap") || {
    echo "deploy.sh: the snapshots before $stack failed (above); nothing applied" >&2
    exit 1
  }
  chmod 600 "$target"/*.snap
}

npm run --silent synth
for stack in "${stacks[@]}"; do
  dir=cdktf.out/stacks/$stack
  if [ ! -f "$dir/cdk.tf.json" ]; then
    echo "deploy.sh: the app has no stack $stack; the synthesized ones are the folders in cdktf.out/stacks" >&2
    exit 2
  fi
  plan=hashilab-deploy.tfplan
  # A saved plan holds the values it applies, secrets included: it lives only until applied.
  trap 'rm -f "$dir/$plan"' EXIT
  terraform -chdir="$dir" init -input=false >/dev/null
  status=0
  terraform -chdir="$dir" plan -input=false -detailed-exitcode "${plan_options[@]}" -out="$plan" || status=$?
  case $status in
    0) echo "deploy.sh: $stack has no changes" ;;
    2)
      changes=$(guarded_changes "$dir" "$plan")
      if [ -n "$changes" ]; then snapshot "$stack" "$changes"; fi
      terraform -chdir="$dir" apply -input=false "$plan"
      ;;
    *)
      echo "deploy.sh: planning $stack failed (above); nothing applied" >&2
      exit 1
      ;;
  esac
  rm -f "$dir/$plan"
done
