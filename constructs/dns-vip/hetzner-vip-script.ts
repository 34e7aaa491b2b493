import { Token } from "cdktf";

/**
 * keepalived's notify_master script for Hetzner Cloud, which keepalived also runs periodically
 * with the argument "reconcile". Hetzner networks are layer 3: a VIP
 * cannot move by gratuitous ARP, the network routes it to the server that has it as an alias
 * IP. So the new MASTER takes the alias away from whichever server holds it (a MASTER that
 * died never gives it back) and assigns it to itself through the Hetzner Cloud API. The API
 * replaces a server's whole alias list, so both changes send the current list with only the
 * VIP removed or added.
 *
 * It runs inside the keepalived container (busybox sh, curl, sed, grep). The API token is
 * never in the script or the jobspec: a Nomad template renders it from a Nomad variable into
 * a header file in the task's secrets/ directory, and curl reads the header from that file,
 * so the token does not appear in any process's arguments either.
 */

export interface HetznerVipScriptSettings {
  /** The VIP, an address of the hosts' subnet. */
  readonly vip: string;
  /** Id of the Hetzner network the hosts are attached to (may be a Terraform reference). */
  readonly networkId: string;
  /** File holding the line `Authorization: Bearer <token>`, as the container sees it. */
  readonly authHeaderFile: string;
  /** Hetzner Cloud API base URL. */
  readonly apiUrl: string;
  /** Hetzner metadata service base URL (tells the server its own id). */
  readonly metadataUrl: string;
  /** Attempts to move the VIP before giving up (2 s apart). */
  readonly attempts: number;
}

/** The argument that makes the script check, on the MASTER only, that its server has the alias. */
export const RECONCILE_ARGUMENT = "reconcile";

export const HETZNER_API_URL = "https://api.hetzner.cloud/v1";
export const HETZNER_METADATA_URL = "http://169.254.169.254/hetzner/v1/metadata";

/** A literal network id goes into the script and a JSON body unquoted: it must be the number Hetzner gave. */
export function networkIdProblems(networkId: string): string[] {
  if (Token.isUnresolved(networkId) || /^[1-9][0-9]{0,18}$/.test(networkId)) return [];
  return [`hetzner.networkId ${JSON.stringify(networkId)} is not a Hetzner network id (a number such as "4711"): pass the hosts stack's network id`];
}

/** Renders the notify_master script. */
export function renderHetznerVipScript(s: HetznerVipScriptSettings): string {
  return `#!/bin/sh
# keepalived notify_master: move the DNS VIP ${s.vip} (a Hetzner alias IP) to this server.
# With "${RECONCILE_ARGUMENT}" (every 30 s): the same, only where this is the MASTER and its server lacks it.
set -eu

api='${s.apiUrl}'
metadata='${s.metadataUrl}'
network_id='${s.networkId}'
vip='${s.vip}'
auth_header='${s.authHeaderFile}'
attempts=${s.attempts}

hcloud() {
  method=$1
  path=$2
  shift 2
  curl --fail --silent --show-error --max-time 10 \\
    -H "@$auth_header" -H 'Content-Type: application/json' \\
    -X "$method" "$@" "$api$path"
}

# Replaces the alias IPs of a server's attachment to the network (a JSON list).
set_alias_ips() {
  hcloud POST "/servers/$1/actions/change_alias_ips" \\
    --data "{\\"network\\": $network_id, \\"alias_ips\\": $2}" >/dev/null
}

# The servers attached to the network: the only flat "servers" list in a network object.
network_servers() {
  json=$(hcloud GET "/networks/$network_id") || return 1
  printf '%s' "$json" | tr -d ' \\t\\r\\n' |
    sed -n 's/.*"servers":\\[\\([0-9,]*\\)\\].*/\\1/p' | tr ',' ' '
}

# A server's alias IPs on the network, as JSON strings one a line. Its private_net entries are
# flat objects, so with each object on a line of its own the network's entry is the line
# naming it.
alias_ips() {
  json=$(hcloud GET "/servers/$1") || return 1
  printf '%s' "$json" | tr -d ' \\t\\r\\n' | tr '{' '\\n' | tr '}' '\\n' | grep -E "\\"network\\":$network_id(,|\\$)" |
    sed -n 's/.*"alias_ips":\\[\\([^]]*\\)\\].*/\\1/p' | tr ',' '\\n' | grep -v '^$' || true
}

# The alias IPs in $1 but the VIP (exact match), joined with commas for a JSON list.
without_vip() {
  printf '%s\\n' "$1" | grep -vxF "\\"$vip\\"" | tr '\\n' ',' | sed 's/,*$//'
}

# Takes the VIP, and only the VIP, off every other server that has it.
release_from_others() {
  servers=$(network_servers) || return 1
  for server in $servers; do
    [ "$server" = "$self" ] && continue
    aliases=$(alias_ips "$server") || return 1
    printf '%s\\n' "$aliases" | grep -qxF "\\"$vip\\"" || continue
    if ! set_alias_ips "$server" "[$(without_vip "$aliases")]"; then
      echo "could not release $vip from server $server" >&2
      return 1
    fi
  done
}

# Adds the VIP to this server's alias IPs, keeping the others.
claim() {
  aliases=$(alias_ips "$self") || return 1
  others=$(without_vip "$aliases")
  # (No dollar-brace expansions in this script: Nomad reads those in a jobspec as its own.)
  [ -z "$others" ] || others="$others,"
  set_alias_ips "$self" "[$others\\"$vip\\"]"
}

mode=claim
[ "$#" -eq 0 ] || mode=$1
if [ "$mode" = ${RECONCILE_ARGUMENT} ]; then
  # Only the MASTER has the VIP on an interface; it may not have the alias if another MASTER
  # claimed it last (a healed split, a first deploy) or if its own claim gave up.
  ip addr show | grep -qF "inet $vip/" || exit 0
fi

self=$(curl --fail --silent --show-error --max-time 5 "$metadata/instance-id")

if [ "$mode" = ${RECONCILE_ARGUMENT} ]; then
  aliases=$(alias_ips "$self")
  if printf '%s\\n' "$aliases" | grep -qxF "\\"$vip\\""; then
    exit 0
  fi
  echo "this server ($self) holds $vip as MASTER but not as an alias IP: claiming it" >&2
  attempts=1
fi

attempt=1
until release_from_others && claim; do
  if [ "$attempt" -ge "$attempts" ]; then
    echo "giving up: $vip is not assigned to server $self after $attempts attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done
echo "$vip is now an alias IP of server $self"
`;
}
