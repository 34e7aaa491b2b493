#!/usr/bin/env bash
# Downloads pinned Nomad and Consul releases from releases.hashicorp.com, checks them against
# the release's SHA256SUMS, and puts them in $E2E_DIR/bin (added to GITHUB_PATH under Actions).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

NOMAD_VERSION="${NOMAD_VERSION:-2.0.5}"
CONSUL_VERSION="${CONSUL_VERSION:-1.21.5}"
arch="$(uname -m)"
case "$arch" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "unsupported architecture: $arch" >&2; exit 1 ;;
esac

mkdir -p "$E2E_DIR/bin" "$E2E_DIR/downloads"
install_release() {
  local product="$1" version="$2"
  local zip="${product}_${version}_linux_${arch}.zip"
  local base="https://releases.hashicorp.com/${product}/${version}"
  (
    cd "$E2E_DIR/downloads"
    curl -fsSLO "$base/$zip"
    curl -fsSLO "$base/${product}_${version}_SHA256SUMS"
    grep " ${zip}\$" "${product}_${version}_SHA256SUMS" | sha256sum -c -
    unzip -o -q "$zip" "$product" -d "$E2E_DIR/bin"
  )
  "$E2E_DIR/bin/$product" version | head -n 1
}

install_release nomad "$NOMAD_VERSION"
install_release consul "$CONSUL_VERSION"
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$E2E_DIR/bin" >>"$GITHUB_PATH"
fi
