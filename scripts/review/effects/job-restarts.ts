import { Effect, Finding } from "./effect";

/** The job id of a jobspec, for the message. */
function jobName(jobspec: unknown, address: string): string {
  return (typeof jobspec === "string" && /^\s*job\s+"([^"]+)"/m.exec(jobspec)?.[1]) || address;
}

/** Whether a jobspec diff changes nothing but `count` lines: Nomad then only starts or stops allocations. */
function onlyCount(textDiff: string | undefined): boolean {
  if (!textDiff) return false;
  const changed = textDiff.split("\n").filter((l) => /^[-+]/.test(l));
  return changed.length > 0 && changed.every((l) => /^[-+]\s*count\s*=/.test(l));
}

/** The Nomad variable paths a jobspec's templates read (`nomadVar "path"`). */
function variablesRead(jobspec: unknown): string[] {
  if (typeof jobspec !== "string") return [];
  return [...jobspec.matchAll(/nomadVar\s+\\?"([^"\\]+)\\?"/g)].map((m) => m[1]);
}

/**
 * Which jobs restart: a changed task (image, config, env, template, resources) is a
 * destructive update, so Nomad replaces the job's allocations, rolling per its `update`
 * block; a count-only change starts or stops allocations; a new job id or namespace
 * deregisters the job and registers a new one (all its allocations stop first). A changed
 * Nomad variable re-renders the templates that read it, and each task's template
 * change_mode (restart by default) decides what follows.
 */
export const jobRestarts: Effect = ({ after, stacks }) => {
  const findings: Finding[] = [];
  for (const stack of stacks) {
    const jobs = Object.entries<any>(after[stack.stack]?.resource?.nomad_job ?? {});
    const restarted: string[] = [];
    const scaled: string[] = [];
    for (const c of stack.changes.filter((x) => x.type === "nomad_job")) {
      const body = after[stack.stack]?.resource?.nomad_job?.[c.address.split(".")[1]];
      const name = jobName(body?.jobspec, c.address);
      if (c.action === "replace") findings.push({ severity: "warning", text: `${stack.stack}: job ${name} is stopped and registered anew (${c.replacedBecause.join(", ")}): all its allocations stop first.` });
      else if (c.action === "delete") findings.push({ severity: "warning", text: `${stack.stack}: job ${c.address} is stopped and purged.` });
      else if (c.action === "update") (onlyCount(c.attributes.find((a) => a.path === "jobspec")?.textDiff) ? scaled : restarted).push(name);
    }
    if (restarted.length > 0) findings.push({ severity: "info", text: `${stack.stack}: jobs restart their allocations (rolling, per their update block): ${restarted.join(", ")}.` });
    if (scaled.length > 0) findings.push({ severity: "info", text: `${stack.stack}: jobs change their count only: ${scaled.join(", ")}.` });
    for (const c of stack.changes.filter((x) => x.type === "nomad_variable" && (x.action === "update" || x.action === "replace"))) {
      const body = after[stack.stack]?.resource?.nomad_variable?.[c.address.split(".")[1]];
      const readers = jobs.filter(([, job]) => variablesRead(job.jobspec).includes(body?.path)).map(([n, job]) => jobName(job.jobspec, n));
      if (readers.length > 0) findings.push({ severity: "info", text: `${stack.stack}: variable ${body?.path} changes; the templates of ${readers.join(", ")} re-render and their tasks restart (template change_mode "restart", Nomad's default).` });
    }
  }
  return findings;
};
