import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { escapeTerraformTemplate } from "../constructs/core";
import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { shippedFile } from "../constructs/hetzner-cluster/host-files";
import { EnvironmentConfig, home, lab } from "../environments";
import { SERVERS } from "./support/agent-apis";
import { rolloutSandbox } from "./support/rollout";
import { resourcesOf, synthEnvironment } from "./support/synth";

/** The rolling upgrade a version change renders, step by step in the synthesized JSON, for lab (Hetzner) and home (LAN hosts). */

const withCluster = (env: EnvironmentConfig, cluster: Record<string, unknown>) => ({ ...env, cluster: { ...env.cluster, ...cluster } }) as EnvironmentConfig;
const ROLLOUT = `bash ${HOST_PATHS.rolloutScriptsDir}/hashilab-rollout.sh`;

/** The hosts stack's terraform_data resources by their id without cdktf's hash suffix. */
function hostsData(env: EnvironmentConfig): Map<string, any> {
  const stacks = synthEnvironment(env);
  const resources = resourcesOf(stacks[`${env.name}-hosts`], "terraform_data");
  return new Map(Object.entries<any>(resources).map(([id, body]) => [id.replace(/_[0-9A-F]{8}$/, ""), { ...body, address: `terraform_data.${id}` }]));
}

/** The ids of `data` in the order Terraform must run them: each depends on the one before. */
function chain(data: Map<string, any>, ids: readonly string[]): string[] {
  return ids.map((id, i) => (i === 0 ? id : data.get(id).depends_on.includes(data.get(ids[i - 1]).address) ? id : `${id} (does not wait for ${ids[i - 1]})`));
}

/** Each provisioner as [where it runs ("host" or the runner's address), what it does]. */
function steps(resource: any): Array<[string, string]> {
  return resource.provisioner.map((p: any) => {
    const [kind, body] = Object.entries<any>(p)[0];
    const where = body.connection ? body.connection.host : "host";
    return [where, kind === "file" ? `upload ${body.destination}` : body.inline.at(-1)];
  });
}

const uploadsTo = (where: string, names: readonly string[]): Array<[string, string]> => [
  [where, `install -d -m 0700 ${HOST_PATHS.rolloutUploadDir}`],
  ...names.map((name): [string, string] => [where, `upload ${HOST_PATHS.rolloutUploadDir}/${name}`]),
];

