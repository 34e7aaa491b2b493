import { posix } from "node:path";
import { Fn, ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { TerraformData } from "../providers";
import { HostAccess, remoteCommand, shellQuote, sshConnection, sshHostProblems } from "../hetzner-cluster";

/** One token and the root-only file it goes to. */
export interface TokenFile {
  /** The token's secret (a reference; it lands only in the root-only file). */
  readonly token: string;
  readonly path: string;
}

/** Where a token waits between upload and install: tmpfs, root only. */
const uploaded = (uploadDir: string, path: string) => `${uploadDir}/${posix.basename(path)}`;

/**
 * The root commands that move the uploaded tokens into `dir` (0700). Terraform runs `inline` as
 * one script without `set -e` (remote-exec's generateScripts), so it stops at the first failure
 * itself and removes the upload however it ends. No agent restarts: the scripts that use the
 * tokens read the files each time they run.
 */
export function tokenFileInstallCommands(uploadDir: string, dir: string, paths: readonly string[]): string[] {
  return [
    "set -eu",
    remoteCommand("trap", `rm -rf ${shellQuote(uploadDir)}`, "EXIT"),
    remoteCommand("install", "-d", "-o", "root", "-g", "root", "-m", "0700", dir),
    ...paths.map((path) => remoteCommand("install", "-o", "root", "-g", "root", "-m", "0600", uploaded(uploadDir, path), path)),
  ];
}

/** What is wrong with the hosts' names: each keys its delivery (`Host-<name>`), so removing one host touches no other. */
export function hostNameProblems(hosts: readonly HostAccess[]): string[] {
  return hosts.flatMap((host, i) => {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(host.name)) {
      return [`hosts[${i}].name ${JSON.stringify(host.name)} is not a host name (lowercase letters, digits and "-"); it keys the host's delivery`];
    }
    const first = hosts.findIndex((other) => other.name === host.name);
    return first === i ? [] : [`hosts[${i}].name ${JSON.stringify(host.name)} is also hosts[${first}]'s: each host needs a name of its own`];
  });
}

export interface TokenFileDeliveryProps {
  readonly hosts: readonly HostAccess[];
  readonly files: readonly TokenFile[];
  /** The upload directory (tmpfs) and the root-only directory the files go to. */
  readonly uploadDir: string;
  readonly dir: string;
  readonly after: readonly ITerraformDependable[];
}

/**
 * Writes tokens to root-only files on each host over SSH (host keys pinned), one resource per
 * host keyed by its name: a new token (rotation) or a new host re-runs that host's delivery only.
 */
export function deliverTokenFiles(scope: Construct, props: TokenFileDeliveryProps): TerraformData[] {
  return props.hosts.map(
    (host) =>
      new TerraformData(scope, `Host-${host.name}`, {
        dependsOn: [...props.after],
        triggersReplace: { host: host.sshHost.address, tokens_sha256: Fn.sha256(Fn.join(",", props.files.map((f) => f.token))) },
        connection: sshConnection(host.sshHost),
        provisioners: [
          { type: "remote-exec", inline: [remoteCommand("install", "-d", "-m", "0700", props.uploadDir)] },
          ...props.files.map(({ token, path }) => ({ type: "file" as const, content: `${token}\n`, destination: uploaded(props.uploadDir, path) })),
          { type: "remote-exec", inline: tokenFileInstallCommands(props.uploadDir, props.dir, props.files.map((f) => f.path)) },
        ],
      }),
  );
}

/** The problems of the hosts a token delivery goes to: their names and pinned host keys. */
export function tokenHostProblems(hosts: readonly HostAccess[]): string[] {
  return [...hostNameProblems(hosts), ...sshHostProblems(hosts.map((h) => h.sshHost), "hosts")];
}
