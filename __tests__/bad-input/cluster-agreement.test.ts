import { TerraformStack, TerraformVariable } from "cdktf";
import { ClusterFacts } from "../../constructs/cluster-facts";
import { DnsVip } from "../../constructs/dns-vip";
import { NomadAclPolicy } from "../../constructs/acl";
import { NomadJob, NomadJobProps, TaskGroup } from "../../constructs/nomad-job";
import { NomadVariable } from "../../constructs/nomad-variable";
import { RaftSnapshots } from "../../constructs/raft-snapshots";
import { environmentFacts, EnvironmentConfig, lab } from "../../environments";
import { resticBackup } from "../../examples/nomad-job";
import { SEED_PROPS } from "../dns-vip.support";
import { jobStack } from "../nomad-job.support";
import { synthEnvironment } from "../support/synth";
import { synthError } from "./synth-errors";

/**
 * The job and the cluster agree: what a job asks of the clients is held to the facts derived
 * from the same props the agents' configuration is rendered from (environmentFacts), and every
 * fix names the field the reader changes: the environment's, or declareClusterFacts' for a
 * consumer that declared the facts itself.
 */

const LAB = environmentFacts(lab);
/** What a consumer repository declares with declareClusterFacts for a three-client cluster. */
const CONSUMER: ClusterFacts = {
  namespaces: ["default", "apps"],
  clientCount: 3,
  drivers: ["docker", "exec"],
  hostNetworks: ["lan"],
  datacenter: "home",
  region: "global",
  nodePools: ["default"],
  hostVolumes: ["media"],
  namespaceAdmission: { default: { taskDrivers: ["docker"], addCapabilities: [], hostNetworkMode: false, allowPrivileged: false } },
  managementOnlyNamespaces: [],
};

const web = (overrides: Partial<TaskGroup> = {}): TaskGroup => ({
  name: "web",
  tasks: [{ name: "web", driver: "docker", config: { image: "nginx:1.27" } }],
  ...overrides,
});

/** The error of a job built in a stack with `facts`, without its "<path>: invalid Nomad job:" head. */
function jobProblems(facts: ClusterFacts, props: Partial<NomadJobProps>): string {
  const message = synthError(() => new NomadJob(jobStack(facts), "Web", { name: "web", groups: [web()], ...props }));
  expect(message.split("\n")[0]).toBe("test/Web: invalid Nomad job:");
  return message.split("\n").slice(1).join("\n");
}

const accepted = (facts: ClusterFacts, props: Partial<NomadJobProps>) => () =>
  new NomadJob(jobStack(facts), "Web", { name: "web", groups: [web()], ...props });

