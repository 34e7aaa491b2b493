import { readdirSync, readFileSync, statSync } from "node:fs";
import { posix } from "node:path";
import { ENVIRONMENTS, lab } from "../environments";
import { DELIVERED_FILES, HOST_PATHS, isWithinPath, LEGACY_SECRET_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { NOMAD_DEFAULT_CHROOT_ENV } from "../constructs/hetzner-cluster/nomad-config";
import { SANDBOX_RETRY_JOIN } from "./support/agent-apis";
import { installSandbox } from "./support/install-secrets";
import { resourcesOf, synthEnvironment } from "./support/synth";

/** A delivered file is secret when Terraform fills in generated key material or a token (HCL-escaped: replace(...) around it). */
const SECRET_REFERENCE = /\$\{(replace\()*(tls_private_key|random_bytes|random_uuid)\./;

const stacks = synthEnvironment(lab);
// The rollout's steps and the resize gates upload scripts only; the membership only the leave
// script (rollout.removal.test.ts), and its guard nothing.
const deliveries = Object.entries<any>(resourcesOf(stacks["lab-hosts"], "terraform_data"))
  .filter(([id, resource]) => !/_Rollout_|ResizeGate/.test(id) && !resource["//"].metadata.path.includes("/Membership/"))
  .map(([, resource]) => resource);
const uploads = (resource: any): Array<{ destination: string; content: string }> =>
  resource.provisioner.filter((p: any) => p.file).map((p: any) => p.file);

/** Where the hosts' deliveries put secrets: where Terraform uploads them, and where the real install script moves them. */
function hostsDeliverySecretPaths(): string[] {
  const host = installSandbox();
  try {
    const paths = new Set<string>();
    for (const delivery of deliveries) {
      const files: Record<string, string> = {};
      for (const { destination, content } of uploads(delivery)) {
        const secret = SECRET_REFERENCE.test(content);
        if (secret) paths.add(destination);
        files[posix.basename(destination)] = `${secret ? "SECRET" : "public"} ${destination}\n`;
        // The health gate asks the servers the Consul configuration lists.
        if (posix.basename(destination) === DELIVERED_FILES.consulAgentConfig) files[posix.basename(destination)] += SANDBOX_RETRY_JOIN;
      }
      host.deliver(files);
    }
    const installed = readdirSync(host.root, { recursive: true, encoding: "utf8" })
      .map((relative) => `/${relative}`)
      .filter((path) => !path.startsWith("/stubs") && statSync(host.path(path)).isFile())
      .filter((path) => readFileSync(host.path(path), "utf8").startsWith("SECRET"));
    installed.forEach((path) => paths.add(path));
    return [...paths].sort();
  } finally {
    host.cleanup();
  }
}

/** Where the ACL stack's SSH delivery puts the Nomad agents' Consul token: its upload and its install destination. */
function aclDeliverySecretPaths(): string[] {
  const tokenDeliveries = Object.entries<any>(resourcesOf(stacks["lab-acl"], "terraform_data")).filter(([id]) =>
    id.includes("NomadAgentConsulToken_"),
  );
  return tokenDeliveries.flatMap(([, delivery]) => {
    const installs = delivery.provisioner
      .flatMap((p: any) => p["remote-exec"]?.inline ?? [])
      .map((command: string) => command.match(/^install (?:-[ogm] \S+ )*\S+ (\S+)$/)?.[1])
      .filter(Boolean);
    return [...uploads(delivery).map((u) => u.destination), ...installs];
  });
}

const chroots: Array<[string, Readonly<Record<string, string>>]> = [
  ["Nomad's default chroot_env", NOMAD_DEFAULT_CHROOT_ENV],
  ...ENVIRONMENTS.flatMap((env): Array<[string, Readonly<Record<string, string>>]> =>
    env.cluster.kind === "hetzner" && env.cluster.chrootEnv ? [[`${env.name}'s cluster.chrootEnv`, env.cluster.chrootEnv]] : [],
  ),
];

describe("keeps every delivered secret outside the exec driver's chroot", () => {
  const secretPaths = [...hostsDeliverySecretPaths(), ...aclDeliverySecretPaths()];

  it("finds the secrets the hosts and ACL deliveries write: TLS key, gossip keys, the Nomad agents' Consul token", () => {
    expect(secretPaths).toEqual(
      expect.arrayContaining([HOST_PATHS.agentKey, HOST_PATHS.consulGossipConfig, HOST_PATHS.nomadGossipConfig, HOST_PATHS.nomadConsulTokenConfig]),
    );
  });

  it.each(chroots)("no secret lies under a path of %s", (_name, chrootEnv) => {
    const exposed = secretPaths.flatMap((path) =>
      Object.keys(chrootEnv)
        .filter((hostPath) => isWithinPath(path, hostPath))
        .map((hostPath) => `${path} (under ${hostPath})`),
    );
    expect(exposed).toEqual([]);
  });

  it("would have caught where the secrets used to live", () => {
    const linked = Object.values(LEGACY_SECRET_PATHS).filter((path) => Object.keys(NOMAD_DEFAULT_CHROOT_ENV).some((dir) => isWithinPath(path, dir)));
    expect(linked).toEqual(Object.values(LEGACY_SECRET_PATHS));
  });

  it("points the agents at the secrets where they now live", () => {
    const uploaded = (name: string) =>
      uploads(deliveries[0]).find((u) => u.destination.endsWith(`/${name}`))!.content;
    expect(uploaded("nomad-agent.hcl")).toMatch(new RegExp(`key_file += "${HOST_PATHS.agentKey}"`));
    expect(uploaded("consul-agent.hcl")).toMatch(new RegExp(`key_file += "${HOST_PATHS.agentKey}"`));
    expect(uploaded("consul.service")).toContain(`-config-dir=${HOST_PATHS.consulSecretConfigDir}`);
    expect(uploaded("nomad.service")).toContain(`-config=${HOST_PATHS.nomadSecretConfigDir}`);
  });
});
