import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { renderConsulGossipConfig } from "../constructs/hetzner-cluster/consul-config";
import { renderNomadGossipConfig } from "../constructs/hetzner-cluster/nomad-config";
import { parseHcl } from "./support/hcl";
import { buildCluster } from "./support/hetzner-cluster";
import { writtenFile } from "./support/user-data";

type Host = ReturnType<typeof buildCluster>["cluster"]["hosts"][number];

const nomadConfig = (host: Host) => parseHcl(writtenFile(host.userData, HOST_PATHS.nomadAgentConfig).content, "nomad.hcl");
const consulConfig = (host: Host) => parseHcl(writtenFile(host.userData, HOST_PATHS.consulAgentConfig).content, "consul.hcl");

const SERVER_IPS = ["10.0.10.11", "10.0.10.12", "10.0.10.13"];

describe("combined server+client hosts (the lab topology)", () => {
  const { cluster } = buildCluster({ chrootEnv: { "/bin": "/bin", "/usr": "/usr", "/vagrant": "/vagrant" } });
  const host = cluster.hosts[0];

  it("plans three combined hosts at fixed private addresses", () => {
    expect(cluster.hosts.map((h) => [h.spec.name, h.spec.isServer, h.spec.isClient, h.spec.privateIp])).toEqual([
      ["test-server-1", true, true, "10.0.10.11"],
      ["test-server-2", true, true, "10.0.10.12"],
      ["test-server-3", true, true, "10.0.10.13"],
    ]);
  });

  it("Nomad: a server expecting every server and joining them on the private network", async () => {
    const nomad = await nomadConfig(host);
    expect(nomad.region).toBe("global");
    expect(nomad.datacenter).toBe("lab01");
    expect(nomad.server).toEqual([{ enabled: true, bootstrap_expect: 3, server_join: [{ retry_join: SERVER_IPS }] }]);
    expect(nomad.addresses).toEqual([{ http: "0.0.0.0", rpc: "10.0.10.11", serf: "10.0.10.11" }]);
    expect(nomad.advertise).toEqual([{ http: "10.0.10.11", rpc: "10.0.10.11", serf: "10.0.10.11" }]);
  });

  it("Nomad: also a client with private/public host networks, the chroot and only the listed drivers", async () => {
    const [client] = (await nomadConfig(host)).client;
    expect(client.enabled).toBe(true);
    expect(client.server_join).toEqual([{ retry_join: SERVER_IPS.map((ip) => `${ip}:4647`) }]);
    expect(client.host_network).toEqual({ private: [{ cidr: "10.0.10.0/24" }], public: [{ interface: "eth0" }] });
    expect(client.chroot_env).toEqual({ "/bin": "/bin", "/usr": "/usr", "/vagrant": "/vagrant" });
    expect(client.options).toEqual({ "driver.allowlist": "docker,exec,podman" });
    expect(client.cni_path).toBe("/usr/lib/cni");
    expect(client.network_interface).toBe('{{ GetAllInterfaces | include "network" "10.0.10.0/24" | attr "name" }}');
  });

  it("Nomad: ACLs on, TLS for HTTP and RPC with server hostname verification", async () => {
    const nomad = await nomadConfig(host);
    expect(nomad.acl).toEqual([{ enabled: true }]);
    expect(nomad.tls).toEqual([
      {
        http: true,
        rpc: true,
        ca_file: HOST_PATHS.caCert,
        cert_file: HOST_PATHS.agentCert,
        key_file: HOST_PATHS.agentKey,
        verify_server_hostname: true,
        verify_https_client: false,
      },
    ]);
  });

  it("Nomad: workload identities for Consul with audience consul.io, over TLS to the local agent", async () => {
    const [consul] = (await nomadConfig(host)).consul;
    expect(consul).toMatchObject({ address: "127.0.0.1:8501", ssl: true, ca_file: HOST_PATHS.caCert, grpc_address: "127.0.0.1:8503" });
    expect(consul.service_identity).toEqual([{ aud: ["consul.io"], ttl: "1h" }]);
    expect(consul.task_identity).toEqual([{ aud: ["consul.io"], ttl: "1h" }]);
  });

  it("Nomad: locks down the docker, podman and exec plugins, and no raw_exec unless asked", async () => {
    const nomad = await nomadConfig(host);
    expect(Object.keys(nomad.plugin).sort()).toEqual(["docker", "exec", "nomad-driver-podman"]);
    expect(nomad.plugin.docker[0].config[0]).toMatchObject({ allow_privileged: false, volumes: [{ enabled: false }] });
    // podman 0.6 defaults volumes.enabled to true (any host path) and has no allow_privileged.
    expect(nomad.plugin["nomad-driver-podman"][0].config[0]).toEqual({
      socket_path: "unix:///run/podman/podman.sock",
      volumes: [{ enabled: false }],
    });
    // exec keeps Nomad's default capabilities (DAC_OVERRIDE, SETUID, KILL, ...) unless allow_caps narrows them.
    expect(nomad.plugin.exec[0].config[0].allow_caps).toEqual([]);
  });

  it("Nomad: keeps the gossip key out of the agent file", async () => {
    const nomad = await nomadConfig(host);
    expect(nomad.server[0].encrypt).toBeUndefined();
  });

  it("Consul: a server with ACLs denying by default, tokens persisted, TLS only", async () => {
    const consul = await consulConfig(host);
    expect(consul).toMatchObject({
      datacenter: "lab01",
      node_name: "test-server-1",
      server: true,
      bootstrap_expect: 3,
      retry_join: SERVER_IPS,
      bind_addr: "10.0.10.11",
      advertise_addr: "10.0.10.11",
      client_addr: "127.0.0.1",
    });
    expect(consul.acl).toEqual([{ enabled: true, default_policy: "deny", enable_token_persistence: true }]);
    expect(consul.ports).toEqual([{ http: -1, https: 8501, grpc: -1, grpc_tls: 8503 }]);
    const [tls] = consul.tls;
    expect(tls.defaults).toEqual([
      {
        ca_file: HOST_PATHS.caCert,
        cert_file: HOST_PATHS.agentCert,
        key_file: HOST_PATHS.agentKey,
        verify_incoming: true,
        verify_outgoing: true,
      },
    ]);
    expect(tls.internal_rpc).toEqual([{ verify_server_hostname: true }]);
    expect(consul.encrypt).toBeUndefined();
  });
});

