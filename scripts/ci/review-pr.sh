#!/usr/bin/env bash
# Writes the Markdown review of the working tree against a base ref to a file:
#   review-pr.sh <base-ref> <output.md>
# npm run review exits 2 when there are changes; only 1 (an error) fails this step.
set -uo pipefail
base="$1"
out="$2"
npm run --silent review -- "$base" --markdown >"$out"
status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
  echo "npm run review failed with exit code $status" >&2
  exit "$status"
fi
echo "review written to $out (exit code $status: $([ "$status" -eq 2 ] && echo changes || echo 'no changes'))"
