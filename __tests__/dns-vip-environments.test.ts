import { dev, EnvironmentConfig, lab } from "../environments";
import { evaluateJobspecs, parseJob } from "./nomad-job.support";
import { resourcesOf, StackJson, synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";

if (lab.cluster.kind !== "hetzner") throw new Error("lab is a Hetzner environment");
const labCluster = lab.cluster;

async function jobNamed(stack: StackJson, name: string): Promise<Record<string, any>> {
  requireTool("terraform");
  const jobspec = Object.values(evaluateJobspecs(stack)).find((j) => j.startsWith(`job "${name}"`));
  expect(jobspec).toBeDefined();
  return (await parseJob(jobspec!))[name][0];
}

describe("lab", () => {
  const workloads = synthEnvironment(lab)["lab-workloads"];

  it("runs DnsVip in mode hetzner on the three hosts' private network, on the VIP lab.ts sets", async () => {
    const job = await jobNamed(workloads, "coredns");
    const group = job.group.dns[0];
    expect(group.count).toBe(3);
    expect(group.network[0].port.dns).toEqual([{ static: 53, host_network: "private" }]);
    expect(Object.keys(group.task).sort()).toEqual(["coredns", "keepalived-dns"]);
    const corefile = group.task.coredns[0].template[0].data;
    expect(corefile).toContain('bind {{ env "NOMAD_IP_dns" }} 10.0.10.53');
    expect(corefile).toContain("forward . 185.12.64.1 185.12.64.2");
  });

  it("moves the VIP on the hosts stack's network (a cross-stack reference) with a token from a sensitive variable", () => {
    const [job] = Object.values(resourcesOf(workloads, "nomad_job")).filter((j) => j.jobspec.startsWith('job "coredns"'));
    // In the script's heredoc, the reference's value is an escaped HCL string (core/hcl.ts).
    expect(job.jobspec).toMatch(/network_id='\$\$\{"\$\{replace\(.*data\.terraform_remote_state\.cross-stack-reference-input-lab-hosts\.outputs\.[^,]+, .*\)\}"\}'/);
    expect(workloads.variable.hcloud_dns_token).toMatchObject({ type: "string", sensitive: true });
    expect(workloads.variable.hcloud_dns_token.default).toBeUndefined();
  });

  it("lets CoreDNS and Traefik see the workload namespaces only", async () => {
    const policies = Object.values(resourcesOf(workloads, "nomad_acl_policy"));
    const byName = Object.fromEntries(policies.map((p) => [p.name, p]));
    expect(byName["dns-read-jobs"].rules_hcl).toMatch(/namespace "default"[\s\S]*namespace "lab"[\s\S]*namespace "public"[\s\S]*namespace "dev"/);
    expect(byName["dns-read-jobs"].rules_hcl).not.toContain('namespace "ingress"');
    expect(byName.traefik.job_acl).toEqual({ namespace: "ingress", job_id: "traefik" });
  });

  it("puts Traefik on every host's public network", async () => {
    const job = await jobNamed(workloads, "traefik");
    expect(job.group.traefik[0].count).toBe(3);
    expect(job.group.traefik[0].network[0].port.https).toEqual([{ static: 443, to: 443, host_network: "public" }]);
  });

  it("fails synth for a VIP that is one of the hosts' addresses", () => {
    const clash: EnvironmentConfig = { ...lab, dns: { ...lab.dns, vip: "10.0.10.12" } };
    expect(() => synthEnvironment(clash)).toThrow(/lab-workloads\/Dns: invalid DnsVip:[\s\S]*vip "10\.0\.10\.12" is the address of a host/);
  });

  it("fails synth when the clients do not enable podman, which keepalived needs", () => {
    const noPodman: EnvironmentConfig = { ...lab, cluster: { ...labCluster, drivers: ["docker", "exec"] } };
    expect(() => synthEnvironment(noPodman)).toThrow(
      /lab-workloads\/Dns: invalid DnsVip:[\s\S]*driver "podman" \(keepalived needs podman in mode "hetzner"\) is not enabled on the clients .*add "podman" to the environment's cluster\.drivers/,
    );
  });

  it("fails synth when the clients do not enable docker, which Traefik runs on", () => {
    const noDocker: EnvironmentConfig = { ...lab, cluster: { ...labCluster, drivers: ["podman", "exec"] } };
    expect(() => synthEnvironment(noDocker)).toThrow(/lab-workloads\/Ingress\/Job: invalid Nomad job:[\s\S]*uses the docker driver, which the clients do not enable/);
  });

  it("fails synth for a VIP outside the hosts' subnet", () => {
    const outside: EnvironmentConfig = { ...lab, dns: { ...lab.dns, vip: "10.0.11.53" } };
    expect(() => synthEnvironment(outside)).toThrow(/vip "10\.0\.11\.53" is outside the hosts' subnet 10\.0\.10\.0\/24/);
  });
});

describe("dev", () => {
  const workloads = synthEnvironment(dev)["dev-workloads"];

  it("runs one CoreDNS on the agent's address with docker (mode none), no keepalived and no secrets", async () => {
    const job = await jobNamed(workloads, "coredns");
    expect(job.group.dns[0].count).toBe(1);
    expect(Object.keys(job.group.dns[0].task)).toEqual(["coredns"]);
    expect(job.group.dns[0].task.coredns[0].driver).toBe("docker");
    expect(workloads.variable?.hcloud_dns_token).toBeUndefined();
  });

  it("runs Traefik on the default network", async () => {
    const job = await jobNamed(workloads, "traefik");
    expect(job.group.traefik[0].network[0].port.http).toEqual([{ static: 80, to: 80 }]);
  });
});

describe("the lab's DNS VIP", () => {
  it("fails when it is one of the addresses the hosts stack gives its servers", () => {
    // lab's first server gets 10.0.10.11: the hosts stack hands its addresses to DnsVip.
    const clashing: EnvironmentConfig = { ...lab, dns: { ...lab.dns, vip: "10.0.10.11" } };
    expect(() => synthEnvironment(clashing)).toThrow(/lab-workloads\/Dns: .*10\.0\.10\.11/s);
  });
});
