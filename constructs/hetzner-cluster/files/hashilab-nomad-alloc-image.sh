#!/bin/bash
# hashilab-nomad-alloc-image IMAGE DIR: creates the ext4 image that the alloc dir's mount unit
# loop-mounts on DIR, Nomad's alloc dir. Nomad builds exec tasks' chroots by hard-linking host
# files (/usr, /etc, ... ; linkOrCopy in client/allocdir/fs_unix.go) and copies only when the
# link fails, as it does across filesystems: on its own filesystem a task that may write its
# chroot cannot write through to the host's binaries.
# A host whose DIR already holds allocations on the root filesystem is left as it is (moving
# them would break running tasks), and nomad.service then refuses to start (it asserts DIR is
# a mount point): docs/operations.md says how to migrate it.
set -euo pipefail
image=$1
dir=$2

if [ -e "$image" ] || mountpoint -q "$dir"; then
  exit 0
fi
if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
  echo "hashilab: $dir holds allocations on the root filesystem, so exec tasks' chroots are hard links to host files; migrate it (docs/operations.md, \"Nomad's alloc dir\")" >&2
  exit 0
fi

# Sparse, half the filesystem it lives on: blocks are used as tasks write and given back when
# they delete (the mount's discard), and allocations can never fill the root filesystem.
# HASHILAB_ALLOC_IMAGE_BYTES only exists for tests.
bytes=${HASHILAB_ALLOC_IMAGE_BYTES:-$(($(df --output=size -B1 "$(dirname "$image")" | tail -n 1) / 2))}
partial=$image.partial
rm -f "$partial"
truncate --size "$bytes" "$partial"
mkfs.ext4 -q -m 0 -L nomad-alloc "$partial"
# Nomad creates its alloc dir 0711 (client.go); a fresh filesystem's root is 0755.
debugfs -w -R "set_inode_field / mode 040711" "$partial" >/dev/null 2>&1
# Only a complete image has the name the mount unit waits for.
mv "$partial" "$image"
