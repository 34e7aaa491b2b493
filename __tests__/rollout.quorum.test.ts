import { lab } from "../environments";
import { serverQuorum } from "../scripts/review/effects/server-quorum";
import { compareApps } from "../scripts/review/plan";
import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { resourcesOf, synthEnvironment } from "./support/synth";

/** The lab environment's stacks with other cluster settings. */
const labWith = (cluster: Partial<typeof lab.cluster>) => synthEnvironment({ ...lab, cluster: { ...lab.cluster, ...cluster } } as typeof lab);
const three = synthEnvironment(lab);
const five = labWith({ serverCount: 5 });
const quorumFindings = (before: Record<string, any>, after: Record<string, any>) => serverQuorum({ before, after, stacks: compareApps(before, after) });

describe("the review of a change to the hosts (what it does to the Raft quorum)", () => {
  it("has nothing to say about a change that keeps every server and its type", () => {
    expect(quorumFindings(three, three)).toEqual([]);
  });

  it("warns that each removed server must leave first, when the removal keeps the quorum (5 to 3)", () => {
    const findings = quorumFindings(five, three);
    expect(findings.filter((f) => f.refuses)).toEqual([]);
    expect(findings.map((f) => f.text)).toEqual([
      "lab-hosts: 2 of 5 servers stop (deleted), 2 at once; the quorum of 3 of 5 holds.",
      expect.stringMatching(/^lab-hosts: the deploy drains each removed server and makes it leave the Raft peers before Terraform destroys it/),
    ]);
  });

  it("fails a removal of more servers than the quorum allows in one deploy (5 to 1)", () => {
    expect(quorumFindings(five, labWith({ serverCount: 1 }))).toEqual([
      {
        severity: "danger",
        refuses: true,
        text:
          "lab-hosts: 4 of 5 servers stop (deleted), 4 at once: fewer than the quorum of 3 stay up, so Nomad and Consul stop scheduling and accepting writes until they are back. " +
          'Remove at most 2 per deploy, each after it left the cluster (docs/operations.md "Removing a server").',
      },
    ]);
  });

  it("serializes a resize of every server, which Hetzner does by powering each off: one at a time, each after the previous host's health gate, so the quorum holds", () => {
    const resized = labWith({ serverType: "cx33" });
    expect(quorumFindings(three, resized)).toEqual([
      { severity: "warning", text: "lab-hosts: 3 of 3 servers stop (powered off to change its server type), one at a time, each after the one before it; the quorum of 2 of 3 holds." },
    ]);
    const servers = resourcesOf(resized["lab-hosts"], "hcloud_server");
    const gates = resourcesOf(resized["lab-hosts"], "terraform_data");
    const id = (prefix: string) => Object.keys({ ...servers, ...gates }).find((k) => k.startsWith(prefix))!;
    for (const n of [2, 3]) {
      const gate = id(`Cluster_ServerResizeGate-${n - 1}_`);
      expect(servers[id(`Cluster_Server-${n}_`)].depends_on).toContain(`terraform_data.${gate}`);
      // Replaced, and so run, by each change of the previous server's type: it waits for that host's agents.
      expect(gates[gate].triggers_replace).toEqual({ server_type: `\${hcloud_server.${id(`Cluster_Server-${n - 1}_`)}.server_type}` });
      expect(gates[gate].provisioner.at(-1)["remote-exec"].inline.at(-1)).toBe(
        `if [ -f ${HOST_PATHS.agentKey} ]; then bash ${HOST_PATHS.rolloutUploadDir}/hashilab-wait-healthy.sh consul nomad; else echo 'hashilab: no agents configured yet; nothing to wait for'; fi`,
      );
    }
  });

  it("fails a resize of every server at once where nothing serializes them (a cluster built without the resize gates)", () => {
    const ungated = (stacks: Record<string, any>) => {
      const copy = JSON.parse(JSON.stringify(stacks));
      for (const server of Object.values<any>(copy["lab-hosts"].resource.hcloud_server)) {
        server.depends_on = server.depends_on.filter((d: string) => !d.includes("ResizeGate"));
      }
      return copy;
    };
    const [finding] = quorumFindings(ungated(three), ungated(labWith({ serverType: "cx33" })));
    expect(finding).toMatchObject({ severity: "danger", refuses: true });
    expect(finding.text).toMatch(/^lab-hosts: 3 of 3 servers stop \(powered off to change its server type\), 3 at once: .* \(terraform apply -target=<address> in cdktf\.out\/stacks\/lab-hosts\)/);
  });
});
