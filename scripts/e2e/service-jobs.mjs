#!/usr/bin/env node
// Reads Nomad's GET /v1/jobs JSON on stdin.
//   --pending: prints each service job that is not running with a running allocation in
//              every task group (nothing when all are), "(no service jobs yet)" when none exist
//   --list:    prints every job with its namespace and type
let text = "";
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => {
  const jobs = JSON.parse(text);
  if (process.argv[2] === "--list") {
    for (const j of jobs) console.log(`running: ${j.Namespace}/${j.ID} (${j.Type})`);
    return;
  }
  const services = jobs.filter((j) => j.Type === "service");
  if (services.length === 0) console.log("(no service jobs yet)");
  for (const j of services) {
    const groups = Object.entries(j.JobSummary?.Summary ?? {});
    const running = j.Status === "running" && groups.length > 0 && groups.every(([, s]) => s.Running > 0);
    if (!running) console.log(`${j.Namespace}/${j.ID}: status ${j.Status}, groups ${JSON.stringify(Object.fromEntries(groups))}`);
  }
});
