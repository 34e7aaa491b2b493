#!/bin/sh
# One consistent backup of a volume while its app is stopped:
#   1. the app's optional pre-backup command, in a running allocation (e.g. a database dump
#      into the volume, which restores across versions where a file copy may not);
#   2. the app's group scaled to 0, and its allocations gone (the volume's claim released);
#   3. the volume's restic job dispatched (it claims the volume and runs restic.sh backup),
#      and waited for;
#   4. the group scaled back to $APP_COUNT, whatever happened before (trap), so a failed
#      backup never leaves the app down; the run fails when the backup failed.
# An app that is not running when the run starts is backed up as it is, and not started.
# It talks to Nomad through the task API socket with its workload identity (NOMAD_ADDR and
# NOMAD_TOKEN from the job), whose policy allows read, scale, dispatch (and alloc-exec for the
# pre-backup command) in the app's namespace only.
# (No two opening braces in a row: Nomad renders this file as a template. No brace right
# after "$" or "%".)
set -eu
export LC_ALL=C

fail() {
  echo "volume-backup: $*" >&2
  exit 1
}

# running_allocs <job>: how many of the job's allocations are pending or running.
running_allocs() {
  nomad job allocs -json "$1" >"$NOMAD_TASK_DIR/allocs.json"
  tr ',' '\n' <"$NOMAD_TASK_DIR/allocs.json" >"$NOMAD_TASK_DIR/allocs.lines"
  grep -cE '"ClientStatus": *"(pending|running)"' "$NOMAD_TASK_DIR/allocs.lines" || true
}

# wait_until_stopped <job> <seconds>
wait_until_stopped() {
  waited=0
  while [ "$(running_allocs "$1")" -gt 0 ]; do
    [ "$waited" -lt "$2" ] || fail "$1 still has allocations after $2 s"
    sleep "$POLL_SECONDS"
    waited=$((waited + POLL_SECONDS))
  done
}

# wait_until_done <dispatched job> <seconds>: until it has an allocation and none is pending or
# running (right after a dispatch there is none yet; one that cannot be placed, e.g. while the
# volume is still claimed, never gets one and times out).
wait_until_done() {
  waited=0
  while :; do
    if [ "$(running_allocs "$1")" -eq 0 ] && grep -qE '"ClientStatus": *"(complete|failed|lost)"' "$NOMAD_TASK_DIR/allocs.lines"; then
      return 0
    fi
    [ "$waited" -lt "$2" ] || fail "$1 did not finish within $2 s: nomad job status $1"
    sleep "$POLL_SECONDS"
    waited=$((waited + POLL_SECONDS))
  done
}

restart_app() {
  nomad job scale -detach "$APP_JOB" "$APP_GROUP" "$APP_COUNT" || echo "volume-backup: could not scale $APP_JOB back to $APP_COUNT: do it by hand" >&2
}
# An app someone stopped (a restore in progress, maintenance) stays stopped.
if [ "$(running_allocs "$APP_JOB")" -gt 0 ]; then
  if [ -n "$PRE_BACKUP_COMMAND" ]; then
    nomad alloc exec -i=false -t=false -job -task "$APP_TASK" "$APP_JOB" /bin/sh -c "$PRE_BACKUP_COMMAND" ||
      fail "the pre-backup command failed in $APP_JOB/$APP_TASK; nothing was stopped"
  fi
  trap restart_app EXIT
  trap 'exit 143' INT TERM HUP
  nomad job scale -detach "$APP_JOB" "$APP_GROUP" 0
  wait_until_stopped "$APP_JOB" "$STOP_TIMEOUT_SECONDS"
else
  echo "$APP_JOB is not running: backing up without stopping or starting it"
fi

nomad job dispatch -detach -id-prefix-template scheduled -meta mode=backup "$BACKUP_JOB" >"$NOMAD_TASK_DIR/dispatch.out"
dispatched=$(sed -n 's/^Dispatched Job ID *= *//p' "$NOMAD_TASK_DIR/dispatch.out")
[ -n "$dispatched" ] || fail "could not dispatch $BACKUP_JOB: $(cat "$NOMAD_TASK_DIR/dispatch.out")"
echo "backing up with $dispatched"
wait_until_done "$dispatched" "$BACKUP_TIMEOUT_SECONDS"
grep -q '"ClientStatus": *"complete"' "$NOMAD_TASK_DIR/allocs.lines" || fail "the backup $dispatched failed: nomad alloc logs -job $dispatched"
echo "backup $dispatched complete"
