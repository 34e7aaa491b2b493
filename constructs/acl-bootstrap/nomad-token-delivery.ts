import { posix } from "node:path";
import { DataResource, Fn, ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { escapeTerraformTemplate } from "../nomad-job/escape";
import { shippedFile } from "../hetzner-cluster/host-files";
import { DELIVERED_SCRIPTS, HOST_PATHS } from "../hetzner-cluster/host-paths";

export interface NomadConsulTokenDeliveryProps {
  /** The hosts' addresses; Terraform connects as root, authenticated by the operator's ssh-agent. */
  readonly hosts: readonly string[];
  /** The Consul token for the Nomad agents (a reference; it lands only in a root-only file). */
  readonly token: string;
  /** Must run after these (the Consul token must exist before Nomad uses it). */
  readonly after: readonly ITerraformDependable[];
  /**
   * The file written, in a directory the Nomad agent loads; Nomad merges its `consul` block.
   * Keep it out of every path exec tasks' chroot links in (by default /etc among others).
   * @default "/var/lib/hashilab/secrets/nomad.d/consul-token.hcl"
   */
  readonly configFile?: string;
}

/** Where the file waits between upload and install (tmpfs, root only). */
const UPLOAD_DIR = HOST_PATHS.nomadTokenUploadDir;

/**
 * Writes the Nomad agents' Consul token (`consul { token = ... }`) onto each host over SSH
 * and restarts Nomad: Nomad has no API to set it, and user-data must not hold it. The hosts
 * go one after another, each only once its Nomad answers its API again (a Nomad that does not
 * come back fails the delivery), so at most one Nomad server restarts at a time.
 * A new token (rotation) or a new host re-runs the delivery; the servers are not replaced.
 */
export class NomadConsulTokenDelivery extends Construct {
  readonly deliveries: readonly DataResource[];

  constructor(scope: Construct, id: string, props: NomadConsulTokenDeliveryProps) {
    super(scope, id);
    const configFile = props.configFile ?? HOST_PATHS.nomadConsulTokenConfig;
    const uploaded = `${UPLOAD_DIR}/consul-token.hcl`;
    const waitHealthy = `${UPLOAD_DIR}/${DELIVERED_SCRIPTS.waitHealthy}`;
    const deliveries: DataResource[] = [];
    props.hosts.forEach((host, i) => {
      deliveries.push(
        new DataResource(this, `Host-${i}`, {
          dependsOn: i === 0 ? [...props.after] : [deliveries[i - 1]],
          triggersReplace: { host, token_sha256: Fn.sha256(props.token), config_file: configFile },
          connection: { type: "ssh", host, user: "root", agent: "true", timeout: "10m" },
          provisioners: [
            { type: "remote-exec", inline: [`install -d -m 0700 ${UPLOAD_DIR}`] },
            { type: "file", content: `consul {\n  token = "${props.token}"\n}\n`, destination: uploaded },
            { type: "file", content: escapeTerraformTemplate(shippedFile(DELIVERED_SCRIPTS.waitHealthy)), destination: waitHealthy },
            {
              type: "remote-exec",
              inline: [
                `install -d -o root -g root -m 0700 ${posix.dirname(configFile)}`,
                `install -o root -g root -m 0600 ${uploaded} ${configFile}`,
                // The token is gone from the upload before anything below can fail.
                `rm -f ${uploaded}`,
                "systemctl restart nomad.service",
                `bash ${waitHealthy} nomad`,
                `rm -rf ${UPLOAD_DIR}`,
              ],
            },
          ],
        }),
      );
    });
    this.deliveries = deliveries;
  }
}