describe("a job asks for what the clients offer", () => {
  it("fails for a host network the agents do not define (an environment may not invent dmz)", () => {
    expect(jobProblems(LAB, { groups: [web({ network: { ports: [{ label: "http", hostNetwork: "dmz" }] } })] })).toBe(
      '  - job "web" group "web": port "http" uses host_network "dmz", which the clients do not define (defined: private, public); Nomad would find no client to place it on. ' +
        "Use a defined one, or define it in the hosts' agent configuration (HetznerCluster defines private and public).",
    );
  });

  it("fails for a host network a consumer's facts do not list, naming declareClusterFacts", () => {
    expect(jobProblems(CONSUMER, { groups: [web({ network: { ports: [{ label: "http", hostNetwork: "dmz" }] } })] })).toBe(
      '  - job "web" group "web": port "http" uses host_network "dmz", which the clients do not define (defined: lan); Nomad would find no client to place it on. ' +
        "Use a defined one, or define it in hostNetworks in declareClusterFacts(...).",
    );
  });

  it("fails for a driver the clients do not enable, naming the environment's cluster.drivers", () => {
    const groups = [web({ tasks: [{ name: "web", driver: "raw_exec", config: { command: "/bin/true" } }], network: { mode: "bridge" } })];
    expect(jobProblems(LAB, { groups })).toContain(
      'task "web": uses the raw_exec driver, which the clients do not enable (enabled: docker, podman, exec); Nomad would find no client to place it on. ' +
        "Use an enabled driver, or add raw_exec to the environment's cluster.drivers.",
    );
  });

  it("fails for a driver a consumer's facts do not list, naming declareClusterFacts", () => {
    const groups = [web({ tasks: [{ name: "web", driver: "podman", config: { image: "nginx:1.27" } }] })];
    expect(jobProblems(CONSUMER, { groups })).toContain("Use an enabled driver, or add podman to drivers in declareClusterFacts(...).");
  });

  it("fails for a namespace the environment does not declare", () => {
    expect(jobProblems(LAB, { namespace: "staging" })).toBe(
      '  - job "web": namespace "staging" is not declared (declared: default, dns, ingress, lab, public, dev, ops, csi); Nomad refuses a job in a namespace that does not exist. ' +
        "Use one of those, or add it to the environment's namespaces.",
    );
  });

  it("fails for a namespace a consumer's facts do not list, naming declareClusterFacts", () => {
    expect(jobProblems(CONSUMER, { namespace: "staging" })).toContain("Use one of those, or add it to namespaces in declareClusterFacts(...).");
  });

  it("fails for datacenters none of which is the clients'", () => {
    expect(jobProblems(LAB, { datacenters: ["dc1"] })).toBe(
      '  - job "web": datacenters ["dc1"] do not include the clients\' datacenter "lab01"; Nomad would place no allocation. ' +
        'Use ["lab01"] (or leave datacenters unset: "*"), or change the environment\'s datacenter.',
    );
  });

  it("accepts a datacenter glob that matches the clients' (Node.IsInAnyDC uses glob matching)", () => {
    expect(accepted(LAB, { datacenters: ["lab*"] })).not.toThrow();
  });

  it("fails for a region that is not the cluster's", () => {
    expect(jobProblems(LAB, { region: "eu" })).toBe(
      '  - job "web": region "eu" is not the cluster\'s region "global"; Nomad would find no path to it. Leave region unset, or change the environment\'s region.',
    );
  });

  it("fails for a node pool no client is in (jobNodePoolValidatingHook)", () => {
    expect(jobProblems(LAB, { nodePool: "gpu" })).toBe(
      '  - job "web": node pool "gpu" has no clients (pools: default, all); Nomad refuses a job in a nonexistent pool and places none in an empty one. ' +
        "Use one of those, or add it to the hosts' agent configuration (every client is in \"default\").",
    );
  });

  it('accepts the built-in node pool "all"', () => {
    expect(accepted(LAB, { nodePool: "all" })).not.toThrow();
  });

  it("fails for the restic example's host volume, which the lab's clients do not define", () => {
    const stack = jobStack(LAB);
    expect(synthError(() => resticBackup(stack))).toContain(
      'job "restic" group "restic": volume "homelab" uses host volume "homelab", which the clients do not define (defined: none); Nomad would find no client to place it on. ' +
        "Use a defined one, or define it in the hosts' agent configuration (HetznerCluster defines none).",
    );
  });

  it("accepts a host volume the facts list", () => {
    const volumes = [{ name: "media", type: "host" as const, source: "media", readOnly: true }];
    expect(accepted(CONSUMER, { groups: [web({ volumes })] })).not.toThrow();
  });

  it("fails for more instances with a static port than there are clients", () => {
    expect(jobProblems(LAB, { groups: [web({ count: 4, network: { ports: [{ label: "http", static: 8080 }] } })] })).toBe(
      '  - job "web" group "web": count 4 with static port(s) 8080 needs 4 clients (a static port fits once per client), but there are 3 ' +
        "(the environment's cluster.serverCount (with serversAreClients) and cluster.clientCount); the rest would never be placed. Lower count to 3 or use dynamic ports.",
    );
  });

  it("fails for one static port in several groups whose instances together outnumber the clients", () => {
    const port = { network: { ports: [{ label: "http", static: 8080 }] } };
    const groups = [web({ name: "a", count: 2, ...port }), web({ name: "b", count: 2, ...port })];
    expect(jobProblems(LAB, { groups })).toBe(
      '  - job "web": groups "a", "b" all bind static port 8080: their 4 instances need 4 clients, ' +
        "but there are 3 (the environment's cluster.serverCount (with serversAreClients) and cluster.clientCount). Use dynamic ports, or lower the counts.",
    );
  });

  it("accepts a system job with a static port on every client (one allocation per client)", () => {
    // Nomad refuses a system group's count above 1 (Job.Validate); it places one per client.
    expect(accepted(LAB, { type: "system", groups: [web({ count: 1, network: { ports: [{ label: "dns", static: 53 }] } })] })).not.toThrow();
  });

  it("fails for distinct_hosts on more instances than clients", () => {
    const groups = [web({ count: 4, constraints: [{ operator: "distinct_hosts", value: "true" }] })];
    expect(jobProblems(CONSUMER, { groups })).toBe(
      '  - job "web" group "web": count 4 with a distinct_hosts constraint needs 4 clients, but there are 3 (clientCount in declareClusterFacts(...)). Lower count to 3 or drop the constraint.',
    );
  });

  it("fails for a privileged container (the clients' docker plugin sets allow_privileged = false)", () => {
    const groups = [web({ tasks: [{ name: "web", driver: "docker", config: { image: "nginx:1.27", privileged: true } }] })];
    expect(jobProblems(LAB, { groups })).toContain("sets privileged, which makes the container root on the host.");
  });

  it("fails for a docker bind of a host path (the clients' docker plugin has volumes off)", () => {
    const groups = [web({ tasks: [{ name: "web", driver: "docker", config: { image: "nginx:1.27", volumes: ["/srv/homelab:/data"] } }] })];
    expect(jobProblems(LAB, { groups })).toContain('volume "/srv/homelab:/data" mounts a host path.');
  });

  it("fails for a driver a consumer's namespace admission does not allow, naming declareClusterFacts", () => {
    const groups = [web({ tasks: [{ name: "web", driver: "exec", config: { command: "/bin/true" } }], network: { mode: "bridge" } })];
    expect(jobProblems(CONSUMER, { groups })).toContain(
      'uses the exec driver, which namespace "default" does not allow (allowed: docker). Use one of those, or add "exec" to the taskDrivers of namespace "default" in namespaceAdmission in declareClusterFacts(...)',
    );
  });
});

