import type { SynthesizedApp } from "./checkout";

/**
 * What a change to the hosts does to the Raft quorum, judged from the synthesized stacks
 * before and after it (synth alone cannot: it does not know what runs). `refusals` would lose
 * the quorum or stop the cluster; `warnings` need the runbook's steps before the deploy.
 */
export interface QuorumReview {
  readonly refusals: readonly string[];
  readonly warnings: readonly string[];
}

/** A Hetzner server of a hosts stack, by its logical id. */
interface Server {
  readonly name: string;
  readonly serverType: string;
  readonly isServer: boolean;
}

function serversOf(stack: any): Map<string, Server> {
  const servers = new Map<string, Server>();
  for (const [id, resource] of Object.entries<any>(stack?.resource?.hcloud_server ?? {})) {
    // HetznerCluster labels each VM with its role: "server", "server-client" or "client".
    const role = String(resource.labels?.role ?? "");
    servers.set(id, { name: String(resource.name ?? id), serverType: String(resource.server_type ?? ""), isServer: role.startsWith("server") });
  }
  return servers;
}

/** How many of `count` Raft voters may fail with the cluster still holding its quorum. */
export function failureTolerance(count: number): number {
  return Math.max(0, Math.floor((count - 1) / 2));
}

/** The quorum review of every stack present before and after. */
export function reviewQuorum(before: SynthesizedApp, after: SynthesizedApp): QuorumReview {
  const refusals: string[] = [];
  const warnings: string[] = [];
  for (const stack of Object.keys(before).filter((name) => name in after).sort()) {
    const was = serversOf(before[stack]);
    const now = serversOf(after[stack]);
    const voters = [...was.values()].filter((s) => s.isServer).length;
    if (voters === 0) continue;
    const removed = [...was].filter(([id, s]) => s.isServer && !now.has(id)).map(([, s]) => s.name);
    const tolerance = failureTolerance(voters);
    if (removed.length > tolerance) {
      refusals.push(
        `${stack}: removes ${removed.length} of ${voters} servers (${removed.join(", ")}) in one deploy; ${voters} servers survive the loss of ${tolerance}. ` +
          `Remove at most ${tolerance} per deploy, each after it left the cluster (docs/operations.md "Removing a server").`,
      );
    } else if (removed.length > 0) {
      warnings.push(
        `${stack}: removes ${removed.join(", ")}. Before deploying, drain it, stop its agents and make it leave ` +
          `(nomad server force-leave -prune, consul force-leave -prune; docs/operations.md "Removing a server"): Terraform destroys it without leaving, while the other servers restart for the shorter retry_join.`,
      );
    }
    const resized = [...was].filter(([id, s]) => now.has(id) && now.get(id)!.serverType !== s.serverType);
    const resizedServers = resized.filter(([, s]) => s.isServer).map(([, s]) => s.name);
    // Hetzner powers a server off to change its type, and Terraform updates them in parallel.
    if (resizedServers.length > 1) {
      refusals.push(
        `${stack}: changes the server type of ${resizedServers.length} servers (${resizedServers.join(", ")}) at once; Hetzner powers each off to resize it, and Terraform updates them in parallel, which stops the cluster. ` +
          `Resize one server per deploy: in cdktf.out/stacks/${stack}, terraform apply -target='hcloud_server.<id>' for one server, wait for nomad operator autopilot health, then the next.`,
      );
    }
    const resizedClients = resized.filter(([, s]) => !s.isServer).map(([, s]) => s.name);
    if (resizedClients.length > 1) {
      warnings.push(`${stack}: changes the server type of ${resizedClients.length} clients at once (${resizedClients.join(", ")}); each is powered off, with its allocations.`);
    }
  }
  return { refusals, warnings };
}
