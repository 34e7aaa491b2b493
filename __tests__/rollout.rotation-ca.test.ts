import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer } from "node:tls";
import { SecretsDelivery } from "../constructs/hetzner-cluster";
import { DELIVERED_FILES, HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { home } from "../environments";
import { buildCluster, synthCluster } from "./support/hetzner-cluster";
import { SANDBOX_RETRY_JOIN } from "./support/agent-apis";
import { installSandbox } from "./support/install-secrets";
import { resourcesOf, StackJson, synthEnvironment } from "./support/synth";
import { dependenciesOf, dependencyCycle, waitsFor } from "./support/terraform-graph";
import { goHandshakes } from "./support/tls-handshake";
import { requireTool } from "./support/tools";

const before = synthCluster({ clientCount: 1 });
const rotating = synthCluster({ clientCount: 1, caGeneration: 2 });

/** The address and configuration of the delivery whose construct id is `id` (e.g. "ServerCaTrust-1"). */
function delivery(stack: StackJson, id: string): { address: string; config: any } {
  const entries = Object.entries<any>(resourcesOf(stack, "terraform_data")).filter(([name]) => name.startsWith(`Cluster_${id}_Delivery_`));
  expect(entries).toHaveLength(1);
  return { address: `terraform_data.${entries[0][0]}`, config: entries[0][1] };
}

/** What a delivery uploads, by file name. */
function uploads(config: any): Record<string, string> {
  return Object.fromEntries(config.provisioner.filter((p: any) => p.file).map((p: any) => [p.file.destination.split("/").pop(), p.file.content]));
}

const installCommand = (config: any): string => config.provisioner.at(-1)["remote-exec"].inline.join("\n");
const certPem = (name: string) => `\${tls_self_signed_cert.${name}.cert_pem}`;
const caName = (stack: StackJson, id: string) => Object.keys(resourcesOf(stack, "tls_self_signed_cert")).find((name) => name.startsWith(`Cluster_Pki_${id}_`)) as string;

const HOSTS = ["Server-1", "Server-2", "Server-3", "Client-1"];
const step = (part: string) => HOSTS.map((host) => host.replace("-", `${part}-`));

describe("CA rotation: a change of caGeneration, rolled host by host with a dual-trust phase", () => {
  it("renders no rotation at generation 1: one CA, which the hosts and the API clients trust alone", () => {
    expect(Object.keys(resourcesOf(before, "tls_self_signed_cert"))).toEqual([expect.stringMatching(/^Cluster_Pki_Ca_/)]);
    expect(Object.keys(resourcesOf(before, "terraform_data")).filter((name) => /Ca(Trust|Issue)/.test(name))).toEqual([]);
    expect(buildCluster().cluster.caCertPem).toMatch(/^\$\{TfToken\[TOKEN\.\d+\]\}$/);
  });

  it("keeps the previous CA in state, unchanged, beside the new one, which signs the hosts' certificates", () => {
    const previous = caName(before, "Ca");
    expect(resourcesOf(rotating, "tls_self_signed_cert")[previous]).toEqual(resourcesOf(before, "tls_self_signed_cert")[previous]);
    const previousKey = Object.keys(resourcesOf(before, "tls_private_key")).find((name) => name.startsWith("Cluster_Pki_CaKey_")) as string;
    expect(resourcesOf(rotating, "tls_private_key")[previousKey]).toEqual(resourcesOf(before, "tls_private_key")[previousKey]);
    const next = caName(rotating, "Ca-2");
    expect(resourcesOf(rotating, "tls_self_signed_cert")[next].subject).toEqual([{ common_name: "test hashilab CA 2", organization: "hashilab" }]);
    for (const [name, cert] of Object.entries<any>(resourcesOf(rotating, "tls_locally_signed_cert"))) {
      expect([name, cert.ca_cert_pem, cert.ca_private_key_pem]).toEqual([name, certPem(next), expect.stringMatching(/^\$\{tls_private_key\.Cluster_Pki_CaKey-2_\w+\.private_key_pem\}$/)]);
    }
  });

  it("rolls every host through trust, then issue, then its own delivery, one host at a time, servers first", () => {
    const order = [...step("CaTrust"), ...step("CaIssue"), ...step("Secrets")].map((id) => delivery(rotating, id).address);
    const graph = dependenciesOf(rotating);
    order.slice(1).forEach((address, i) => expect([address, waitsFor(graph, address, order[i])]).toEqual([address, true]));
    expect(dependencyCycle(rotating)).toBeUndefined();
  });

  it("delivers the two CAs as one bundle, then the new certificate, then the new CA alone", () => {
    const bundle = `${certPem(caName(rotating, "Ca"))}${certPem(caName(rotating, "Ca-2"))}`;
    const cert = (host: string) => `\${tls_locally_signed_cert.${Object.keys(resourcesOf(rotating, "tls_locally_signed_cert")).find((n) => n.startsWith(`Cluster_Pki_${host}_`))}.cert_pem}`;
    for (const [i, host] of HOSTS.entries()) {
      const trust = uploads(delivery(rotating, step("CaTrust")[i]).config);
      const issue = uploads(delivery(rotating, step("CaIssue")[i]).config);
      const own = uploads(delivery(rotating, step("Secrets")[i]).config);
      expect(trust[DELIVERED_FILES.caCert]).toBe(bundle);
      expect(trust[DELIVERED_FILES.agentCert]).toBeUndefined();
      expect(issue[DELIVERED_FILES.caCert]).toBe(bundle);
      expect(issue[DELIVERED_FILES.agentCert]).toBe(cert(host.replace("-", "Cert-")));
      expect(issue[DELIVERED_FILES.agentKey]).toBe(own[DELIVERED_FILES.agentKey]);
      expect(own[DELIVERED_FILES.caCert]).toBe(certPem(caName(rotating, "Ca-2")));
      expect(own[DELIVERED_FILES.agentCert]).toBe(cert(host.replace("-", "Cert-")));
      // Only TLS files: no agent configuration, unit or key besides.
      expect(Object.keys(issue).filter((name) => !name.endsWith(".sh")).sort()).toEqual([DELIVERED_FILES.agentKey, DELIVERED_FILES.agentCert, DELIVERED_FILES.caCert].sort());
    }
  });

  it("names the step to the install script, which gates, reloads Consul and restarts Nomad (below)", () => {
    expect(installCommand(delivery(rotating, "ServerCaTrust-1").config)).toBe("env 'HASHILAB_CA_ROTATION_STEP=trust' bash /run/hashilab-delivery/hashilab-install-secrets.sh");
    expect(installCommand(delivery(rotating, "ServerCaIssue-1").config)).toBe("env 'HASHILAB_CA_ROTATION_STEP=issue' bash /run/hashilab-delivery/hashilab-install-secrets.sh");
    expect(installCommand(delivery(rotating, "ServerSecrets-1").config)).toBe("bash /run/hashilab-delivery/hashilab-install-secrets.sh");
  });

  it("runs each step once per generation and machine: a new script or a renewed certificate does not re-run it", () => {
    for (const id of [...step("CaTrust"), ...step("CaIssue")]) {
      expect(Object.keys(delivery(rotating, id).config.triggers_replace).sort()).toEqual(["ca_bundle_sha256", "ca_rotation_sha256", "server"]);
    }
  });

  it("lets the providers and the operators' CLIs trust both CAs, whichever step a host is at", () => {
    const { cluster } = buildCluster({ caGeneration: 2 });
    expect(cluster.caCertPem).toMatch(/^\$\{TfToken\[TOKEN\.\d+\]\}\$\{TfToken\[TOKEN\.\d+\]\}$/);
  });

  it("rotates the next generation from the last one, dropping the one before", () => {
    const third = synthCluster({ caGeneration: 3 });
    expect(Object.keys(resourcesOf(third, "tls_self_signed_cert")).map((name) => name.replace(/_\w+$/, "")).sort()).toEqual(["Cluster_Pki_Ca-2", "Cluster_Pki_Ca-3"]);
    expect(resourcesOf(third, "tls_self_signed_cert")[caName(third, "Ca-2")]).toEqual(resourcesOf(rotating, "tls_self_signed_cert")[caName(rotating, "Ca-2")]);
  });

  it("rotates LAN hosts the same way, without a dependency cycle through their installs", () => {
    const stacks = synthEnvironment({ ...home, cluster: { ...home.cluster, caGeneration: 2 } as typeof home.cluster });
    const hosts = stacks["home-hosts"];
    expect(dependencyCycle(hosts)).toBeUndefined();
    const names = Object.keys(resourcesOf(hosts, "terraform_data"));
    const trust = names.filter((name) => name.includes("CaTrust"));
    expect(trust.length).toBeGreaterThan(0);
    const graph = dependenciesOf(hosts);
    const firstOwn = names.find((name) => /^Cluster_HostSecrets-/.test(name)) as string;
    for (const name of names.filter((n) => /Ca(Trust|Issue)/.test(n))) expect(waitsFor(graph, `terraform_data.${firstOwn}`, `terraform_data.${name}`)).toBe(true);
  });

  it("fails for an install environment name that is no variable name (it reaches root's shell)", () => {
    const { stack } = buildCluster();
    const host = { address: "203.0.113.10", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1y" };
    expect(() => new SecretsDelivery(stack, "Step", { host, serverId: "1", files: {}, triggers: {}, installEnvironment: { "X;reboot": "1" } })).toThrow(
      'test/Step: invalid secrets delivery:\n  - installEnvironment has the name "X;reboot", which is no environment variable name; use capitals, digits and "_", e.g. HASHILAB_CA_ROTATION_STEP',
    );
  });

  it.each([0, -1, 1.5, Number.NaN, 1001])("fails for caGeneration %p, naming the field and the fix", (generation) => {
    expect(() => buildCluster({ caGeneration: generation })).toThrow(
      new RegExp(`test/Cluster/Pki: invalid cluster PKI:\\n  - caGeneration ${generation} must be a whole number from 1 to 1000; raise it by exactly one to rotate the CA`),
    );
  });
});

describe("a rotation step on a host (hashilab-install-secrets.sh)", () => {
  const OWN = {
    [DELIVERED_FILES.caCert]: "CA 1\n",
    [DELIVERED_FILES.agentCert]: "CERT 1\n",
    [DELIVERED_FILES.agentKey]: "KEY\n",
    [DELIVERED_FILES.consulAgentConfig]: SANDBOX_RETRY_JOIN,
    [DELIVERED_FILES.nomadAgentConfig]: "nomad config\n",
  };
  const BUNDLE = "CA 1\nCA 2\n";
  const ENABLE = "enable hashilab-metadata-block.service consul.service nomad.service";
  const calls = (consul: string, nomad: string) => ["daemon-reload", ENABLE, `${consul} consul.service`, `${nomad} nomad.service`];
  let host: ReturnType<typeof installSandbox>;
  beforeEach(() => (host = installSandbox()));
  afterEach(() => host.cleanup());
  const read = (path: string) => readFileSync(host.path(path), "utf8");

  it("trust: installs the bundle, reloads Consul (it re-reads its CA on SIGHUP) and restarts Nomad (its consul block does not)", () => {
    host.deliver(OWN);
    expect(host.deliver({ [DELIVERED_FILES.caCert]: BUNDLE }, { HASHILAB_CA_ROTATION_STEP: "trust" })).toEqual(calls("reload-or-restart", "restart"));
    expect([read(HOST_PATHS.caCert), read(HOST_PATHS.agentCert)]).toEqual([BUNDLE, "CERT 1\n"]);
  });

  it("issue: installs the new certificate and reloads both agents; then the host's own delivery drops the old CA, restarting Nomad", () => {
    host.deliver(OWN);
    host.deliver({ [DELIVERED_FILES.caCert]: BUNDLE }, { HASHILAB_CA_ROTATION_STEP: "trust" });
    const issue = { [DELIVERED_FILES.caCert]: BUNDLE, [DELIVERED_FILES.agentCert]: "CERT 2\n", [DELIVERED_FILES.agentKey]: "KEY\n" };
    expect(host.deliver(issue, { HASHILAB_CA_ROTATION_STEP: "issue" })).toEqual(calls("reload-or-restart", "reload-or-restart"));
    expect([read(HOST_PATHS.caCert), read(HOST_PATHS.agentCert)]).toEqual([BUNDLE, "CERT 2\n"]);
    const own = { ...OWN, [DELIVERED_FILES.caCert]: "CA 2\n", [DELIVERED_FILES.agentCert]: "CERT 2\n" };
    expect(host.deliver(own)).toEqual(calls("reload-or-restart", "restart"));
    expect(read(HOST_PATHS.caCert)).toBe("CA 2\n");
  });

  it("changes nothing on a host whose agents do not run yet (a new host: its own delivery comes next), and removes the upload", () => {
    expect(host.deliver({ [DELIVERED_FILES.caCert]: BUNDLE }, { HASHILAB_CA_ROTATION_STEP: "trust" })).toEqual([]);
    expect(existsSync(host.path(HOST_PATHS.caCert))).toBe(false);
    expect(existsSync(host.path(HOST_PATHS.deliveryDir))).toBe(false);
  });

  it("fails the step before changing anything when the cluster is not healthy", () => {
    host.deliver(OWN);
    host.stubs.stub("curl", '[[ "$*" == *--write-out* ]] && echo 000; exit 7');
    expect(() => host.deliver({ [DELIVERED_FILES.caCert]: BUNDLE }, { HASHILAB_CA_ROTATION_STEP: "trust", HASHILAB_WAIT_ATTEMPTS: "1" })).toThrow(/did not answer/);
    expect(read(HOST_PATHS.caCert)).toBe("CA 1\n");
  });
});

describe("the dual-trust phase over real TLS (openssl certificates; mutual TLS as the agents' RPC, in node:tls and Go)", () => {
  let dir: string;
  const pem: Record<string, string> = {};
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

  beforeAll(() => {
    requireTool("openssl");
    dir = mkdtempSync(join(tmpdir(), `hashilab-ca-rotation-${process.pid}-`));
    for (const ca of ["ca1", "ca2"]) {
      openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${ca}.key`);
      openssl("req", "-x509", "-new", "-key", `${ca}.key`, "-subj", `/O=hashilab/CN=lab hashilab CA ${ca}`, "-days", "3650", "-out", `${ca}.pem`,
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature");
    }
    writeFileSync(join(dir, "ext"), "subjectAltName=DNS:server.global.nomad,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n");
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "agent.key");
    openssl("req", "-new", "-key", "agent.key", "-subj", "/O=hashilab/CN=lab-server-1", "-out", "agent.csr");
    for (const ca of ["ca1", "ca2"]) {
      openssl("x509", "-req", "-in", "agent.csr", "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "365", "-extfile", "ext", "-out", `agent-${ca}.pem`);
    }
    for (const name of ["ca1.pem", "ca2.pem", "agent.key", "agent-ca1.pem", "agent-ca2.pem"]) pem[name] = readFileSync(join(dir, name), "utf8");
    // The bundle exactly as the hosts get it: the previous CA's PEM followed by the new one's.
    pem.bundle = pem["ca1.pem"] + pem["ca2.pem"];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Whether two hosts, each with its ca.pem and certificate, complete a mutually verified handshake. */
  async function talk(server: { ca: string; cert: string }, client: { ca: string; cert: string }): Promise<boolean> {
    const listener = createServer({ key: pem["agent.key"], cert: server.cert, ca: server.ca, requestCert: true, rejectUnauthorized: true }, (socket) => socket.end("ok"));
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const port = (listener.address() as { port: number }).port;
    try {
      return await new Promise<boolean>((resolve) => {
        const socket = connect({ host: "127.0.0.1", port, servername: "server.global.nomad", key: pem["agent.key"], cert: client.cert, ca: client.ca }, () => undefined);
        socket.on("data", (data) => resolve(data.toString() === "ok"));
        socket.on("error", () => resolve(false));
        socket.on("close", () => resolve(false));
      });
    } finally {
      listener.close();
    }
  }

  const host = (ca: string, cert: string) => ({ ca: pem[ca], cert: pem[cert] });
  const both = async (a: { ca: string; cert: string }, b: { ca: string; cert: string }) => [await talk(a, b), await talk(b, a)];

  it("trust: a host with the bundle and one with the old CA alone talk, both presenting old certificates", async () => {
    expect(await both(host("bundle", "agent-ca1.pem"), host("ca1.pem", "agent-ca1.pem"))).toEqual([true, true]);
  });

  it("issue: a certificate from the new CA and one from the old verify against the bundle", async () => {
    expect(await both(host("bundle", "agent-ca2.pem"), host("bundle", "agent-ca1.pem"))).toEqual([true, true]);
  });

  it("end: a host with the new CA alone talks to one still holding the bundle, both presenting new certificates", async () => {
    expect(await both(host("ca2.pem", "agent-ca2.pem"), host("bundle", "agent-ca2.pem"))).toEqual([true, true]);
  });

  it("after the rotation an old certificate no longer verifies, and without the dual-trust phase two hosts could not talk", async () => {
    expect(await talk(host("ca2.pem", "agent-ca2.pem"), host("ca2.pem", "agent-ca1.pem"))).toBe(false);
    expect(await both(host("ca2.pem", "agent-ca2.pem"), host("ca1.pem", "agent-ca1.pem"))).toEqual([false, false]);
  });

  it("Go's crypto/tls, the agents' own TLS, agrees on every step", () => {
    const steps = [
      [host("bundle", "agent-ca1.pem"), host("ca1.pem", "agent-ca1.pem")],
      [host("bundle", "agent-ca2.pem"), host("bundle", "agent-ca1.pem")],
      [host("ca2.pem", "agent-ca2.pem"), host("bundle", "agent-ca2.pem")],
      [host("ca2.pem", "agent-ca2.pem"), host("ca2.pem", "agent-ca1.pem")],
      [host("ca2.pem", "agent-ca2.pem"), host("ca1.pem", "agent-ca1.pem")],
    ];
    const pairs = steps.flatMap(([a, b]) => [{ server: a, client: b }, { server: b, client: a }]);
    expect(goHandshakes(pem["agent.key"], "server.global.nomad", pairs)).toEqual([true, true, true, true, true, true, false, false, false, false]);
  });
});
