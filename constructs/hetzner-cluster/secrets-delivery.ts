import { DataResource, Fn } from "cdktf";
import { Construct } from "constructs";
import { DELIVERED_FILES, HOST_PATHS } from "./host-paths";

/**
 * Runs before the upload. Terraform can connect while cloud-init is still installing the
 * packages (and the consul user) that the install script needs, so wait for it first.
 */
export const PREPARE_COMMANDS = [
  "cloud-init status --wait >/dev/null || echo 'hashilab: cloud-init reported errors, see /var/log/cloud-init-output.log' >&2",
  `install -d -m 0700 ${HOST_PATHS.deliveryDir}`,
];

export interface SecretsDeliveryProps {
  /** The server's public IPv4 address (a reference): Terraform connects there as root. */
  readonly host: string;
  /** The server's id: a new server gets a new delivery. */
  readonly serverId: string;
  /** The files to deliver, whose content refers to the secrets. */
  readonly files: Readonly<Partial<Record<keyof typeof DELIVERED_FILES, string>>>;
  /**
   * The secrets (plain references, e.g. a private key's PEM) the files are made of, by a
   * name shown in plans. A change to any of them re-runs the delivery.
   */
  readonly secrets: Readonly<Record<string, string>>;
}

/**
 * Copies one host's secrets over SSH (root, authenticated by the operator's ssh-agent) and
 * runs hashilab-install-secrets, which installs them and starts or reloads the agents.
 * The resource is replaced when any secret changes, so a rotation re-runs the delivery; the
 * server itself is untouched because its user-data never contains a secret.
 */
export class SecretsDelivery extends Construct {
  readonly resource: DataResource;

  constructor(scope: Construct, id: string, props: SecretsDeliveryProps) {
    super(scope, id);
    const entries = (Object.keys(DELIVERED_FILES) as Array<keyof typeof DELIVERED_FILES>)
      .filter((key) => props.files[key] !== undefined)
      .map((key) => ({ name: DELIVERED_FILES[key], content: props.files[key] as string }));
    this.resource = new DataResource(this, "delivery", {
      triggersReplace: {
        server: props.serverId,
        // Digests: the plan names what changed without repeating the secrets.
        ...Object.fromEntries(Object.entries(props.secrets).map(([name, value]) => [`${name}_sha256`, Fn.sha256(value)])),
      },
      connection: { type: "ssh", host: props.host, user: "root", agent: "true", timeout: "10m" },
      provisioners: [
        { type: "remote-exec", inline: PREPARE_COMMANDS },
        ...entries.map((e) => ({
          type: "file" as const,
          content: e.content,
          destination: `${HOST_PATHS.deliveryDir}/${e.name}`,
        })),
        { type: "remote-exec", inline: [HOST_PATHS.installSecretsScript] },
      ],
    });
  }
}