describe.each([
  ["lab", lab, ["Server-1", "Server-2", "Server-3"], "ServerSecrets-3_Delivery", "${hcloud_server.Cluster_Server-1_233DE816.ipv4_address}"],
  ["home", home, ["Host-node1", "Host-node2", "Host-node3"], "HostSecrets-node3_Delivery", "192.168.1.21"],
])("the rolling upgrade of %s", (name, env, hosts, lastDelivery, firstServer) => {
  const data = hostsData(env);
  const cluster = env.cluster as { consulVersion: string; nomadVersion: string };
  const step = (agent: "Consul" | "Nomad", host: string) => `Cluster_Rollout_${host.replace("-", agent + "-")}`;
  const consulSteps = hosts.map((h) => step("Consul", h));
  const nomadSteps = hosts.map((h) => step("Nomad", h));

  it("upgrades Consul on every host, one at a time after the deliveries, before Nomad on any", () => {
    expect(data.get(consulSteps[0]).depends_on).toEqual([data.get(`Cluster_${lastDelivery}`).address]);
    expect(chain(data, [...consulSteps, ...nomadSteps])).toEqual([...consulSteps, ...nomadSteps]);
  });

  it("runs each Consul step on its host behind the health gate, triggered only by the Consul version", () => {
    for (const id of consulSteps) {
      const resource = data.get(id);
      expect(resource.triggers_replace).toEqual({ consul: cluster.consulVersion });
      expect(steps(resource)).toEqual([...uploadsTo("host", ["agent-versions"]), ["host", `${ROLLOUT} upgrade consul ${HOST_PATHS.rolloutUploadDir}/agent-versions`]]);
      expect(resource.provisioner.find((p: any) => p.file?.destination.endsWith("/agent-versions")).file.content).toBe(`consul ${cluster.consulVersion}\n`);
    }
  });

  it("drains each Nomad client from the first server, upgrades it on its host, then makes it eligible again", () => {
    for (const [i, id] of nomadSteps.entries()) {
      const resource = data.get(id);
      const node = name === "lab" ? `lab-server-${i + 1}` : `node${i + 1}`;
      expect(resource.triggers_replace).toEqual({ nomad: cluster.nomadVersion, nomad_driver_podman: "0.6.4" });
      expect(steps(resource)).toEqual([
        [firstServer, `${ROLLOUT} drain ${node} ${cluster.nomadVersion} 15`],
        ...uploadsTo("host", ["agent-versions"]),
        ["host", `${ROLLOUT} upgrade nomad ${HOST_PATHS.rolloutUploadDir}/agent-versions`],
        [firstServer, `${ROLLOUT} eligible ${node}`],
      ]);
      expect(resource.provisioner.find((p: any) => p.file?.destination.endsWith("/agent-versions")).file.content).toBe(
        `nomad ${cluster.nomadVersion}\nnomad-driver-podman 0.6.4\n`,
      );
    }
  });

  it("runs the scripts every delivery installs (it comes before the rollout): the current ones, uploaded once per host", () => {
    const delivery = data.get(`Cluster_${lastDelivery}`);
    const uploaded = (name: string) => delivery.provisioner.find((p: any) => p.file?.destination.endsWith(`/${name}`)).file.content;
    // Escaped once for Terraform, which reads ${ as its own template syntax.
    for (const name of ["hashilab-rollout.sh", "hashilab-wait-healthy.sh", "hashilab-upgrade-agents.sh"]) {
      expect(uploaded(name)).toBe(escapeTerraformTemplate(shippedFile(name)));
    }
    expect(shippedFile("hashilab-install-secrets.sh")).toContain(`install_delivered "$script" "${HOST_PATHS.rolloutScriptsDir}/$script" root 0755`);
  });

  it("re-runs only the Consul steps for a new Consul version, only the Nomad steps for a new Nomad version, and no delivery for either", () => {
    const triggers = (d: Map<string, any>) => Object.fromEntries([...d].map(([id, r]) => [id, JSON.stringify(r.triggers_replace)]));
    const before = triggers(data);
    const changed = (after: Record<string, string>) => Object.keys(after).filter((id) => after[id] !== before[id]);
    expect(changed(triggers(hostsData(withCluster(env, { consulVersion: "1.21.6" }))))).toEqual(consulSteps);
    expect(changed(triggers(hostsData(withCluster(env, { nomadVersion: "2.0.6" }))))).toEqual(nomadSteps);
  });
});

describe("a host with only a Nomad client", () => {
  const data = hostsData(withCluster(lab, { clientCount: 1 }));

  it("comes after the servers in both phases, and is drained from the first server", () => {
    expect(chain(data, ["Cluster_Rollout_ServerConsul-3", "Cluster_Rollout_ClientConsul-1", "Cluster_Rollout_ServerNomad-1"])).toEqual([
      "Cluster_Rollout_ServerConsul-3",
      "Cluster_Rollout_ClientConsul-1",
      "Cluster_Rollout_ServerNomad-1",
    ]);
    expect(steps(data.get("Cluster_Rollout_ClientNomad-1")).filter(([, what]) => what.startsWith("bash"))).toEqual([
      ["${hcloud_server.Cluster_Server-1_233DE816.ipv4_address}", `${ROLLOUT} drain lab-client-1 ${(lab.cluster as any).nomadVersion} 15`],
      ["host", `${ROLLOUT} upgrade nomad ${HOST_PATHS.rolloutUploadDir}/agent-versions`],
      ["${hcloud_server.Cluster_Server-1_233DE816.ipv4_address}", `${ROLLOUT} eligible lab-client-1`],
    ]);
  });

  it("drains with the deadline the environment sets", () => {
    const slow = hostsData(withCluster(lab, { clientCount: 1, drainDeadlineMinutes: 60 }));
    expect(steps(slow.get("Cluster_Rollout_ClientNomad-1"))[0][1]).toBe(`${ROLLOUT} drain lab-client-1 ${(lab.cluster as any).nomadVersion} 60`);
  });
});

