#!/bin/bash
# Installs what Terraform uploaded to /run/hashilab-delivery (tmpfs): the CA certificate,
# this host's certificate and key, the gossip keys and the agents' configuration, each only
# if delivered. Terraform runs it after each delivery: the first one (once cloud-init has
# finished), each rotation and each configuration change. Then it starts the agents,
# restarts one whose configuration changed, or reloads it so it picks up new certificates
# (a new gossip key also needs the keyring steps in docs/operations.md).
set -euo pipefail
# HASHILAB_ROOT only exists for tests: on a host every path is absolute.
root=${HASHILAB_ROOT:-}
delivery=$root/run/hashilab-delivery
restart=""

# install_delivered NAME DESTINATION GROUP MODE [AGENT]: installs NAME if it was delivered
# and differs from DESTINATION; AGENT then needs a restart, not just a reload.
install_delivered() {
  if [ -f "$delivery/$1" ] && ! cmp -s "$delivery/$1" "$root$2"; then
    install -o root -g "$3" -m "$4" "$delivery/$1" "$root$2"
    restart="$restart ${5:-}"
  fi
}

install_delivered ca.pem /etc/hashilab/tls/ca.pem consul 0644
install_delivered agent.pem /etc/hashilab/tls/agent.pem consul 0644
install_delivered agent-key.pem /etc/hashilab/tls/agent-key.pem consul 0640
install_delivered consul-agent.hcl /etc/hashilab/consul.d/agent.hcl consul 0640 consul
install_delivered consul-gossip.hcl /etc/hashilab/consul.d/gossip.hcl consul 0640 consul
install_delivered nomad-agent.hcl /etc/hashilab/nomad.d/agent.hcl root 0600 nomad
# Only Nomad servers gossip; clients get no Nomad key.
install_delivered nomad-gossip.hcl /etc/hashilab/nomad.d/gossip.hcl root 0600 nomad
rm -rf "$delivery"

# A stopped agent (the first delivery) is started either way.
for agent in consul nomad; do
  case " $restart " in
    *" $agent "*) systemctl restart "$agent.service" ;;
    *) systemctl reload-or-restart "$agent.service" ;;
  esac
done
