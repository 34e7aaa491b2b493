#!/bin/bash
# Installs what Terraform uploaded to /run/hashilab-delivery (tmpfs): the CA certificate,
# this host's certificate and key, and the gossip keys. Terraform runs it after each
# delivery: the first one (once cloud-init has finished) and each rotation. Then it starts
# the agents, or reloads them so they pick up new certificates (a new gossip key also needs
# the keyring steps in docs/operations.md).
set -euo pipefail
delivery=/run/hashilab-delivery

install -o root -g consul -m 0644 "$delivery/ca.pem" /etc/hashilab/tls/ca.pem
install -o root -g consul -m 0644 "$delivery/agent.pem" /etc/hashilab/tls/agent.pem
install -o root -g consul -m 0640 "$delivery/agent-key.pem" /etc/hashilab/tls/agent-key.pem
install -o root -g consul -m 0640 "$delivery/consul-gossip.hcl" /etc/hashilab/consul.d/gossip.hcl
# Only Nomad servers gossip; clients get no Nomad key.
if [ -f "$delivery/nomad-gossip.hcl" ]; then
  install -o root -g root -m 0600 "$delivery/nomad-gossip.hcl" /etc/hashilab/nomad.d/gossip.hcl
fi
rm -rf "$delivery"

systemctl reload-or-restart consul.service
systemctl reload-or-restart nomad.service