describe("the library's own constructs, in the reader's words", () => {
  it("DnsVip without podman on the clients: the environment's cluster.drivers", () => {
    // Without the CSI plugins' namespace, whose node plugin needs podman too.
    const namespaces = lab.namespaces.filter((ns) => ns.name !== "csi");
    const env: EnvironmentConfig = { ...lab, namespaces, cluster: { ...(lab.cluster as any), drivers: ["docker", "exec"] } };
    expect(synthError(() => synthEnvironment(env))).toContain(
      'driver "podman" (keepalived needs podman in mode "hetzner") is not enabled on the clients (enabled: docker, exec): add "podman" to the environment\'s cluster.drivers',
    );
  });

  it("DnsVip without podman on a consumer's clients: declareClusterFacts", () => {
    const stack = jobStack({ ...CONSUMER, namespaces: ["default", "dns", "lab", "public", "ingress"] });
    expect(synthError(() => new DnsVip(stack, "Dns", SEED_PROPS))).toContain('add "podman" to drivers in declareClusterFacts(...)');
  });

  it("RaftSnapshots in a namespace that is not management-only: declareClusterFacts", () => {
    const stack: TerraformStack = jobStack({ ...CONSUMER, managementOnlyNamespaces: ["ops"] });
    const secret = (id: string) => new TerraformVariable(stack, id, { sensitive: true }).stringValue;
    const build = () =>
      new RaftSnapshots(stack, "Snapshots", {
        bucket: "snaps",
        endpoint: "https://nbg1.your-objectstorage.com",
        s3AccessKeyId: secret("key_id"),
        s3SecretAccessKey: secret("secret_key"),
        ageRecipient: lab.snapshots!.ageRecipient,
        namespace: "apps",
      });
    expect(synthError(build)).toContain('make it management-only in managementOnlyNamespaces in declareClusterFacts(...), or use "ops"');
  });

  it("a Nomad variable in an undeclared namespace: declareClusterFacts", () => {
    const stack = jobStack(CONSUMER);
    const greeting = new TerraformVariable(stack, "greeting", { sensitive: true });
    expect(synthError(() => new NomadVariable(stack, "Var", { path: "app/config", namespace: "staging", items: { greeting } }))).toBe(
      'test/Var: invalid Nomad variable "app/config":\n  - namespace "staging" is not declared in this cluster (declared: default, apps): use one of those, or add it to namespaces in declareClusterFacts(...)',
    );
  });
});

describe("a policy for an older Nomad, in the reader's words", () => {
  const rules = { namespaces: [{ name: "default", capabilities: ["register-job" as const] }] };
  const policyError = (facts: ClusterFacts) => synthError(() => new NomadAclPolicy(jobStack(facts), "Registrar", { rules }));

  it("names the environment's cluster.nomadVersion", () => {
    expect(policyError({ ...LAB, nomadVersion: "1.10.5" })).toContain("or upgrade Nomad (the environment's cluster.nomadVersion)");
  });

  it("names declareClusterFacts for a consumer", () => {
    expect(policyError({ ...CONSUMER, nomadVersion: "1.10.5" })).toContain("or upgrade Nomad (nomadVersion in declareClusterFacts(...))");
  });
});

describe("hostile cluster states", () => {
  it("fails for a job without a node pool when every client is in another pool (it lands in default)", () => {
    expect(jobProblems({ ...CONSUMER, nodePools: ["gpu"] }, {})).toContain('node pool "default" has no clients (pools: gpu, all)');
  });
});
