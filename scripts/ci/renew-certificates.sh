#!/usr/bin/env bash
# Renews one environment's host certificates without anyone remembering to plan (the
# renew-certificates workflow runs it daily): plans the hosts stack and, when the plan only
# re-issues host certificates (Terraform's early renewal, from 30 days before expiry) and
# re-runs those hosts' deliveries, applies exactly that plan: host by host behind the health
# gate, the agents reload. Any other change stops it (renewal-plan.mjs). The CA key stays in
# the Terraform state this runner reads; it never reaches a host.
#   renew-certificates.sh <env>   after `npm run synth`; needs the state backend's credentials,
#                                 HCLOUD_TOKEN (Hetzner) and SSH_PRIVATE_KEY (the delivery key)
set -euo pipefail
env_name=${1:?usage: renew-certificates.sh <env>}
: "${SSH_PRIVATE_KEY:?SSH_PRIVATE_KEY (the key Terraform delivers with) is not set}"
dir=cdktf.out/stacks/$env_name-hosts
if [ ! -f "$dir/cdk.tf.json" ]; then
  echo "renew-certificates: $dir/cdk.tf.json is missing: run npm run synth first (does $env_name have a hosts stack?)" >&2
  exit 1
fi
# The key lives in this agent's memory only; the saved plan holds state values (secrets).
eval "$(ssh-agent -s)" >/dev/null
trap 'ssh-agent -k >/dev/null; rm -f "$dir/renewal.tfplan"' EXIT
ssh-add - <<<"$SSH_PRIVATE_KEY" 2>/dev/null
terraform -chdir="$dir" init -input=false >/dev/null
terraform -chdir="$dir" plan -input=false -lock-timeout=5m -out=renewal.tfplan >/dev/null
status=0
terraform -chdir="$dir" show -json renewal.tfplan | scripts/ci/renewal-plan.mjs || status=$?
case $status in
  0) terraform -chdir="$dir" apply -input=false renewal.tfplan ;;
  3) echo "renew-certificates: no certificate of $env_name is due; nothing to do" ;;
  *) exit "$status" ;;
esac
