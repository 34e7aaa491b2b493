#!/bin/bash
# First boot, after cloud-init installed the packages and wrote the files: kernel settings
# for bridge networking, the metadata firewall, container runtimes and the agents' units.
# The agents start only once Terraform has delivered their TLS files and gossip keys over
# SSH (their units carry ConditionPathExists); the delivery's install script starts them then.
set -euo pipefail
# HASHILAB_ROOT only exists for tests: on a host every path is absolute.
root=${HASHILAB_ROOT:-}

if [ -f "$root/etc/modules-load.d/hashilab.conf" ]; then
  modprobe br_netfilter
fi
sysctl --system >/dev/null

# Upgrades are deliberate, one server at a time (docs/operations.md), never unattended.
apt-mark hold nomad consul >/dev/null
if dpkg-query --show nomad-driver-podman >/dev/null 2>&1; then
  apt-mark hold nomad-driver-podman >/dev/null
fi

install -d -o consul -g consul -m 0750 "$root/opt/consul"
install -d -o root -g root -m 0700 "$root/opt/nomad/data"
# Only public certificates: jobs that call the local APIs (as nobody) read the CA here.
install -d -o root -g root -m 0755 "$root/etc/hashilab/tls"
install -d -o root -g consul -m 0750 "$root/etc/hashilab/consul.d"
install -d -o root -g root -m 0700 "$root/etc/hashilab/nomad.d"

systemctl daemon-reload
systemctl enable --now hashilab-metadata-block.service
if systemctl list-unit-files podman.socket >/dev/null 2>&1; then
  systemctl enable --now podman.socket
fi
# Skipped (condition failed, not an error) until the secrets are delivered.
systemctl enable --now consul.service nomad.service