describe("separate server and client pools", () => {
  const { cluster } = buildCluster({ serversAreClients: false, clientCount: 2, drivers: ["docker", "exec", "raw_exec"] });
  const server = cluster.hosts.find((h) => h.spec.id === "server-1")!;
  const client = cluster.hosts.find((h) => h.spec.id === "client-2")!;

  it("plans server-only hosts and client hosts from .101", () => {
    expect(cluster.hosts.map((h) => [h.spec.id, h.spec.isServer, h.spec.isClient, h.spec.privateIp])).toEqual([
      ["server-1", true, false, "10.0.10.11"],
      ["server-2", true, false, "10.0.10.12"],
      ["server-3", true, false, "10.0.10.13"],
      ["client-1", false, true, "10.0.10.101"],
      ["client-2", false, true, "10.0.10.102"],
    ]);
  });

  it("Nomad server-only: no client block and no driver plugins", async () => {
    const nomad = await nomadConfig(server);
    expect(nomad.server[0].bootstrap_expect).toBe(3);
    expect(nomad.client).toBeUndefined();
    expect(nomad.plugin).toBeUndefined();
  });

  it("Nomad client-only: no server block; joins the servers; raw_exec enabled because the environment lists it", async () => {
    const nomad = await nomadConfig(client);
    expect(nomad.server).toBeUndefined();
    expect(nomad.ui).toBeUndefined();
    expect(nomad.advertise[0].rpc).toBe("10.0.10.102");
    expect(nomad.client[0].server_join).toEqual([{ retry_join: SERVER_IPS.map((ip) => `${ip}:4647`) }]);
    expect(nomad.client[0].options["driver.allowlist"]).toBe("docker,exec,raw_exec");
    expect(nomad.client[0].chroot_env).toBeUndefined();
    expect(nomad.plugin.raw_exec).toEqual([{ config: [{ enabled: true }] }]);
  });

  it("Consul client-only: an agent joining the servers, ACLs and TLS like the servers", async () => {
    const consul = await consulConfig(client);
    expect(consul.server).toBeUndefined();
    expect(consul.bootstrap_expect).toBeUndefined();
    expect(consul.retry_join).toEqual(SERVER_IPS);
    expect(consul.acl[0].default_policy).toBe("deny");
    expect(consul.tls[0].internal_rpc).toEqual([{ verify_server_hostname: true }]);
  });
});

describe("a single-server lab cluster", () => {
  it("expects exactly one server", async () => {
    const { cluster } = buildCluster({ serverCount: 1 });
    expect((await nomadConfig(cluster.hosts[0])).server[0].bootstrap_expect).toBe(1);
    expect((await consulConfig(cluster.hosts[0])).bootstrap_expect).toBe(1);
  });
});

describe("gossip key files (delivered over SSH)", () => {
  it("parse and carry the key they are given", async () => {
    expect(await parseHcl(renderConsulGossipConfig("a2V5"))).toEqual({ encrypt: "a2V5" });
    expect(await parseHcl(renderNomadGossipConfig("a2V5"))).toEqual({ server: [{ encrypt: "a2V5" }] });
  });
});
