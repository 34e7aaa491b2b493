#!/bin/sh
# Saves Raft snapshots of Nomad and Consul, uploads each to the bucket under
# <prefix><system>/<UTC timestamp>.snap, and keeps only the newest $RETAIN of each.
# Tokens come from the environment (a template reading this job's Nomad variable), the S3 keys
# from a curl config file in the secrets dir: nothing secret is on any command line.
# (No braces after dollar signs: Nomad's HCL would read them as its own interpolation.)
set -eu
# A snapshot holds every ACL secret of its cluster: never leave one behind, even when an upload fails.
trap 'rm -f "$NOMAD_TASK_DIR"/*.snap' EXIT

stamp=$(date -u +%Y%m%dT%H%M%SZ)

s3() {
  curl --fail --silent --show-error --config "$NOMAD_SECRETS_DIR/s3.curlrc" \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" "$@"
}

for system in nomad consul; do
  file="$NOMAD_TASK_DIR/$system-$stamp.snap"
  if [ "$system" = nomad ]; then
    nomad operator snapshot save "$file"
  else
    consul snapshot save "$file"
  fi
  key="$S3_PREFIX$system/$stamp.snap"
  s3 --upload-file "$file" "$S3_ENDPOINT/$S3_BUCKET/$key"
  rm -f "$file"
  echo "uploaded $key"

  # Keys sort by their timestamps; everything after the newest $RETAIN goes.
  s3 "$S3_ENDPOINT/$S3_BUCKET?list-type=2&prefix=$S3_PREFIX$system/" |
    grep -o '<Key>[^<]*</Key>' | sed -e 's/<Key>//' -e 's/<\/Key>//' |
    sort -r | tail -n +$((RETAIN + 1)) |
    while read -r old; do
      s3 -X DELETE "$S3_ENDPOINT/$S3_BUCKET/$old"
      echo "deleted $old"
    done
done
