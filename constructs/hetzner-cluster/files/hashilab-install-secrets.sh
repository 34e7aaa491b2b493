#!/bin/bash
# Installs what Terraform uploaded to /run/hashilab-delivery (tmpfs), where this script came
# too: the CA certificate, this host's certificate and key, the gossip keys, the agents'
# configuration and units, each only if delivered. Terraform runs it after each delivery: the
# first one (once cloud-init has finished), each rotation and each configuration change. Then
# it starts the agents, restarts one whose configuration changed (a server that leads hands
# leadership over first), or reloads it so it picks up
# new certificates (a new gossip key also needs the keyring steps in docs/operations.md), and
# waits until the cluster is healthy again (hashilab-wait-healthy.sh, uploaded beside it).
#
# Secrets go to /var/lib/hashilab/secrets, never /etc: Nomad's exec driver links /etc into
# every task's chroot by default.
set -euo pipefail
# HASHILAB_ROOT only exists for tests: on a host every path is absolute.
root=${HASHILAB_ROOT:-}
delivery=$root/run/hashilab-delivery
secrets=/var/lib/hashilab/secrets
restart=""
# The upload holds secrets: remove it however this script ends.
trap 'rm -rf "$delivery"' EXIT

# A CA rotation's first two steps (trust both CAs, then present a certificate from the new one;
# ca-rotation.ts, which names the step in HASHILAB_CA_ROTATION_STEP) only bring running agents
# along. A host whose agents do not run (not set up yet, or down) gets the end state from its
# own delivery, which runs after them.
step=${HASHILAB_CA_ROTATION_STEP:-}
if [ -n "$step" ] && ! { [ -f "$root/etc/hashilab/tls/agent.pem" ] && systemctl is-active --quiet consul.service && systemctl is-active --quiet nomad.service; }; then
  echo "hashilab: CA rotation step \"$step\" skipped: the agents do not run here; this host's own delivery installs the new CA and certificate" >&2
  exit 0
fi

# install_delivered NAME DESTINATION GROUP MODE [AGENT]: installs NAME if it was delivered
# and differs from DESTINATION; AGENT then needs a restart, not just a reload.
install_delivered() {
  if [ -f "$delivery/$1" ] && ! cmp -s "$delivery/$1" "$root$2"; then
    install -o root -g "$3" -m "$4" "$delivery/$1" "$root$2"
    restart="$restart ${5:-}"
  fi
}

# Consul runs as the consul user: it reads the TLS key and its gossip key through the group.
install -d -o root -g consul -m 0750 "$root$secrets" "$root$secrets/tls" "$root$secrets/consul.d"
install -d -o root -g root -m 0700 "$root$secrets/nomad.d"
# A restart decided by a delivery that failed before the agents came back is remembered until
# one succeeds: its files are already in place, so the next run would see no change and only
# reload (a reload does not apply driver or plugin settings).
pending=$root/var/lib/hashilab/pending-restart
if [ -f "$pending" ]; then
  restart="$restart $(cat "$pending")"
fi
# Before this delivery changes anything, the cluster must be healthy (the gate that runs at the
# end, against the configuration the agents run now): a rollout never restarts a server while
# another one is down. Not on a host whose agents do not run yet (its first delivery), nor on
# one whose last delivery failed (this one may be its fix).
if [ ! -f "$pending" ] && systemctl is-active --quiet consul.service && systemctl is-active --quiet nomad.service; then
  bash "$delivery/hashilab-wait-healthy.sh" consul nomad
fi
# Only public certificates, world-readable: jobs that call the local APIs run as nobody and
# need the CA. Also opens the directory on hosts bootstrapped when it was 0750.
install -d -o root -g root -m 0755 "$root/etc/hashilab/tls"

