import { spawnSync } from "node:child_process";
import { asRoot } from "./install-secrets";

/** Targets ("ip:port") to connect to, by the network namespace to connect from. */
export type ProbePlan = ReadonlyArray<readonly [namespace: string, targets: readonly string[]]>;

/** What one probe found: which of the targets it tried each namespace reached. */
export interface ProbeResult {
  /** The `targets` that a connect from `from` reached, in their order; throws for one not tried. */
  reachable(from: string, targets: readonly string[]): string[];
}

/** How long a connect is given: a dropped SYN is never answered, so a drop costs all of it. */
const DEADLINE_SECONDS = 1;

/**
 * One namespace's connects, all at once: each target whose TCP handshake completes within the
 * deadline is printed as "<namespace> <ip:port>" (a dropped SYN is never answered; a refused
 * connect fails at once). Each line is one write(2): the namespaces' processes share the pipe,
 * and print() writes a line in pieces, which interleave with another process's (a line lost
 * that way reads as a drop). The sockets are polled once more after the deadline, so a process
 * the machine stalls past it still reports the handshakes completed meanwhile.
 */
const CONNECT_ALL = `
import os, select, socket, sys, time
namespace, targets = sys.argv[1], sys.argv[2:]
pending = {}
for target in targets:
    ip, port = target.rsplit(":", 1)
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((ip, int(port)))
    pending[s] = target
deadline = time.monotonic() + ${DEADLINE_SECONDS}
while pending:
    left = deadline - time.monotonic()
    for s in select.select([], list(pending), [], max(0, left))[1]:
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            os.write(1, f"{namespace} {pending[s]}\\n".encode())
        del pending[s]
    if left <= 0:
        break
`;

/**
 * Tries a TCP connect to every target of the plan from its namespace, all at once, each given
 * the deadline (a firewall's drop shows only as the deadline passing without an answer): one
 * privileged process for the whole plan and one per namespace, so a plan of many namespaces
 * and targets waits one deadline, not one per namespace.
 */
export function probeConnects(plan: ProbePlan): ProbeResult {
  const tried = new Map<string, Set<string>>();
  for (const [from, targets] of plan) for (const t of targets) (tried.get(from) ?? tried.set(from, new Set()).get(from)!).add(t);
  // One line per namespace on stdin (the namespace, then its targets); every namespace's connects at once.
  const lines = [...tried].map(([from, targets]) => `${[from, ...targets].join(" ")}\n`).join("");
  const each = 'pids=; while read -r ns targets; do ip netns exec "$ns" python3 -c "$1" "$ns" $targets & pids="$pids $!"; done; for p in $pids; do wait "$p" || exit 1; done';
  const run = spawnSync(...asRoot("bash", "-c", each, "probe", CONNECT_ALL), { input: lines, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`probing connects failed: ${run.stderr}`);
  const reached = new Set(run.stdout.split("\n"));
  return {
    reachable(from, targets) {
      const unknown = targets.filter((t) => !tried.get(from)?.has(t));
      if (unknown.length > 0) throw new Error(`not probed from ${from}: ${unknown.join(", ")}`);
      return targets.filter((t) => reached.has(`${from} ${t}`));
    },
  };
}
