import { Effect, Finding, ReviewedChange } from "./effect";
import { jobRestarts } from "./job-restarts";
import { provisionerReruns } from "./provisioner-reruns";
import { rotationGenerations } from "./rotation-generations";
import { secretRotation } from "./secret-rotation";
import { serverQuorum } from "./server-quorum";
import { volumeChanges } from "./volume-risks";

export type { Effect, Finding, ReviewedChange } from "./effect";

/** Every rule about what a change does to the cluster; a new rule is a module and a line here. */
export const EFFECTS: readonly Effect[] = [volumeChanges, serverQuorum, provisionerReruns, jobRestarts, secretRotation, rotationGenerations];

const RANK: Record<Finding["severity"], number> = { danger: 0, warning: 1, info: 2 };

/** The findings of every effect, the most serious first. */
export function clusterEffects(change: ReviewedChange): Finding[] {
  return EFFECTS.flatMap((effect) => effect(change)).sort((a, b) => RANK[a.severity] - RANK[b.severity]);
}
