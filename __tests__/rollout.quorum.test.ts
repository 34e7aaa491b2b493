import { lab } from "../environments";
import { serverQuorum } from "../scripts/review/effects/server-quorum";
import { compareApps } from "../scripts/review/plan";
import { synthEnvironment } from "./support/synth";

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
      expect.stringMatching(/^lab-hosts: before deploying, drain each removed server, stop its agents and make it leave/),
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

  it("fails a resize of every server at once, which Hetzner does by powering each off, and says how to change one at a time", () => {
    const [finding] = quorumFindings(three, labWith({ serverType: "cx33" }));
    expect(finding).toMatchObject({ severity: "danger", refuses: true });
    expect(finding.text).toMatch(/^lab-hosts: 3 of 3 servers stop \(powered off to change its server type\), 3 at once: .* \(terraform apply -target=<address> in cdktf\.out\/stacks\/lab-hosts\)/);
  });
});
