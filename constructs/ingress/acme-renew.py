"""
The ingress's certificate renewer (docs/dns-and-ingress.md, "HTTPS"): for each certificate the
configuration lists, reads the Nomad variable every Traefik instance renders it from, asks the
ACME CA (through certbot) for a new one when it is missing, due or for other names, and writes
it back with check-and-set, so two renewers can never overwrite each other's newer certificate.

  python3 acme-renew.py CONFIG.json [--once]

Environment: NOMAD_ADDR ("unix:///secrets/api.sock", the task API socket, or "http://host:port"),
NOMAD_TOKEN (the task's workload identity). Runs a pass, then one every intervalSeconds; with
--once a single pass, exit status 1 if any certificate failed. Certbot is the official image's;
the store step is Python's standard library, so one image does both.
"""
import datetime
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

from cryptography import x509


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket: Nomad's task API (secrets/api.sock)."""

    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.socket_path)


class Conflict(Exception):
    """Someone wrote the variable since it was read (Nomad answered 409 to check-and-set)."""


class Nomad:
    """The two calls of Nomad's Variables API the renewer needs (command/agent/variable_endpoint.go)."""

    def __init__(self, address, token):
        self.address = address
        self.token = token

    def _request(self, method, path, body=None):
        if self.address.startswith("unix://"):
            conn = UnixHTTPConnection(self.address[len("unix://"):])
        else:
            parsed = urllib.parse.urlsplit(self.address)
            if parsed.scheme != "http":
                raise ValueError("NOMAD_ADDR must be unix:///path or http://host:port")
            conn = http.client.HTTPConnection(parsed.netloc, timeout=30)
        headers = {"X-Nomad-Token": self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def read(self, path, namespace):
        """The variable at path, or None when there is none."""
        status, text = self._request("GET", "/v1/var/%s?namespace=%s" % (path, urllib.parse.quote(namespace)))
        if status == 404:
            return None
        if status != 200:
            raise RuntimeError("reading variable %s: HTTP %d: %s" % (path, status, text.strip()))
        return json.loads(text)

    def write(self, path, namespace, items, modify_index):
        """Writes items if the variable's ModifyIndex is still modify_index (0: it must not exist)."""
        query = "namespace=%s&cas=%d" % (urllib.parse.quote(namespace), modify_index)
        body = {"Namespace": namespace, "Path": path, "Items": items}
        status, text = self._request("PUT", "/v1/var/%s?%s" % (path, query), body)
        if status == 409:
            raise Conflict("variable %s changed since it was read" % path)
        if status != 200:
            raise RuntimeError("writing variable %s: HTTP %d: %s" % (path, status, text.strip()))


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def validity(pem):
    """(not_before, not_after) of the first certificate in a PEM chain, timezone-aware."""
    cert = x509.load_pem_x509_certificate(pem.encode())
    if hasattr(cert, "not_valid_after_utc"):
        return cert.not_valid_before_utc, cert.not_valid_after_utc
    utc = datetime.timezone.utc
    return cert.not_valid_before.replace(tzinfo=utc), cert.not_valid_after.replace(tzinfo=utc)


def renewal_reason(variable, domains, server, now):
    """Why the certificate must be (re)issued, or None while the stored one is good.

    Renews when a third of its lifetime is left (30 days of Let's Encrypt's 90), which leaves
    every later pass until expiry to retry a failure, and at once when it came from another CA
    (e.g. staging, after the environment switched to production).
    """
    if variable is None:
        return "there is no certificate yet"
    items = variable.get("Items", {})
    if sorted(items.get("domains", "").split(",")) != sorted(domains):
        return "the certificate is for %s, not %s" % (items.get("domains", ""), ",".join(domains))
    if items.get("server") != server:
        return "the certificate is from %s, not %s" % (items.get("server", "another CA"), server)
    try:
        not_before, not_after = validity(items.get("cert", ""))
    except ValueError as error:
        return "the stored certificate cannot be read (%s)" % error
    if now >= not_after - (not_after - not_before) / 3:
        return "the certificate expires at %s" % not_after.isoformat()
    return None


def certbot_command(config, certificate, workdir):
    command = [
        config.get("certbot", "certbot"), "certonly", "--non-interactive", "--agree-tos",
        "--email", config["email"], "--no-eff-email",
        "--server", config["server"],
        "--config-dir", os.path.join(workdir, "config"),
        "--work-dir", os.path.join(workdir, "work"),
        "--logs-dir", os.path.join(workdir, "logs"),
        "--cert-name", certificate["name"],
        "--key-type", "ecdsa",
    ]
    if certificate["challenge"] == "dns-01":
        command += [
            "--authenticator", "dns-cloudflare",
            "--dns-cloudflare-credentials", config["cloudflareCredentials"],
            "--dns-cloudflare-propagation-seconds", str(config.get("dnsPropagationSeconds", 30)),
        ]
    else:
        command += ["--standalone", "--http-01-port", str(config["httpPort"])]
    for domain in certificate["domains"]:
        command += ["--domain", domain]
    return command


def issue(config, certificate):
    """A new certificate and key from the CA: (fullchain PEM, private key PEM)."""
    with tempfile.TemporaryDirectory() as workdir:
        result = subprocess.run(certbot_command(config, certificate, workdir), capture_output=True, text=True)
        if result.returncode != 0:
            # certbot says why (the CA's "Detail:" lines) on stdout, and where its log is on stderr.
            lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
            raise RuntimeError("certbot failed: %s" % " | ".join(lines[-12:]))
        live = os.path.join(workdir, "config", "live", certificate["name"])
        with open(os.path.join(live, "fullchain.pem")) as chain, open(os.path.join(live, "privkey.pem")) as key:
            return chain.read(), key.read()


def store(nomad, config, certificate, chain, key, modify_index):
    """Writes the new certificate where every Traefik instance reads it (check-and-set)."""
    _, not_after = validity(chain)
    items = {
        "cert": chain,
        "key": key,
        "domains": ",".join(certificate["domains"]),
        "server": config["server"],
        "not_after": not_after.isoformat(),
    }
    nomad.write(variable_path(config, certificate), config["namespace"], items, modify_index)


def variable_path(config, certificate):
    return "%s/%s" % (config["variablePrefix"], certificate["name"])


def renew(nomad, config, certificate, now):
    """One certificate: 'kept', 'renewed', or raises."""
    path = variable_path(config, certificate)
    variable = nomad.read(path, config["namespace"])
    reason = renewal_reason(variable, certificate["domains"], config["server"], now)
    if reason is None:
        return "kept"
    log("%s: %s; requesting one from %s" % (path, reason, config["server"]))
    chain, key = issue(config, certificate)
    store(nomad, config, certificate, chain, key, variable["ModifyIndex"] if variable else 0)
    return "renewed"


def run_pass(nomad, config):
    """Every certificate once; returns the number that failed."""
    failed = 0
    for certificate in config["certificates"]:
        try:
            outcome = renew(nomad, config, certificate, now_utc())
            log("%s: %s" % (variable_path(config, certificate), outcome))
        except Conflict as error:
            # Another renewer stored one meanwhile: the next pass reads and keeps it.
            log("%s: %s; keeping the other write" % (variable_path(config, certificate), error))
        except Exception as error:  # one certificate's failure must not stop the others
            failed += 1
            log("%s: failed: %s" % (variable_path(config, certificate), error))
    return failed


def log(message):
    print("acme-renew: %s" % message, flush=True)


def main(argv):
    if len(argv) < 2 or argv[1].startswith("-"):
        print("usage: acme-renew.py CONFIG.json [--once]", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        config = json.load(f)
    nomad = Nomad(os.environ.get("NOMAD_ADDR", "unix:///secrets/api.sock"), os.environ.get("NOMAD_TOKEN", ""))
    if "--once" in argv[2:]:
        return 1 if run_pass(nomad, config) else 0
    while True:
        run_pass(nomad, config)
        time.sleep(config["intervalSeconds"])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
