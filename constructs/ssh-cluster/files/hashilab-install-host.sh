#!/bin/bash
# hashilab-install-host.sh: makes an existing Debian 12 or Ubuntu 24.04 host (amd64, arm64) a
# hashilab host, the way cloud-init does on Hetzner: HashiCorp's apt repository with the
# vendored key, the pinned packages, the system files (units, firewall, scripts), then the
# first-boot script (hashilab-bootstrap). Terraform uploads everything to
# /run/hashilab-install (tmpfs) and runs this script as root; the secrets and the agents'
# configuration come afterwards with the delivery, as on Hetzner.
#
# Idempotent: a file is written only when it differs, a package installed only when its
# version differs, and with no change nothing else happens. A changed package version (an
# upgrade) is installed and the agents' restart left to the delivery that follows, which
# restarts them one host at a time and waits for them (pending-restart, as the install
# script of the delivery reads it); but the agents' own packages, marked "new-only", are only
# installed where missing: on a running host the rollout upgrades them (hashilab-rollout.sh).
#
# Uploaded beside it: files.list (lines "NAME MODE PATH [UNIT]": files/NAME goes to PATH, and
# UNIT is restarted when it changed), packages.list (lines "NAME", "NAME=VERSION" or
# "NAME=VERSION new-only"),
# hashicorp.list.in (the apt source, @RELEASE@ for the release's codename).
set -euo pipefail
# HASHILAB_ROOT only exists for tests: on a host every path is absolute.
root=${HASHILAB_ROOT:-}
upload=$root/run/hashilab-install
trap 'rm -rf "$upload"' EXIT
changed=()
restart=()

# shellcheck source=/dev/null
. "$root/etc/os-release"
case "${ID:-} ${VERSION_ID:-}" in
  "debian 12" | "ubuntu 24.04") ;;
  *)
    echo "hashilab: ${PRETTY_NAME:-this system} is not supported; hashilab hosts run Debian 12 or Ubuntu 24.04" >&2
    exit 1
    ;;
esac
arch=$(dpkg --print-architecture)
case $arch in
  amd64 | arm64) ;;
  *)
    echo "hashilab: architecture $arch is not supported (amd64 or arm64: HashiCorp's apt repository)" >&2
    exit 1
    ;;
esac

# put SOURCE MODE PATH [UNIT]: installs SOURCE at PATH (owned by root) unless it is there already.
put() {
  if ! cmp -s "$1" "$root$3"; then
    install -d -m 0755 "$(dirname "$root$3")"
    install -o root -g root -m "$2" "$1" "$root$3"
    changed+=("$3")
    if [ -n "${4:-}" ]; then restart+=("$4"); fi
  fi
}

while read -r name mode path unit; do
  put "$upload/files/$name" "$mode" "$path" "$unit"
done <"$upload/files.list"

sed "s/@RELEASE@/$VERSION_CODENAME/" "$upload/hashicorp.list.in" >"$upload/hashicorp.list"
put "$upload/hashicorp.list" 0644 /etc/apt/sources.list.d/hashicorp.list

# Packages missing or at another version; a pinned one may be held (hashilab-bootstrap holds them).
wanted=()
upgraded=()
while read -r spec when; do
  name=${spec%%=*}
  have=$(dpkg-query --show --showformat='${db:Status-Status} ${Version}' "$name" 2>/dev/null || true)
  case $spec in
    *=*)
      # The agents' packages: on a running host the rollout upgrades them, one host at a time.
      if [ "${when:-}" = new-only ] && [[ $have == installed\ * ]]; then
        continue
      fi
      if [ "$have" != "installed ${spec#*=}" ]; then
        wanted+=("$spec")
        case $have in installed\ *) upgraded+=("$name") ;; esac
      fi
      ;;
    *) case $have in installed\ *) ;; *) wanted+=("$spec") ;; esac ;;
  esac
done <"$upload/packages.list"
if [ ${#wanted[@]} -gt 0 ]; then
  apt-get update -qq
  # --force-confold: keep configuration files an operator changed, as cloud-init does. A fresh
  # install may be running unattended-upgrades: wait for its dpkg lock (libapt-pkg reads DPkg::Lock::Timeout) rather than fail.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-change-held-packages \
    -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=600 "${wanted[@]}"
  changed+=("${wanted[@]}")
  if [ ${#upgraded[@]} -gt 0 ]; then
    # Running agents keep the old binaries (and plugin) until the delivery restarts them,
    # which it does for what this file names (the delivery's install script reads it).
    install -d -m 0755 "$root/var/lib/hashilab"
    printf '%s\n' "consul nomad" >>"$root/var/lib/hashilab/pending-restart"
  fi
fi

if [ ${#changed[@]} -eq 0 ]; then
  echo "hashilab: host already installed; nothing changed"
  exit 0
fi
printf 'hashilab: changed %s\n' "${changed[@]}"
# Directories, kernel settings, held packages and enabled units, as on a Hetzner host's first boot.
HASHILAB_ROOT=$root bash "$root/usr/local/sbin/hashilab-bootstrap"
# Units whose files changed (the host firewall): enabled at boot, and restarted now.
for unit in $(printf '%s\n' "${restart[@]}" | sort -u); do
  systemctl enable "$unit"
  systemctl restart "$unit"
done
