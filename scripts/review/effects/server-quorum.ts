import { ResourceChange } from "../plan";
import { atOnce } from "./concurrency";
import { Effect, Finding } from "./effect";

const SERVER_ROLES = ["server", "server-client"];

/**
 * What an hcloud_server change does to the machine (terraform-provider-hcloud v1.68.0,
 * internal/server/resource.go): a server_type or public_net change powers the server off
 * before the API call (Poweroff, then ChangeType); iso and rescue reset it; a replacement
 * destroys it, with its Raft data. Other updates (labels, firewalls, networks) keep it running.
 */
function disruption(c: ResourceChange): string | undefined {
  if (c.action === "delete") return "deleted";
  if (c.action === "replace") return c.createBeforeDestroy ? "replaced (new one first)" : "destroyed and re-created";
  if (c.action !== "update") return undefined;
  const changed = new Set(c.attributes.map((a) => a.path.split(/[.[]/)[0]));
  if (changed.has("server_type")) return "powered off to change its server type";
  if (changed.has("public_net")) return "powered off to change its public network";
  if (changed.has("iso") || changed.has("rescue")) return "reset";
  return undefined;
}

function serversOf(stackJson: Record<string, any> | undefined): Map<string, any> {
  const servers = new Map<string, any>();
  for (const [name, body] of Object.entries<any>(stackJson?.resource?.hcloud_server ?? {})) {
    if (SERVER_ROLES.includes(body?.labels?.role)) servers.set(`hcloud_server.${name}`, body);
  }
  return servers;
}

/**
 * Nomad and Consul servers stopped at once against their Raft quorum: a majority of the
 * servers that exist before the apply (floor(n/2)+1) must stay up, or the cluster stops
 * electing a leader and accepting writes until enough of them are back.
 */
export const serverQuorum: Effect = ({ before, after, stacks }) => {
  const findings: Finding[] = [];
  for (const stack of stacks) {
    const existing = serversOf(before[stack.stack]);
    const planned = serversOf(after[stack.stack]);
    const joining = [...planned.keys()].filter((a) => !existing.has(a)).length;
    if (existing.size > 0 && joining > 0) {
      const n = existing.size + joining;
      findings.push({ severity: "info", text: `${stack.stack}: ${joining} server(s) join (${existing.size} → ${n}); the quorum becomes ${Math.floor(n / 2) + 1} of ${n}.` });
    }
    const disrupted = stack.changes.filter((c) => existing.has(c.address)).flatMap((c) => {
      const how = disruption(c);
      return how ? [{ address: c.address, how }] : [];
    });
    if (disrupted.length === 0) continue;
    const together = atOnce(disrupted.map((d) => d.address), after[stack.stack] ?? before[stack.stack]);
    const quorum = Math.floor(existing.size / 2) + 1;
    const hows = [...new Set(disrupted.map((d) => d.how))].join("; ");
    // Through depends_on (HetznerCluster chains each host's server after the previous host's
    // resize gate, which waits for its health), Terraform changes them one after another.
    const pace = together === 1 && disrupted.length > 1 ? "one at a time, each after the one before it" : `${together} at once`;
    const what = `${disrupted.length} of ${existing.size} servers stop (${hows}), ${pace}`;
    const removed = disrupted.filter((d) => d.how === "deleted").length;
    if (existing.size - together < quorum) {
      const fix =
        removed > 0
          ? `Remove at most ${existing.size - quorum} per deploy, each after it left the cluster (docs/operations.md "Removing a server").`
          : `Change one server per apply (terraform apply -target=<address> in cdktf.out/stacks/${stack.stack}), waiting for nomad operator autopilot health in between.`;
      findings.push({
        severity: "danger",
        refuses: true,
        text: `${stack.stack}: ${what}: fewer than the quorum of ${quorum} stay up, so Nomad and Consul stop scheduling and accepting writes until they are back. ${fix}`,
      });
    } else {
      findings.push({ severity: "warning", text: `${stack.stack}: ${what}; the quorum of ${quorum} of ${existing.size} holds.` });
      // ClusterMembership makes each removed server leave before Terraform destroys it; a dead one stops the apply.
      if (removed > 0) {
        findings.push({
          severity: "warning",
          text:
            `${stack.stack}: the deploy drains each removed server and makes it leave the Raft peers before Terraform destroys it (ClusterMembership); ` +
            `a removed server that does not answer stops the apply (docs/operations.md "A dead host").`,
        });
      }
    }
  }
  return findings;
};
