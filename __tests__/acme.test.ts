import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acmeRenewerConfig, AcmeRenewerConfig } from "../constructs/ingress/acme-renewer";
import { FakeNomadVariables, startFakeNomadVariables } from "./support/nomad-variables";
import { requireTool } from "./support/tools";

/**
 * The renewer's script run for real: certbot (Debian's) against Pebble, Let's Encrypt's ACME
 * test server, validating HTTP-01 by resolving the names through pebble-challtestsrv to this
 * machine, and storing into a stand-in of Nomad's Variables API that rejects what Nomad rejects.
 */
const SCRIPT = join(__dirname, "..", "constructs", "ingress", "acme-renew.py");
const PYTHON = "/usr/bin/python3";
const TOKEN = "00000000-1111-2222-3333-444444444444";
const NAMESPACE = "ingress";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs a command without blocking the event loop (the stand-in Nomad API answers from this process). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const openssl = (...args: string[]) => execFileSync("openssl", args, { encoding: "utf8" });

describe("the certificate renewer, against Pebble", () => {
  let dir: string;
  let nomad: FakeNomadVariables;
  let config: AcmeRenewerConfig;
  const processes: ChildProcess[] = [];

  beforeAll(async () => {
    for (const tool of ["pebble", "pebble-challtestsrv", "certbot", "openssl", PYTHON]) requireTool(tool);
    dir = mkdtempSync(join(tmpdir(), `hashilab-acme-${process.pid}-`));
    // Pebble's own HTTPS listener needs a certificate certbot trusts.
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout", join(dir, "pebble.key"), "-out", join(dir, "pebble.crt"));
    const [acmePort, managementPort, httpPort, tlsPort, dnsPort, challengeManagementPort] = await Promise.all([1, 2, 3, 4, 5, 6].map(freePort));
    processes.push(
      spawn("pebble-challtestsrv", ["-dns01", `127.0.0.1:${dnsPort}`, "-http01", "", "-https01", "", "-tlsalpn01", "",
        "-management", `127.0.0.1:${challengeManagementPort}`, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""], { stdio: "ignore" }),
    );
    writeFileSync(join(dir, "pebble.json"), JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`, managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: join(dir, "pebble.crt"), privateKey: join(dir, "pebble.key"),
        httpPort, tlsPort, ocspResponderURL: "", externalAccountBindingRequired: false,
      },
    }));
    processes.push(
      spawn("pebble", ["-config", join(dir, "pebble.json"), "-dnsserver", `127.0.0.1:${dnsPort}`], {
        stdio: "ignore",
        env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" },
      }),
    );
    // Its DNS answers every name with 127.0.0.1; the management API answers once it is up.
    await waitFor(() => spawnSync("curl", ["-s", "-o", "/dev/null", `http://127.0.0.1:${challengeManagementPort}/`]).status === 0, "pebble-challtestsrv");
    await waitFor(() => spawnSync("curl", ["-sf", "--cacert", join(dir, "pebble.crt"), `https://127.0.0.1:${acmePort}/dir`]).status === 0, "pebble");
    nomad = await startFakeNomadVariables(join(dir, "api.sock"), TOKEN);
    config = {
      ...acmeRenewerConfig({
        server: `https://127.0.0.1:${acmePort}/dir`,
        email: "ops@example.com",
        certificates: [{ hostname: "tools.example.com", challenge: "http-01" }],
      }),
      httpPort,
    };
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  }, 60_000);

  afterAll(async () => {
    for (const p of processes) p.kill();
    await nomad?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const path = () => `${config.variablePrefix}/${config.certificates[0].name}`;
  const stored = () => nomad.variables.get(`${NAMESPACE}\0${path()}`);
  const renewOnce = (configFile = join(dir, "config.json"), token = TOKEN) =>
    run(PYTHON, [SCRIPT, configFile, "--once"], {
      ...process.env,
      NOMAD_ADDR: `unix://${join(dir, "api.sock")}`,
      NOMAD_TOKEN: token,
      REQUESTS_CA_BUNDLE: join(dir, "pebble.crt"),
    });
  const certText = (pem: string) => {
    writeFileSync(join(dir, "check.pem"), pem);
    return openssl("x509", "-in", join(dir, "check.pem"), "-noout", "-text");
  };
  const publicKey = (args: string[], pem: string) => {
    writeFileSync(join(dir, "check.pem"), pem);
    return openssl(...args, "-in", join(dir, "check.pem"), "-pubout");
  };

  it("issues a certificate for a hostname that has none and stores cert and key in the variable every Traefik reads", async () => {
    const run = await renewOnce();
    expect(run.stdout).toContain(`acme-renew: ${path()}: there is no certificate yet; requesting one`);
    expect(`exit ${run.status}\n${run.stdout}${run.stderr}`).toMatch(/^exit 0\n/);
    const variable = stored()!;
    expect(variable.Path).toBe("nomad/jobs/traefik/certs/tools_example_com");
    expect(certText(variable.Items.cert)).toMatch(/DNS:tools\.example\.com/);
    expect(certText(variable.Items.cert)).toMatch(/Issuer: CN ?= ?Pebble Intermediate CA/);
    // The key is the certificate's own.
    writeFileSync(join(dir, "cert.pem"), variable.Items.cert);
    expect(publicKey(["pkey"], variable.Items.key)).toBe(openssl("x509", "-in", join(dir, "cert.pem"), "-noout", "-pubkey"));
    expect(variable.Items.domains).toBe("tools.example.com");
    expect(variable.Items.server).toBe(config.server);
  }, 120_000);

  it("keeps a certificate that is not due, writing nothing", async () => {
    const before = stored()!.ModifyIndex;
    const run = await renewOnce();
    expect(`exit ${run.status}\n${run.stdout}${run.stderr}`).toMatch(/^exit 0\n/);
    expect(run.stdout).toContain(`acme-renew: ${path()}: kept`);
    expect(stored()!.ModifyIndex).toBe(before);
  });

  it("replaces at once a certificate from another CA (staging, after the environment switched to production)", async () => {
    const before = nomad.put(NAMESPACE, path(), { ...stored()!.Items, server: "https://acme-staging-v02.api.letsencrypt.org/directory" }).ModifyIndex;
    const run = await renewOnce();
    expect(run.stdout).toContain(`${path()}: the certificate is from https://acme-staging-v02.api.letsencrypt.org/directory, not ${config.server}; requesting one`);
    expect(`exit ${run.status}\n${run.stdout}${run.stderr}`).toMatch(/^exit 0\n/);
    expect(stored()!.ModifyIndex).toBeGreaterThan(before);
    expect(stored()!.Items.server).toBe(config.server);
  }, 120_000);

  it("renews a certificate in the last third of its lifetime", async () => {
    const old = expiringCertificate(dir);
    const before = nomad.put(NAMESPACE, path(), { ...stored()!.Items, cert: old }).ModifyIndex;
    const run = await renewOnce();
    expect(run.stdout).toMatch(new RegExp(`${path()}: the certificate expires at .*; requesting one`));
    expect(`exit ${run.status}\n${run.stdout}${run.stderr}`).toMatch(/^exit 0\n/);
    expect(stored()!.ModifyIndex).toBeGreaterThan(before);
    expect(stored()!.Items.cert).not.toBe(old);
    expect(certText(stored()!.Items.cert)).toMatch(/DNS:tools\.example\.com/);
  }, 120_000);

  it("never overwrites a certificate another writer stored after it read (check-and-set)", async () => {
    nomad.put(NAMESPACE, path(), { ...stored()!.Items, cert: expiringCertificate(dir) });
    let other: string | undefined;
    nomad.afterRead = () => {
      nomad.afterRead = undefined;
      other = nomad.put(NAMESPACE, path(), { ...stored()!.Items, domains: "tools.example.com", not_after: "written by the other" }).Items.not_after;
    };
    const run = await renewOnce();
    expect(run.stdout).toContain(`acme-renew: ${path()}: variable ${path()} changed since it was read; keeping the other write`);
    expect(`exit ${run.status}\n${run.stdout}${run.stderr}`).toMatch(/^exit 0\n/);
    expect(stored()!.Items.not_after).toBe(other);
  }, 120_000);

  it("fails the pass (exit 1) with certbot's reason when the CA cannot be reached, and keeps the stored certificate", async () => {
    const before = nomad.put(NAMESPACE, path(), { ...stored()!.Items, cert: expiringCertificate(dir) });
    writeFileSync(join(dir, "unreachable.json"), JSON.stringify({ ...config, server: "https://127.0.0.1:9/dir" }));
    const run = await renewOnce(join(dir, "unreachable.json"));
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`${path()}: failed: certbot failed: .+`));
    expect(stored()).toEqual(before);
  }, 120_000);

  it("answers DNS-01 through certbot's Cloudflare plugin with the token file the job renders (offline: the plugin reaches for Cloudflare's API)", async () => {
    const credentials = join(dir, "cloudflare.ini");
    // What the renewer's secrets/cloudflare.ini template renders (ingress.test.ts renders it).
    writeFileSync(credentials, "dns_cloudflare_api_token = 0123456789abcdef0123456789abcdef01234567\n", { mode: 0o600 });
    const dns = { ...config, cloudflareCredentials: credentials, certificates: [{ ...config.certificates[0], name: "dns_example_com", domains: ["dns.example.com"], challenge: "dns-01" as const }] };
    writeFileSync(join(dir, "dns.json"), JSON.stringify(dns));
    const run = await renewOnce(join(dir, "dns.json"));
    expect(run.status).toBe(1);
    // certbot read the flags and the credentials file and called the plugin, which failed
    // only for want of Cloudflare's API (no network here).
    expect(run.stdout).toMatch(/dns_example_com: failed: certbot failed: .*Unable to determine zone_id for dns\.example\.com .*host='api\.cloudflare\.com'/);
    expect(run.stdout).not.toMatch(/unrecognized arguments|Missing propert|Unsafe permissions/);
  }, 120_000);

  it("says why when Nomad refuses the token", async () => {
    const run = await renewOnce(join(dir, "config.json"), "wrong");
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`${path()}: failed: reading variable ${path()}: HTTP 403: Permission denied`);
  });
});

/** A certificate for tools.example.com 80 days into its 90: in its last third. Made once: the cases store it, none changes it. */
let expiring: string | undefined;
function expiringCertificate(dir: string): string {
  return (expiring ??= makeExpiringCertificate(dir));
}

function makeExpiringCertificate(dir: string): string {
  const script = `
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tools.example.com")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
  .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=80))
  .not_valid_after(now + datetime.timedelta(days=10)).sign(key, hashes.SHA256()))
print(cert.public_bytes(serialization.Encoding.PEM).decode(), end="")
`;
  writeFileSync(join(dir, "expiring.py"), script);
  return execFileSync(PYTHON, [join(dir, "expiring.py")], { encoding: "utf8" });
}

test("fails for a renewer configuration whose script would read a template action (Nomad renders the script as a template)", () => {
  expect(readFileSync(SCRIPT, "utf8")).not.toMatch(/\{\{|\}\}/);
});
