#!/usr/bin/env bash
# Installs the Debian packages of the real validators the tests call (as .ci/run does),
# with sudo on a hosted runner that is not root.
set -euo pipefail
as_root=()
if [ "$(id -u)" != 0 ]; then
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends shellcheck keepalived cloud-init >/dev/null
shellcheck --version | head -n 2
