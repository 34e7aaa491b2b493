# shellcheck shell=sh
# The CLIs talk to the local agents over TLS (plain HTTP is off).
export NOMAD_ADDR=https://127.0.0.1:4646
export NOMAD_CACERT=/etc/hashilab/tls/ca.pem
export CONSUL_HTTP_ADDR=https://127.0.0.1:8501
export CONSUL_CACERT=/etc/hashilab/tls/ca.pem
