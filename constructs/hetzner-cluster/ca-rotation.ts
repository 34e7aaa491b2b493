import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { addDependsOn } from "../core";
import { ClusterPki } from "./cluster-pki";
import { HostIdentity, hostConstructId } from "./host-plan";
import { SecretsDelivery } from "./secrets-delivery";
import { SshHost } from "./ssh-host-key";

/**
 * A CA rotation in one deploy, with a dual-trust phase, so that no two hosts ever stop
 * trusting each other's certificates:
 *
 * 1. "trust": host by host, ca.pem becomes the previous CA followed by the new one; the
 *    hosts still present certificates from the previous CA.
 * 2. "issue": host by host, the host's certificate from the new CA (ca.pem unchanged).
 * 3. each host's own delivery (deliverHostConfiguration), which runs after both: ca.pem
 *    becomes the new CA alone.
 *
 * Each step delivers with the usual install script (hashilab-install-secrets.sh): the health
 * gate before and after, Consul reloaded, Nomad restarted where ca.pem changed (its `consul`
 * block's CA is read only at start). Both steps are `terraform_data` that run once per CA
 * generation and host; a later deploy leaves them alone (no script trigger, no certificate
 * trigger, so an early renewal goes through the host's own delivery only).
 */

/** One host the rotation goes through. */
export interface CaRotationHost {
  readonly host: HostIdentity;
  /** Where Terraform reaches the host and the host key it pins. */
  readonly sshHost: SshHost;
  /** The machine's identity (as its own delivery's): a new machine gets the steps anew (and skips them: its agents do not run yet). */
  readonly instanceId: string;
  /** What must exist before Terraform can connect (the host key's installation). Never another host's delivery. */
  readonly after: readonly ITerraformDependable[];
  /** The host's own delivery: it ends the rotation on this host. */
  readonly delivery: SecretsDelivery;
}

/** The environment variable naming the step to the install script. */
export const CA_ROTATION_STEP_VARIABLE = "HASHILAB_CA_ROTATION_STEP";

/** The two steps before the hosts' own deliveries, in order. */
export const CA_ROTATION_STEPS = ["trust", "issue"] as const;

/**
 * Renders the rotation's steps for `hosts` (in their delivery order: servers first) when `pki`
 * rotates its CA, and makes the first host's own delivery wait for them: ServerCaTrust-1,
 * ServerCaIssue-1, ... Nothing at CA generation 1.
 * @returns the steps' deliveries, trust then issue, in the order they run
 */
export function rotateCaHostByHost(scope: Construct, pki: ClusterPki, hosts: readonly CaRotationHost[]): SecretsDelivery[] {
  const rotation = pki.rotation;
  if (!rotation || hosts.length === 0) return [];
  const steps: SecretsDelivery[] = [];
  for (const step of CA_ROTATION_STEPS) {
    for (const member of hosts) {
      const certificate = step === "issue" ? pki.certificateOf(member.host) : undefined;
      const previous = steps[steps.length - 1];
      steps.push(
        new SecretsDelivery(scope, hostConstructId(member.host, `Ca${step === "trust" ? "Trust" : "Issue"}`), {
          host: member.sshHost,
          after: [...member.after, ...(previous ? [previous.resource] : [])],
          serverId: member.instanceId,
          files: {
            caCert: rotation.bundlePem,
            agentCert: certificate?.certPem,
            agentKey: certificate?.privateKeyPem,
          },
          // Once per generation and machine: the bundle is fixed for a generation.
          triggers: { ca_rotation: `generation ${rotation.generation}, step ${step}`, ca_bundle: rotation.bundlePem },
          installEnvironment: { [CA_ROTATION_STEP_VARIABLE]: step },
          rerunOnNewScripts: false,
        }),
      );
    }
  }
  // The hosts' own deliveries drop the previous CA: only once every host presents the new one.
  addDependsOn(hosts[0].delivery.resource, steps[steps.length - 1].resource);
  return steps;
}
