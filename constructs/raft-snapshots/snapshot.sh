#!/bin/sh
# Saves Raft snapshots of Nomad and Consul, encrypts each with age to $AGE_RECIPIENT, uploads
# it to the bucket as <prefix><system>/<UTC timestamp>.snap.age and keeps only the newest
# $RETAIN of each. Any failed step fails the run (and so the allocation): no pipelines, whose
# status would be only their last command's (POSIX sh has no pipefail).
# Tokens come from the environment (a template reading this job's Nomad variable), the S3 keys
# from a curl config file in the secrets dir: nothing secret is on any command line.
# (No brace right after "$" or "%": Nomad's HCL would read it as its own interpolation or
# directive, hence '%''{http_code}' below.)
set -eu
umask 077
export LC_ALL=C
work=$NOMAD_TASK_DIR
# A plaintext snapshot holds every ACL secret of its cluster: it exists only in the secrets
# dir (a tmpfs: memory, never the disk), and never outlives the run, even when a step fails.
plain_dir=$NOMAD_SECRETS_DIR
# (*.snap* also takes the .tmp file `nomad operator snapshot save` leaves when a download
# fails; dash skips the EXIT trap on a signal unless the signal exits through it.)
trap 'rm -f "$plain_dir"/*.snap* "$work"/*.snap.age "$work"/s3.*' EXIT
trap 'exit 143' INT TERM HUP

stamp=$(date -u +%Y%m%dT%H%M%SZ)
# SigV4's payload hash of an empty body.
empty_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# Keys this job wrote: <time>.snap.age, or .snap from before snapshots were encrypted.
stamp_glob='[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z'

fail() {
  echo "raft-snapshots: $*" >&2
  exit 1
}

# s3 <payload sha256> <curl arguments...>: one signed request; S3's answer lands in
# $work/s3.out and anything but a 2xx answer fails the run, printing S3's error (a 301 from a
# wrong regional endpoint too, which curl --fail would pass). curl 7.88 signs every header
# given with -H and uses x-amz-content-sha256's value as the payload hash, but sends none of
# its own (curl 8.0 does), and S3 requires it. --disable (first): no ~/.curlrc. A stalled
# store aborts (and --retry covers a blip): a hung run would skip the next ones.
s3() {
  payload_sha256=$1
  shift
  rm -f "$work/s3.out"
  status=$(curl --disable --silent --show-error --config "$NOMAD_SECRETS_DIR/s3.curlrc" \
    --connect-timeout 30 --speed-limit 1024 --speed-time 60 --retry 3 \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --header "x-amz-content-sha256: $payload_sha256" \
    --output "$work/s3.out" --write-out '%''{http_code}' "$@") || fail "S3 request failed: $*"
  case $status in
  2??) ;;
  *)
    if [ -f "$work/s3.out" ]; then cat "$work/s3.out" >&2; fi
    fail "S3 answered HTTP $status to: $*"
    ;;
  esac
}

# SigV4's URI encoding of $1: every byte but A-Z a-z 0-9 - . _ ~ as %XX in upper-case hex.
# (curl 7.88's --data-urlencode writes lower-case hex; S3 signs upper-case, so it would not match.)
uri_encode() {
  uri_raw=$1 awk 'BEGIN {
    for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
    s = ENVIRON["uri_raw"]
    for (i = 1; i <= length(s); i++) {
      c = substr(s, i, 1)
      printf "%s", (c ~ /^[A-Za-z0-9._~-]$/ ? c : sprintf("%%%02X", ord[c]))
    }
  }'
}

# Every key under <prefix><system>/ into $work/s3.keys, page by page (at most 1,000 a page).
# curl 7.88 signs the query as written (canonicalization came in 8.3), so it is written in
# SigV4's canonical form: parameters sorted by name, values URI-encoded.
list_keys() {
  : >"$work/s3.keys"
  prefix_q=$(uri_encode "$1")
  token=
  while :; do
    if [ -n "$token" ]; then
      token_q=$(uri_encode "$token")
      s3 "$empty_sha256" "$S3_ENDPOINT/$S3_BUCKET?continuation-token=$token_q&list-type=2&prefix=$prefix_q"
    else
      s3 "$empty_sha256" "$S3_ENDPOINT/$S3_BUCKET?list-type=2&prefix=$prefix_q"
    fi
    # One element per line, XML entities decoded (&amp; last).
    tr '<' '\n' <"$work/s3.out" >"$work/s3.lines"
    sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&amp;/\&/g' \
      "$work/s3.lines" >"$work/s3.xml"
    grep -q '^ListBucketResult[ >]' "$work/s3.xml" || fail "not a ListObjectsV2 answer"
    sed -n 's/^Key>//p' "$work/s3.xml" >>"$work/s3.keys"
    truncated=$(sed -n 's/^IsTruncated>//p' "$work/s3.xml")
    [ "$truncated" = true ] || break
    token=$(sed -n 's/^NextContinuationToken>//p' "$work/s3.xml")
    [ -n "$token" ] || fail "a truncated listing without NextContinuationToken"
  done
}

command -v age >/dev/null || fail "age is not installed on this host; refusing to upload unencrypted snapshots"

for system in nomad consul; do
  plain="$plain_dir/$system-$stamp.snap"
  if [ "$system" = nomad ]; then
    nomad operator snapshot save "$plain"
  else
    consul snapshot save "$plain"
  fi
  sealed="$work/$system-$stamp.snap.age"
  age --encrypt --recipient "$AGE_RECIPIENT" --output "$sealed" "$plain"
  rm -f "$plain"
  # Only age's ciphertext leaves the host.
  IFS= read -r header <"$sealed" || fail "$sealed is empty"
  [ "$header" = age-encryption.org/v1 ] || fail "$sealed is not age ciphertext; refusing to upload it"
  sum=$(sha256sum <"$sealed")
  read -r body_sha256 _ <<EOF
$sum
EOF
  key="$S3_PREFIX$system/$stamp.snap.age"
  s3 "$body_sha256" --upload-file "$sealed" "$S3_ENDPOINT/$S3_BUCKET/$key"
  rm -f "$sealed"
  echo "uploaded $key"

  # Keys sort by their timestamps; everything after the newest $RETAIN goes. Other keys under
  # the prefix (another name, a deeper path) are not this job's and stay.
  list_keys "$S3_PREFIX$system/"
  : >"$work/s3.ours"
  while IFS= read -r listed; do
    # shellcheck disable=SC2254 # $stamp_glob is meant as a pattern
    case $listed in
    "$S3_PREFIX$system/"*/*) ;;
    "$S3_PREFIX$system/"$stamp_glob.snap.age | "$S3_PREFIX$system/"$stamp_glob.snap) echo "$listed" >>"$work/s3.ours" ;;
    esac
  done <"$work/s3.keys"
  sort -r "$work/s3.ours" >"$work/s3.sorted"
  tail -n +$((RETAIN + 1)) "$work/s3.sorted" >"$work/s3.expired"
  while IFS= read -r old; do
    s3 "$empty_sha256" --request DELETE "$S3_ENDPOINT/$S3_BUCKET/$old"
    echo "deleted $old"
  done <"$work/s3.expired"
done
