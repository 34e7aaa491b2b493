#!/bin/bash
# Installs what Terraform uploaded to /run/hashilab-delivery (tmpfs): the CA certificate,
# this host's certificate and key, and the gossip keys, each only if delivered. Terraform
# runs it after each delivery: the first one (once cloud-init has finished) and each
# rotation. Then it starts the agents, or reloads them so they pick up new certificates
# (a new gossip key also needs the keyring steps in docs/operations.md).
set -euo pipefail
delivery=/run/hashilab-delivery

# install_delivered NAME DESTINATION GROUP MODE
install_delivered() {
  if [ -f "$delivery/$1" ]; then
    install -o root -g "$3" -m "$4" "$delivery/$1" "$2"
  fi
}

install_delivered ca.pem /etc/hashilab/tls/ca.pem consul 0644
install_delivered agent.pem /etc/hashilab/tls/agent.pem consul 0644
install_delivered agent-key.pem /etc/hashilab/tls/agent-key.pem consul 0640
install_delivered consul-gossip.hcl /etc/hashilab/consul.d/gossip.hcl consul 0640
# Only Nomad servers gossip; clients get no Nomad key.
install_delivered nomad-gossip.hcl /etc/hashilab/nomad.d/gossip.hcl root 0600
rm -rf "$delivery"

systemctl reload-or-restart consul.service
systemctl reload-or-restart nomad.service
