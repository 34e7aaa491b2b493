import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { DELIVERED_FILES, HOST_PATHS, LEGACY_SECRET_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { SANDBOX_RETRY_JOIN, SERVERS } from "./support/agent-apis";
import { installSandbox } from "./support/install-secrets";
import { clusterStubs, CONSUL_NODE_IDS } from "./support/rollout";

const SERVER_DELIVERY = {
  [DELIVERED_FILES.caCert]: "CA\n",
  [DELIVERED_FILES.agentCert]: "CERT 1\n",
  [DELIVERED_FILES.agentKey]: "KEY 1\n",
  [DELIVERED_FILES.consulGossip]: 'encrypt = "consul key"\n',
  [DELIVERED_FILES.nomadGossip]: 'server {\n  encrypt = "nomad key"\n}\n',
  [DELIVERED_FILES.consulAgentConfig]: SANDBOX_RETRY_JOIN,
  [DELIVERED_FILES.nomadAgentConfig]: "nomad config\n",
  [DELIVERED_FILES.consulUnit]: "consul unit\n",
  [DELIVERED_FILES.nomadUnit]: "nomad unit\n",
};

/** Every delivery reloads systemd first: a delivered unit may have changed. */
/** Every delivery enables the units, so a host whose first boot stopped early still starts them at boot. */
const ENABLE = "enable hashilab-metadata-block.service consul.service nomad.service";
const started = (consul: string, nomad: string) => ["daemon-reload", ENABLE, `${consul} consul.service`, `${nomad} nomad.service`];

describe("hashilab-install-secrets", () => {
  let host: ReturnType<typeof installSandbox>;
  beforeEach(() => {
    host = installSandbox();
    // cloud-init wrote the agent configuration and units on first boot.
    writeFileSync(host.path(HOST_PATHS.consulAgentConfig), SANDBOX_RETRY_JOIN);
    writeFileSync(host.path(HOST_PATHS.nomadAgentConfig), "nomad config\n");
    writeFileSync(host.path(HOST_PATHS.consulUnit), "consul unit\n");
    writeFileSync(host.path(HOST_PATHS.nomadUnit), "nomad unit\n");
  });
  afterEach(() => host?.cleanup());

  const mode = (path: string) => (statSync(host.path(path)).mode & 0o777).toString(8);

  it("installs the first delivery with tight permissions, starts both agents and removes the upload", () => {
    expect(host.deliver(SERVER_DELIVERY)).toEqual(started("restart", "restart"));
    expect(readFileSync(host.path(HOST_PATHS.agentKey), "utf8")).toBe("KEY 1\n");
    expect(mode(HOST_PATHS.agentKey)).toBe("640");
    expect(mode(HOST_PATHS.caCert)).toBe("644");
    expect(mode(HOST_PATHS.consulGossipConfig)).toBe("640");
    expect(mode(HOST_PATHS.nomadGossipConfig)).toBe("600");
    expect(readFileSync(host.path(HOST_PATHS.nomadGossipConfig), "utf8")).toContain("nomad key");
    expect(existsSync(host.path(HOST_PATHS.deliveryDir))).toBe(false);
  });

  it("installs the units' private-address wait as an executable, also on hosts set up without it", () => {
    expect(host.deliver(SERVER_DELIVERY)).toEqual(started("restart", "restart"));
    expect(mode(HOST_PATHS.waitAddressScript)).toBe("755");
    expect(readFileSync(host.path(HOST_PATHS.waitAddressScript), "utf8")).toMatch(/^#!\/bin\/bash\n# hashilab-wait-address ADDRESS/);
  });

  it("loads delivered container firewall rules at once when they changed, and only then", () => {
    const rules = { ...SERVER_DELIVERY, [DELIVERED_FILES.firewall]: "table inet hashilab_metadata {}\n" };
    expect(host.deliver(rules)).toEqual(["daemon-reload", ENABLE, "restart hashilab-metadata-block.service", "restart consul.service", "restart nomad.service"]);
    expect(readFileSync(host.path(HOST_PATHS.metadataFirewall), "utf8")).toBe("table inet hashilab_metadata {}\n");
    expect(host.deliver(rules)).toEqual(started("reload-or-restart", "reload-or-restart"));
  });

  it("keeps the secrets in directories only root and the consul group can enter, Nomad's in one only root can", () => {
    host.deliver(SERVER_DELIVERY);
    expect(mode(HOST_PATHS.secretsDir)).toBe("750");
    expect(mode(HOST_PATHS.secretTlsDir)).toBe("750");
    expect(mode(HOST_PATHS.consulSecretConfigDir)).toBe("750");
    expect(mode(HOST_PATHS.nomadSecretConfigDir)).toBe("700");
  });

  it("makes the public TLS directory world-readable, for jobs that call the local APIs as nobody, and keeps the keys private", () => {
    // Hosts bootstrapped before the directory held only public files have it 0750.
    chmodSync(host.path(HOST_PATHS.tlsDir), 0o750);
    host.deliver(SERVER_DELIVERY);
    expect(mode(HOST_PATHS.tlsDir)).toBe("755");
    expect(mode(HOST_PATHS.caCert)).toBe("644");
    expect(mode(HOST_PATHS.agentCert)).toBe("644");
    expect(HOST_PATHS.agentKey.startsWith(`${HOST_PATHS.secretsDir}/`)).toBe(true);
    expect(mode(HOST_PATHS.agentKey)).toBe("640");
    expect(mode(HOST_PATHS.consulGossipConfig)).toBe("640");
    expect(mode(HOST_PATHS.nomadGossipConfig)).toBe("600");
  });

  it("only reloads the agents when nothing they need a restart for changed", () => {
    host.deliver(SERVER_DELIVERY);
    expect(host.deliver(SERVER_DELIVERY)).toEqual(started("reload-or-restart", "reload-or-restart"));
  });

  it("reloads (not restarts) for a renewed certificate, which the agents pick up on SIGHUP", () => {
    host.deliver(SERVER_DELIVERY);
    const renewed = { ...SERVER_DELIVERY, [DELIVERED_FILES.agentCert]: "CERT 2\n", [DELIVERED_FILES.agentKey]: "KEY 2\n" };
    expect(host.deliver(renewed)).toEqual(started("reload-or-restart", "reload-or-restart"));
    expect(readFileSync(host.path(HOST_PATHS.agentCert), "utf8")).toBe("CERT 2\n");
  });

  it("still restarts an agent after a delivery that failed before restarting it (its new config already in place)", () => {
    host.deliver(SERVER_DELIVERY);
    const changed = { ...SERVER_DELIVERY, [DELIVERED_FILES.nomadAgentConfig]: "nomad config with new plugin settings\n" };
    host.stubs.stub("systemctl", 'case "$1" in is-active) echo active ;; restart) exit 1 ;; esac');
    expect(() => host.deliver(changed)).toThrow();
    host.stubs.stub("systemctl", `case "$1" in is-active) echo active ;; *) echo "$*" >> "${host.path("/systemctl.log")}" ;; esac`);
    expect(host.deliver(changed)).toEqual(started("reload-or-restart", "restart"));
    // Once the agents are back, nothing is pending: the next unchanged delivery only reloads.
    expect(host.deliver(changed)).toEqual(started("reload-or-restart", "reload-or-restart"));
  });

  it("restarts only the agent whose configuration changed", () => {
    host.deliver(SERVER_DELIVERY);
    const changed = { ...SERVER_DELIVERY, [DELIVERED_FILES.nomadAgentConfig]: "nomad config with raw_exec\n" };
    expect(host.deliver(changed)).toEqual(started("reload-or-restart", "restart"));
    expect(readFileSync(host.path(HOST_PATHS.nomadAgentConfig), "utf8")).toBe("nomad config with raw_exec\n");
  });

  it("restarts an agent whose unit changed", () => {
    host.deliver(SERVER_DELIVERY);
    const changed = { ...SERVER_DELIVERY, [DELIVERED_FILES.consulUnit]: "consul unit 2\n" };
    expect(host.deliver(changed)).toEqual(started("restart", "reload-or-restart"));
    expect(readFileSync(host.path(HOST_PATHS.consulUnit), "utf8")).toBe("consul unit 2\n");
  });

  it("installs a client's delivery, which has no Nomad gossip key", () => {
    const client: Record<string, string> = { ...SERVER_DELIVERY };
    delete client[DELIVERED_FILES.nomadGossip];
    // Nomad (re)starts for its new CA (its consul block reads the CA only at start).
    expect(host.deliver(client)).toEqual(started("restart", "restart"));
    expect(existsSync(host.path(HOST_PATHS.nomadGossipConfig))).toBe(false);
  });

  it("fails the delivery when a restarted agent does not answer its API, and still removes the upload", () => {
    host.stubs.stub("curl", '[[ "$*" == *--write-out* ]] && echo 000; exit 7');
    expect(() => host.deliver(SERVER_DELIVERY, { HASHILAB_WAIT_ATTEMPTS: "1" })).toThrow(/consul did not answer https:\/\/127\.0\.0\.1:8501/);
    expect(existsSync(host.path(HOST_PATHS.deliveryDir))).toBe(false);
    expect(readFileSync(host.path(HOST_PATHS.agentKey), "utf8")).toBe("KEY 1\n");
  });

  it("moves a host's secrets out of /etc, keeping the Nomad agents' Consul token", () => {
    for (const path of Object.values(LEGACY_SECRET_PATHS)) writeFileSync(host.path(path), `old ${path}\n`);
    expect(host.deliver(SERVER_DELIVERY)).toEqual(started("restart", "restart"));
    for (const path of Object.values(LEGACY_SECRET_PATHS)) expect(existsSync(host.path(path))).toBe(false);
    expect(readFileSync(host.path(HOST_PATHS.nomadConsulTokenConfig), "utf8")).toBe(`old ${LEGACY_SECRET_PATHS.nomadConsulTokenConfig}\n`);
    expect(mode(HOST_PATHS.nomadConsulTokenConfig)).toBe("600");
  });
});

describe("a delivery that restarts a server's agents", () => {
  let host: ReturnType<typeof installSandbox>;
  afterEach(() => host?.cleanup());
  /** The leading server's configuration in a three-server cluster, and the same with one setting changed. */
  const serverConfig = `advertise_addr = "${SERVERS[0]}"\nretry_join = [${SERVERS.map((ip) => `"${ip}"`).join(", ")}]\nserver = true\n`;

  beforeEach(() => {
    host = installSandbox();
    // The cluster's answers and the CLIs, logged with systemctl's calls, in order.
    clusterStubs(host.stubs, host.path("fake-cluster"), host.path("systemctl.log"));
    host.deliver({ ...SERVER_DELIVERY, [DELIVERED_FILES.consulAgentConfig]: serverConfig });
    mkdirSync(host.path(HOST_PATHS.rolloutTokenDir), { recursive: true });
    writeFileSync(host.path(HOST_PATHS.rolloutConsulToken), "consul-rollout-secret\n");
    writeFileSync(host.path(HOST_PATHS.rolloutNomadToken), "nomad-rollout-secret\n");
  });

  it("hands Consul's leadership to the last server before it restarts the leader's Consul, and only reloads Nomad", () => {
    const calls = host.deliver({ ...SERVER_DELIVERY, [DELIVERED_FILES.consulAgentConfig]: `${serverConfig}log_level = "DEBUG"\n` });
    const tokenFile = host.path(HOST_PATHS.rolloutConsulToken);
    expect(calls).toEqual([
      "daemon-reload",
      ENABLE,
      `consul operator raft list-peers -token-file=${tokenFile}`,
      `consul operator raft transfer-leader -token-file=${tokenFile} -id=${CONSUL_NODE_IDS[SERVERS[2]]}`,
      "restart consul.service",
      "reload-or-restart nomad.service",
    ]);
  });
});
