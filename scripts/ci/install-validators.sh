#!/usr/bin/env bash
# Installs the Debian packages of the real validators the tests call, with sudo on a hosted
# runner that is not root. The one list of them: .ci/run and the workflows call this.
set -euo pipefail
as_root=()
if [ "$(id -u)" != 0 ]; then
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends \
  shellcheck keepalived cloud-init nftables systemd openssl curl ca-certificates age gnupg iproute2 util-linux \
  golang-go golang-github-hashicorp-go-bexpr-dev golang-github-hashicorp-hcl-v2-dev restic busybox \
  pebble certbot python3-certbot-dns-cloudflare python3-cryptography >/dev/null
shellcheck --version | head -n 2
