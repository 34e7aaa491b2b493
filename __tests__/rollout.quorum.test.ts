import { lab } from "../environments";
import { failureTolerance, reviewQuorum } from "../scripts/review/quorum";
import { synthEnvironment } from "./support/synth";

/** The lab environment's stacks with other cluster settings. */
const labWith = (cluster: Partial<typeof lab.cluster>) => synthEnvironment({ ...lab, cluster: { ...lab.cluster, ...cluster } } as typeof lab);
const three = synthEnvironment(lab);
const five = labWith({ serverCount: 5 });

describe("the review of a change to the hosts (what it does to the Raft quorum)", () => {
  it("knows how many servers a Raft cluster may lose: (n - 1) / 2", () => {
    expect([1, 2, 3, 4, 5, 7].map(failureTolerance)).toEqual([0, 0, 1, 1, 2, 3]);
  });

  it("has nothing to say about a change that keeps every server and its type", () => {
    expect(reviewQuorum(three, three)).toEqual({ refusals: [], warnings: [] });
  });

  it("warns that each removed server must leave first, when the removal keeps the quorum (5 to 3)", () => {
    const review = reviewQuorum(five, three);
    expect(review.refusals).toEqual([]);
    expect(review.warnings).toEqual([expect.stringMatching(/^lab-hosts: removes lab-server-4, lab-server-5\. Before deploying, drain it, stop its agents and make it leave/)]);
  });

  it("fails a removal of more servers than the quorum allows in one deploy (5 to 1)", () => {
    const review = reviewQuorum(five, labWith({ serverCount: 1 }));
    expect(review.refusals).toEqual([
      'lab-hosts: removes 4 of 5 servers (lab-server-2, lab-server-3, lab-server-4, lab-server-5) in one deploy; 5 servers survive the loss of 2. Remove at most 2 per deploy, each after it left the cluster (docs/operations.md "Removing a server").',
    ]);
  });

  it("fails a resize of several servers at once, which Hetzner does by powering each off, and says how to resize one at a time", () => {
    const review = reviewQuorum(three, labWith({ serverType: "cx33" }));
    expect(review.refusals).toEqual([
      expect.stringMatching(/^lab-hosts: changes the server type of 3 servers \(lab-server-1, lab-server-2, lab-server-3\) at once; Hetzner powers each off .* Resize one server per deploy: in cdktf\.out\/stacks\/lab-hosts, terraform apply -target=/),
    ]);
  });
});
