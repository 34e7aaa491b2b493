import { createHash } from "node:crypto";
import { Fn, ITerraformDependable, Token } from "cdktf";
import { Construct } from "constructs";
import { escapeTerraformTemplate, throwIfProblems } from "../core";
import { TerraformData } from "../providers";
import { shippedFile } from "./host-files";
import { DELIVERED_FILES, DELIVERED_SCRIPTS, HOST_PATHS } from "./host-paths";
import { remoteCommand } from "./shell";
import { SshHost, sshConnection } from "./ssh-host-key";

/**
 * Runs before the upload. Terraform can connect while cloud-init is still installing the
 * packages (and the consul user) that the install script needs, so wait for it first; a
 * failed first boot (status 1) fails the delivery. Status 2 is cloud-init's "recoverable
 * errors" (warnings such as deprecated keys, from 23.4 on), which leave the host usable.
 */
export const PREPARE_COMMANDS = [
  "cloud-init status --wait >/dev/null || [ $? -ne 1 ] || { echo 'hashilab: cloud-init failed, see /var/log/cloud-init-output.log' >&2; exit 1; }",
  remoteCommand("install", "-d", "-m", "0700", HOST_PATHS.deliveryDir),
];

/** Runs after the upload: the install script that came with it. */
const INSTALL_SCRIPT = `${HOST_PATHS.deliveryDir}/${DELIVERED_SCRIPTS.install}`;
export const INSTALL_COMMAND = remoteCommand("bash", INSTALL_SCRIPT);

export interface SecretsDeliveryProps {
  /** The server's public IPv4 address (a reference) and its pinned host key: Terraform connects there as root. */
  readonly host: SshHost;
  /** Must run after these (the host key's installation). @default none */
  readonly after?: readonly ITerraformDependable[];
  /** The server's id: a new server gets a new delivery. */
  readonly serverId: string;
  /** The files to deliver: secrets (as references) and the agents' configuration. */
  readonly files: Readonly<Partial<Record<keyof typeof DELIVERED_FILES, string>>>;
  /**
   * What the files are made of, by a name shown in plans: secrets as plain references
   * (e.g. a private key's PEM), configuration as text. A change to any re-runs the delivery.
   */
  readonly triggers: Readonly<Record<string, string>>;
  /** Variables the install script runs with (e.g. HASHILAB_CA_ROTATION_STEP). @default none */
  readonly installEnvironment?: Readonly<Record<string, string>>;
  /**
   * A new version of a delivered script re-runs the delivery. A one-off step (a CA rotation's)
   * that must not run again in later deploys turns this off.
   * @default true
   */
  readonly rerunOnNewScripts?: boolean;
}

/** A digest, so the plan names what changed without repeating it: Terraform hashes references, synth hashes text. */
function digest(value: string): string {
  return Token.isUnresolved(value) ? Fn.sha256(value) : createHash("sha256").update(value).digest("hex");
}

/**
 * Copies one host's secrets (and its agent configuration and units, so changes reach running
 * hosts) over SSH as root, authenticated by the operator's ssh-agent, with the install script
 * (hashilab-install-secrets.sh), which installs them and starts, reloads or restarts the agents.
 * The resource is replaced when any of its triggers changes, so a rotation re-runs the
 * delivery; the server itself is untouched because its user-data never contains a secret.
 */
export class SecretsDelivery extends Construct {
  readonly resource: TerraformData;

  constructor(scope: Construct, id: string, props: SecretsDeliveryProps) {
    super(scope, id);
    // The names reach root's shell through `env NAME=value` (quoted); only an environment variable's name is one.
    throwIfProblems(
      this,
      "invalid secrets delivery",
      Object.keys(props.installEnvironment ?? {})
        .filter((name) => !/^[A-Z_][A-Z0-9_]*$/.test(name))
        .map((name) => `installEnvironment has the name ${JSON.stringify(name)}, which is no environment variable name; use capitals, digits and "_", e.g. HASHILAB_CA_ROTATION_STEP`),
    );
    // Each script's trigger is named after its key: waitHealthy -> wait_healthy_script.
    const scripts = Object.entries(DELIVERED_SCRIPTS).map(([key, name]) => ({
      trigger: `${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_script`,
      name,
      content: shippedFile(name),
    }));
    const entries: Array<{ name: string; content: string }> = (Object.keys(DELIVERED_FILES) as Array<keyof typeof DELIVERED_FILES>)
      .filter((key) => props.files[key] !== undefined)
      .map((key) => ({ name: DELIVERED_FILES[key], content: props.files[key] as string }));
    entries.push(...scripts.map(({ name, content }) => ({ name, content })));
    const scriptTriggers = props.rerunOnNewScripts === false ? {} : Object.fromEntries(scripts.map((s) => [s.trigger, s.content]));
    const triggers = { ...props.triggers, ...scriptTriggers };
    const environment = Object.entries(props.installEnvironment ?? {}).map(([name, value]) => `${name}=${value}`);
    this.resource = new TerraformData(this, "Delivery", {
      triggersReplace: {
        server: props.serverId,
        ...Object.fromEntries(Object.entries(triggers).map(([name, value]) => [`${name}_sha256`, digest(value)])),
      },
      dependsOn: props.after ? [...props.after] : undefined,
      connection: sshConnection(props.host),
      provisioners: [
        { type: "remote-exec", inline: PREPARE_COMMANDS },
        ...entries.map((e) => ({
          type: "file" as const,
          // Literal text must reach the host as written; references stay references.
          content: escapeTerraformTemplate(e.content),
          destination: `${HOST_PATHS.deliveryDir}/${e.name}`,
        })),
        { type: "remote-exec", inline: [environment.length > 0 ? remoteCommand("env", ...environment, "bash", INSTALL_SCRIPT) : INSTALL_COMMAND] },
      ],
    });
  }
}
