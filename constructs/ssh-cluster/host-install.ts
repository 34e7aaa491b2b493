import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { TerraformData } from "../providers";
import { escapeTerraformTemplate } from "../core";
import { HostFile, HostPackage, remoteCommand, sshConnection, SshHost } from "../hetzner-cluster";

/** Where Terraform uploads an install before the script puts it in place (tmpfs, root only). */
export const INSTALL_UPLOAD_DIR = "/run/hashilab-install";
/** The install script, shipped beside this module (shellcheck and a sandbox run in tests). */
export const INSTALL_SCRIPT = "hashilab-install-host.sh";
/** The release's codename in the apt source the script writes (its VERSION_CODENAME). */
export const RELEASE_PLACEHOLDER = "@RELEASE@";

/** The install script's text. */
export function installScript(): string {
  return readFileSync(join(__dirname, "files", INSTALL_SCRIPT), "utf8");
}

/** A file the install puts in place, and the unit to restart when it changed. */
export interface InstalledFile extends HostFile {
  /** @default none */
  readonly restartUnit?: string;
}

/** files.list: "NAME MODE PATH [UNIT]" per file; the names are f1, f2, ... so no path reaches a file name. */
export function installManifest(files: readonly InstalledFile[]): { list: string; uploads: Array<{ name: string; content: string }> } {
  const uploads = files.map((file, i) => ({ name: `f${i + 1}`, content: file.content }));
  const list = files.map((file, i) => [uploads[i].name, file.permissions, file.path, file.restartUnit ?? ""].join(" ").trimEnd()).join("\n");
  return { list: `${list}\n`, uploads };
}

/**
 * packages.list: "NAME" or "NAME=VERSION" per package, as apt-get install takes them; a package
 * the rollout upgrades on running hosts is marked "new-only": the script installs it where it is
 * missing and leaves an installed one at another version to the rollout (AgentRollout).
 */
export function packageManifest(packages: readonly HostPackage[], rolledOut: readonly string[] = []): string {
  const line = (p: HostPackage) => (typeof p === "string" ? p : `${p[0]}=${p[1]}${rolledOut.includes(p[0]) ? " new-only" : ""}`);
  return `${packages.map(line).join("\n")}\n`;
}

export interface HostInstallProps {
  /** Where Terraform connects (as root) and the host key it pins. */
  readonly host: SshHost;
  readonly files: readonly InstalledFile[];
  readonly packages: readonly HostPackage[];
  /** HashiCorp's apt source with RELEASE_PLACEHOLDER for the release. */
  readonly aptSource: string;
  /**
   * Packages the rollout upgrades on running hosts (AgentRollout, Consul before Nomad, one host at
   * a time): their pins serve a new install only, so a changed pin does not re-run this install.
   * @default none
   */
  readonly rolledOut?: readonly string[];
  /** Runs after these (the previous host's delivery: one host at a time). @default none */
  readonly after?: readonly ITerraformDependable[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Installs packages and system files on an existing host over SSH (hashilab-install-host.sh),
 * what cloud-init does on a Hetzner VM. Replaced, and so run again, when anything it installs
 * changes or the pinned host key does: a reinstalled machine has a new host key, so pinning
 * the new key is what reprovisions it. The script itself changes nothing that is in place.
 */
export class HostInstall extends Construct {
  readonly resource: TerraformData;

  constructor(scope: Construct, id: string, props: HostInstallProps) {
    super(scope, id);
    const manifest = installManifest(props.files);
    const packages = packageManifest(props.packages, props.rolledOut);
    // A rolled-out package's pin is left out of the trigger: the rollout, not a re-install, brings it.
    const pinned = packageManifest(
      props.packages.map((p) => (typeof p !== "string" && props.rolledOut?.includes(p[0]) ? p[0] : p)),
      props.rolledOut,
    );
    const uploads = [
      ...manifest.uploads.map((u) => ({ ...u, name: `files/${u.name}` })),
      { name: "files.list", content: manifest.list },
      { name: "packages.list", content: packages },
      { name: "hashicorp.list.in", content: `${props.aptSource}\n` },
      { name: INSTALL_SCRIPT, content: installScript() },
    ];
    this.resource = new TerraformData(this, "Install", {
      triggersReplace: {
        host_key_sha256: sha256(props.host.hostKey.trim()),
        packages: pinned,
        files_sha256: sha256(uploads.filter((u) => u.name !== "packages.list").map((u) => `${u.name}\n${u.content}`).join("\n")),
      },
      dependsOn: props.after ? [...props.after] : undefined,
      connection: sshConnection(props.host),
      provisioners: [
        { type: "remote-exec", inline: [remoteCommand("install", "-d", "-m", "0700", INSTALL_UPLOAD_DIR, `${INSTALL_UPLOAD_DIR}/files`)] },
        ...uploads.map((u) => ({
          type: "file" as const,
          // Literal text must reach the host as written: no Terraform interpolation.
          content: escapeTerraformTemplate(u.content),
          destination: `${INSTALL_UPLOAD_DIR}/${u.name}`,
        })),
        { type: "remote-exec", inline: [remoteCommand("bash", `${INSTALL_UPLOAD_DIR}/${INSTALL_SCRIPT}`)] },
      ],
    });
  }
}
