#!/bin/bash
# hashilab-upgrade-agents.sh VERSIONS PENDING: installs the agent versions the environment pins on a
# running host (cloud-init and the SSH install install them only on a new host). The rollout
# runs it (hashilab-rollout.sh upgrade), one agent and one host at a time, Consul on every host
# before Nomad on any, each behind the health gate. VERSIONS has one "<package> <version>" a line
# (HashiCorp's Debian packages are "<version>-1"). Appends the agent of each package it changed
# (consul, nomad) to PENDING, the hosts' restart memory, at once: a run that fails half-way still
# restarts what it changed on the next run. A package already at its version is left alone.
set -euo pipefail
versions=$1
pending=$2
updated=false
while read -r package version; do
  [ -n "$package" ] || continue
  case $package in
    consul) agent=consul ;;
    nomad | nomad-driver-podman) agent=nomad ;;
    *)
      echo "hashilab: $versions names '$package', not an agent package" >&2
      exit 2
      ;;
  esac
  if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "hashilab: $versions pins $package to '$version', not a release (x.y.z)" >&2
    exit 2
  fi
  installed=$(dpkg-query --showformat='${Version}' --show "$package" 2>/dev/null || true)
  [ "$installed" != "$version-1" ] || continue
  # unattended-upgrades may hold the dpkg lock for a while: wait for it rather than fail.
  if [ "$updated" = false ]; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    updated=true
  fi
  echo "hashilab: $package ${installed:-(not installed)} -> $version-1" >&2
  # --allow-downgrades: going back to the previous pin is the way out of a bad release.
  # --force-confold: the packages' own files under /etc/nomad.d and /etc/consul.d stay as they are.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --allow-downgrades -o Dpkg::Options::=--force-confold "$package=$version-1" >&2
  echo "$agent" >>"$pending"
done <"$versions"
