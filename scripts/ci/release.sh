#!/usr/bin/env bash
# Releases tag $1 (vX.Y.Z) after the workflow's tests: packs the package (prepack builds dist/
# and drops the prepare script from the published package.json), attaches the tarball to the
# GitHub release (created when missing) so homelab repositories can install it by URL, and
# publishes it to npm with provenance when a registry token (NODE_AUTH_TOKEN) is configured.
set -euo pipefail
cd "$(dirname "$0")/../.."

tag=${1:?usage: scripts/ci/release.sh <tag>}
version=$(node -p 'require("./package.json").version')
if [ "$tag" != "v$version" ]; then
  echo "release: tag $tag does not name package.json's version $version; tag v$version, or set the version to ${tag#v} and tag again." >&2
  exit 1
fi

out=$(mktemp -d)
npm pack --silent --pack-destination "$out" >/dev/null
tarball="$out/hashilab-$version.tgz"
[ -f "$tarball" ] || { echo "release: npm pack wrote no $tarball; run npm pack locally to see why." >&2; exit 1; }

gh release view "$tag" >/dev/null 2>&1 || gh release create "$tag" --title "$tag" --generate-notes
gh release upload "$tag" "$tarball" --clobber

if [ -n "${NODE_AUTH_TOKEN:-}" ]; then
  # --provenance signs the package with the workflow's OIDC identity (id-token: write).
  npm publish "$tarball" --provenance --access public
else
  echo "release: no NODE_AUTH_TOKEN secret, so $tag is attached to the GitHub release but not published to npm."
fi
