import { stringify } from "yaml";
import { hashicorpAptSource, hashicorpKeyring, HASHICORP_KEYRING, hostPackages, HostPackageSettings } from "./apt-repository";
import { HostFile, systemFiles } from "./host-files";
import { HOST_PATHS } from "./host-paths";

export interface UserDataSettings extends HostPackageSettings {
  readonly isServer: boolean;
  /** The host's private address, which the agents wait for before they start. */
  readonly privateIp: string;
  /** Rendered agent.hcl files (no secrets in them). */
  readonly nomadConfig: string;
  readonly consulConfig: string;
}

function writeFile(file: HostFile) {
  return { path: file.path, content: file.content, owner: "root:root", permissions: file.permissions };
}

/**
 * The cloud-config of one host. Everything in it is public: user-data is served by the
 * metadata service to anything on the VM and changing it replaces the server, so keys,
 * certificates and tokens are delivered over SSH instead (see SecretsDelivery).
 */
export function renderUserData(settings: UserDataSettings): string {
  const config = {
    package_update: true,
    apt: {
      // Leave Debian's own sources alone; only add HashiCorp's repository. Its key is the
      // vendored one write_files puts in place first (init stage; apt_configure runs in the
      // config stage): no keyserver at boot.
      preserve_sources_list: true,
      sources: { hashicorp: { source: hashicorpAptSource("$RELEASE") } },
    },
    packages: hostPackages(settings),
    write_files: [
      { path: HASHICORP_KEYRING, content: hashicorpKeyring(), permissions: "0644" },
      ...systemFiles(settings),
      { path: HOST_PATHS.nomadAgentConfig, content: settings.nomadConfig, permissions: "0600" },
      { path: HOST_PATHS.consulAgentConfig, content: settings.consulConfig, permissions: "0644" },
    ].map(writeFile),
    runcmd: [[HOST_PATHS.bootstrapScript]],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}