describe("the drain deadline", () => {
  it.each([0, 2.5, 1441])("fails on %s minutes, naming the construct and the prop", (minutes) => {
    expect(() => synthEnvironment(withCluster(lab, { drainDeadlineMinutes: minutes }))).toThrow(
      new RegExp(`lab-hosts/Cluster/Rollout: invalid rollout:\\n  - drainDeadlineMinutes ${minutes} must be a whole number of minutes from 1 to 1440`),
    );
  });
});

describe("a running host from one version's packages to the next", () => {
  let host: ReturnType<typeof rolloutSandbox>;
  afterEach(() => host.cleanup());
  const VERSIONS = `${HOST_PATHS.rolloutUploadDir}/agent-versions`;
  const installed = (pkg: string) => readFileSync(host.path(`/var/lib/fake-dpkg/${pkg}`), "utf8");

  it("upgrades Nomad and its driver, goes back to a previous pin (the way out of a bad release), and changes nothing the third time", () => {
    host = rolloutSandbox({ me: SERVERS[1], installed: { nomad: "2.0.4-1", "nomad-driver-podman": "0.6.3-1" } });
    writeFileSync(host.path(VERSIONS), "nomad 2.0.5\nnomad-driver-podman 0.6.4\n");
    expect(host.run(["upgrade", "nomad", host.path(VERSIONS)]).status).toBe(0);
    expect([installed("nomad"), installed("nomad-driver-podman")]).toEqual(["2.0.5-1", "0.6.4-1"]);
    writeFileSync(host.path(VERSIONS), "nomad 2.0.4\nnomad-driver-podman 0.6.4\n");
    expect(host.run(["upgrade", "nomad", host.path(VERSIONS)]).calls).toContain("systemctl restart nomad.service");
    expect(installed("nomad")).toBe("2.0.4-1");
    expect(host.run(["upgrade", "nomad", host.path(VERSIONS)]).calls).toEqual([]);
  });

  it("fails on a version the repository lacks, and restarts what it did change on the next run", () => {
    host = rolloutSandbox({ me: SERVERS[1], installed: { nomad: "2.0.4-1", "nomad-driver-podman": "0.6.3-1" } });
    mkdirSync(host.path("var/lib/fake-apt"), { recursive: true });
    writeFileSync(host.path("var/lib/fake-apt/missing"), "nomad-driver-podman=0.6.9-1\n");
    writeFileSync(host.path(VERSIONS), "nomad 2.0.5\nnomad-driver-podman 0.6.9\n");
    const failed = host.run(["upgrade", "nomad", host.path(VERSIONS)]);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain("Version '0.6.9-1' for 'nomad-driver-podman' was not found");
    expect(installed("nomad")).toBe("2.0.5-1");
    writeFileSync(host.path(VERSIONS), "nomad 2.0.5\nnomad-driver-podman 0.6.3\n");
    expect(host.run(["upgrade", "nomad", host.path(VERSIONS)]).calls).toEqual(["systemctl restart nomad.service"]);
  });

  it.each([
    ["a package that is no agent", "curl 8.0.0\n", "names 'curl', not an agent package"],
    ["a version that is no release", "nomad 2.0.5; rm -rf /\n", "pins nomad to '2.0.5; rm -rf /', not a release (x.y.z)"],
  ])("fails on %s in the versions file, before touching the agent", (_, text, message) => {
    host = rolloutSandbox({ me: SERVERS[1] });
    writeFileSync(host.path(VERSIONS), text);
    const run = host.run(["upgrade", "nomad", host.path(VERSIONS)]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(message);
    expect(run.calls.filter((c) => c.startsWith("apt-get install") || c.startsWith("systemctl restart"))).toEqual([]);
  });
});
