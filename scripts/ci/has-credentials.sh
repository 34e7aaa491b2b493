#!/usr/bin/env bash
# Sets the step output available=true when every named environment variable is non-empty,
# available=false (and says which are missing) otherwise, so jobs that need cloud
# credentials are skipped cleanly on forks and repositories without the secrets.
#   has-credentials.sh HCLOUD_TOKEN AWS_ACCESS_KEY_ID ...
set -euo pipefail
missing=()
for name in "$@"; do
  if [ -z "${!name:-}" ]; then
    missing+=("$name")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  available=true
else
  available=false
  echo "skipping: secrets not configured: ${missing[*]}"
fi
echo "available=$available" >>"${GITHUB_OUTPUT:-/dev/stdout}"