# A new CA (a rotation's steps) restarts Nomad: SIGHUP re-reads its tls block's files
# (Agent.Reload compares their checksums) but not its consul block's ca_file/grpc_ca_file,
# whose Consul client exists only from the start (command/agent/agent.go setupConsuls, v2.0.5).
# Consul reloads every TLS file on SIGHUP (since 1.4.3, hashicorp/consul#5419).
install_delivered ca.pem /etc/hashilab/tls/ca.pem consul 0644 nomad
install_delivered agent.pem /etc/hashilab/tls/agent.pem consul 0644
install_delivered agent-key.pem /var/lib/hashilab/secrets/tls/agent-key.pem consul 0640
install_delivered consul-agent.hcl /etc/hashilab/consul.d/agent.hcl consul 0640 consul
install_delivered consul-gossip.hcl /var/lib/hashilab/secrets/consul.d/gossip.hcl consul 0640 consul
install_delivered nomad-agent.hcl /etc/hashilab/nomad.d/agent.hcl root 0600 nomad
# Only Nomad servers gossip; clients get no Nomad key.
install_delivered nomad-gossip.hcl /var/lib/hashilab/secrets/nomad.d/gossip.hcl root 0600 nomad
install_delivered consul.service /etc/systemd/system/consul.service root 0644 consul
install_delivered nomad.service /etc/systemd/system/nomad.service root 0644 nomad
# The units' ExecStartPre; a new version needs no restart.
install_delivered hashilab-wait-address.sh /usr/local/sbin/hashilab-wait-address root 0755
# The rollout's scripts, which its steps run after the deliveries (rollout.ts).
install -d -o root -g root -m 0755 "$root/usr/local/lib/hashilab"
for script in hashilab-rollout.sh hashilab-wait-healthy.sh hashilab-upgrade-agents.sh; do
  install_delivered "$script" "/usr/local/lib/hashilab/$script" root 0755
done
# Clients: the alloc dir's own filesystem, which Nomad's unit requires (RequiresMountsFor).
install_delivered hashilab-nomad-alloc-image.sh /usr/local/sbin/hashilab-nomad-alloc-image root 0755
install_delivered hashilab-nomad-alloc-image.service /etc/systemd/system/hashilab-nomad-alloc-image.service root 0644
install_delivered opt-nomad-data-alloc.mount /etc/systemd/system/opt-nomad-data-alloc.mount root 0644
# What containers may not reach; a change is loaded at once (the file replaces its own table).
install_delivered metadata-block.nft /etc/hashilab/metadata-block.nft root 0644 firewall

# Hosts set up before the secrets left /etc: keep the Nomad agents' Consul token (the ACL
# stack writes it only when it changes), drop the copies this delivery has just replaced.
if [ -f "$root/etc/hashilab/nomad.d/consul-token.hcl" ]; then
  if [ ! -f "$root$secrets/nomad.d/consul-token.hcl" ]; then
    install -o root -g root -m 0600 "$root/etc/hashilab/nomad.d/consul-token.hcl" "$root$secrets/nomad.d/consul-token.hcl"
  fi
  rm -f "$root/etc/hashilab/nomad.d/consul-token.hcl"
  restart="$restart nomad"
fi
for legacy in /etc/hashilab/tls/agent-key.pem /etc/hashilab/consul.d/gossip.hcl /etc/hashilab/nomad.d/gossip.hcl; do
  rm -f "$root$legacy"
done

printf '%s\n' "$restart" >"$pending"
systemctl daemon-reload
# Started at every boot even where the first boot's bootstrap stopped before enabling them.
systemctl enable hashilab-metadata-block.service consul.service nomad.service
case " $restart " in
  *" firewall "*) systemctl restart hashilab-metadata-block.service ;;
esac
# A stopped agent (the first delivery) is started either way.
# A running server that leads hands leadership to the server restarted last before it restarts
# (hashilab-rollout.sh leader-away; nothing on clients, nor on an agent that is not running).
for agent in consul nomad; do
  case " $restart " in
    *" $agent "*)
      if systemctl is-active --quiet "$agent.service"; then
        bash "$delivery/hashilab-rollout.sh" leader-away "$agent"
      fi
      systemctl restart "$agent.service"
      ;;
    *) systemctl reload-or-restart "$agent.service" ;;
  esac
done
bash "$delivery/hashilab-wait-healthy.sh" consul nomad
rm -f "$pending"
