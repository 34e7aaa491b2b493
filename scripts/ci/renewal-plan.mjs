#!/usr/bin/env node
// Judges a hosts stack's plan (`terraform show -json <plan>` on stdin) for the unattended
// certificate renewal (renew-certificates.sh): exit 0 when it only renews host certificates
// (Terraform's early renewal replaces a tls_locally_signed_cert) and re-runs the hosts' own
// deliveries that carry them; exit 3 when it changes nothing; exit 1, naming every other change,
// when it does more (undeployed changes are for a person to apply, never for a schedule).
import { readFileSync } from "node:fs";

/** A host's own delivery (deliverHostConfiguration: ServerSecrets-1, ClientSecrets-2, HostSecrets-nas1). */
const HOST_DELIVERY = /^terraform_data\.Cluster_\w+Secrets-[\w-]+_Delivery_[0-9A-F]+$/;
const REPLACE = ["delete,create", "create,delete"];

const plan = JSON.parse(readFileSync(0, "utf8"));
const changes = (plan.resource_changes ?? []).filter((c) => !c.change.actions.every((a) => a === "no-op" || a === "read"));
const renewed = changes.filter((c) => c.type === "tls_locally_signed_cert" && REPLACE.includes(c.change.actions.join()));
const redelivered = changes.filter((c) => HOST_DELIVERY.test(c.address) && REPLACE.includes(c.change.actions.join()));
const other = changes.filter((c) => !renewed.includes(c) && !redelivered.includes(c));
if (changes.length === 0) process.exit(3);
if (other.length > 0 || renewed.length === 0) {
  process.stderr.write(
    "renewal-plan: the plan does more than renew host certificates, so it is not applied unattended; deploy the hosts stack by hand:\n" +
      other.map((c) => `  - ${c.address}: ${c.change.actions.join(", ")}\n`).join("") +
      (renewed.length === 0 ? "  (and no certificate is renewed)\n" : ""),
  );
  process.exit(1);
}
process.stdout.write(`renewal-plan: renews ${renewed.map((c) => c.address).join(", ")}; re-delivers ${redelivered.length} host(s) one at a time\n`);
