import { atOnce } from "./concurrency";
import { Effect, Finding } from "./effect";

/**
 * Provisioners run when their resource is created, so a replaced terraform_data that carries
 * them runs them again on its host (Terraform language docs, "Provisioners": creation-time
 * provisioners). hashilab's agent deliveries are such resources: their install script
 * restarts the agents whose configuration or secrets changed. Ordered by depends_on, they
 * run one host at a time.
 */
export const provisionerReruns: Effect = ({ after, stacks }) => {
  const findings: Finding[] = [];
  for (const stack of stacks) {
    const rerun = stack.changes.filter((c) => {
      if (c.action !== "replace") return false;
      const body = after[stack.stack]?.resource?.[c.type]?.[c.address.slice(c.type.length + 1)];
      return Array.isArray(body?.provisioner) && body.provisioner.length > 0;
    });
    if (rerun.length === 0) continue;
    const together = atOnce(rerun.map((c) => c.address), after[stack.stack] ?? {});
    const paths = rerun.map((c) => c.constructPath ?? c.address);
    const deliveries = paths.some((p) => p.endsWith("/Delivery")) ? " (an agent delivery restarts the agents whose files changed)" : "";
    findings.push({ severity: "warning", text: `${stack.stack}: ${rerun.length} resource(s) run their provisioners again, ${together} at once${deliveries}: ${paths.join(", ")}.` });
  }
  return findings;
};
