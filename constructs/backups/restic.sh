#!/bin/sh
# restic for one volume: restic.sh backup | check | restore
#   backup   back up $BACKUP_PATH (the volume, mounted while the app is stopped), then forget
#            what the retention does not keep and prune; initializes the repository on first use
#   check    verify the repository's structure and $CHECK_SUBSET of its data
#   restore  replace the volume's contents with snapshot $RESTORE_SNAPSHOT ("latest" or an id),
#            after a safety snapshot of what is there now (tag pre-restore)
# The repository ($RESTIC_REPOSITORY), its password (file $RESTIC_PASSWORD_FILE) and the S3 keys
# (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) come from the environment: nothing secret is on a
# command line. Every snapshot is made with --host $BACKUP_HOST (the volume's id), so snapshots
# of one volume group together wherever the job ran. Any failed step fails the run: no
# pipelines (POSIX sh has no pipefail), and restic's exit 3 (some files unreadable) is a failure.
# (No brace right after "$" or "%": Nomad's HCL would read it as its own interpolation.)
set -eu
umask 077
export LC_ALL=C

fail() {
  echo "restic-volume: $*" >&2
  exit 1
}

[ -d "$BACKUP_PATH" ] || fail "$BACKUP_PATH is not a directory: is the volume mounted?"
: "$BACKUP_HOST" "$RESTIC_REPOSITORY" "$RESTIC_PASSWORD_FILE"

# A repository that is not there yet is created; any other error (network, refused keys, a wrong
# password) fails rather than trying to initialize over an existing repository. restic 0.14 has
# no exit code for "no repository" (10 came in 0.17), so the missing config file is told by the
# backend's own words: the local backend's stat error, S3's NoSuchKey (minio-go's "The specified
# key does not exist." for a HEAD without a body). "unable to open config file" prefixes every
# failure, refused keys included, so it alone says nothing. A missing bucket answers the same
# HEAD the same way, so restic init runs and creates it if the keys may create buckets: give the
# job keys that reach its one bucket only.
ensure_repository() {
  if restic cat config >/dev/null 2>"$work/cat.err"; then return 0; fi
  if grep -qE 'no such file or directory|NoSuchKey|The specified key does not exist' "$work/cat.err"; then
    restic init
  else
    cat "$work/cat.err" >&2
    fail "cannot read the repository's config (see above); not initializing over it"
  fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 143' INT TERM HUP

[ $# -eq 1 ] || fail "usage: restic.sh backup | check | restore"
case $1 in
backup)
  ensure_repository
  # The path as mounted, so a restore puts files back where the app reads them.
  restic backup --host "$BACKUP_HOST" --tag "$BACKUP_TAG" --one-file-system "$BACKUP_PATH"
  restic forget --host "$BACKUP_HOST" --tag "$BACKUP_TAG" --group-by host,tags --keep-last "$KEEP_LAST" \
    --keep-daily "$KEEP_DAILY" --keep-weekly "$KEEP_WEEKLY" --keep-monthly "$KEEP_MONTHLY" --prune
  ;;
check)
  restic check --read-data-subset "$CHECK_SUBSET"
  ;;
restore)
  # Unset unless the dispatch set the snapshot meta (Nomad then leaves its own placeholder).
  snapshot=$(env | sed -n 's/^RESTORE_SNAPSHOT=//p')
  case $snapshot in '' | *NOMAD_META*) snapshot= ;; esac
  [ -n "$snapshot" ] || fail "set RESTORE_SNAPSHOT to a snapshot id or \"latest\" (restic snapshots --host $BACKUP_HOST)"
  ensure_repository
  # Resolve "latest" to an id before the safety snapshot becomes the latest, and before
  # anything in the volume is touched.
  restic snapshots --host "$BACKUP_HOST" --tag "$BACKUP_TAG" --json "$snapshot" >"$work/snapshot.json"
  tr ',' '\n' <"$work/snapshot.json" >"$work/snapshot.lines"
  id=$(sed -n 's/^"id":"\([0-9a-f]*\)"$/\1/p' "$work/snapshot.lines")
  [ -n "$id" ] || fail "no snapshot $snapshot of $BACKUP_HOST (tag $BACKUP_TAG) in the repository; list them with restic snapshots --host $BACKUP_HOST"
  restic backup --host "$BACKUP_HOST" --tag pre-restore --one-file-system "$BACKUP_PATH"
  # restic 0.14 restores over what is there without deleting extra files: empty the volume first.
  find "$BACKUP_PATH" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
  restic restore "$id" --target / --include "$BACKUP_PATH"
  echo "restored snapshot $id into $BACKUP_PATH (what was there before: the newest pre-restore snapshot)"
  ;;
*)
  fail "usage: restic.sh backup | check | restore"
  ;;
esac
