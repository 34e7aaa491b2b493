import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { AclBootstrap } from "../constructs/acl-bootstrap";
import { gateTokenInstallCommands } from "../constructs/acl-bootstrap/health-gate-token-delivery";
import { tokenInstallCommands } from "../constructs/acl-bootstrap/nomad-token-delivery";
import { HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { INSTALL_COMMAND, PREPARE_COMMANDS } from "../constructs/hetzner-cluster/secrets-delivery";
import { RandomProvider } from "../constructs/providers";
import { hostKeyInstallCommands, SshHost, SSHD_HOST_KEY_DROP_IN } from "../constructs/hetzner-cluster/ssh-host-key";
import { runInlineScript } from "./support/install-secrets";
import { resourcesOf, synthApp, synthEnvironment } from "./support/synth";
import { lab } from "../environments";
import { evaluateWithTerraform } from "./support/terraform";
import { requireTool } from "./support/tools";

/** Every command the remote-exec scripts run; all stubbed, so nothing touches this machine. */
const COMMANDS = ["install", "rm", "systemctl", "bash", "cloud-init", "touch", "sshd"];

function aclBootstrap(app: App): AclBootstrap {
  const stack = new TerraformStack(app, "acl");
  new RandomProvider(stack, "random", {});
  return new AclBootstrap(stack, "AclBootstrap", {
    nomadAddress: "https://203.0.113.10:4646",
    consulAddress: "https://203.0.113.10:8501",
  });
}

const HOST = { address: "203.0.113.10", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKBn0Jv4/LO496vXGweYpXFyRLuAcHNM3Nh3GvKf1/c0" };

/** The token delivery's remote-exec lines for one host, as synthesized. */
function synthesizedTokenScripts(configFile?: string, host: SshHost = HOST): string[][] {
  const stack = synthApp((app) => aclBootstrap(app).deliverNomadAgentConsulToken([{ name: "lab-server-1", isServer: true, sshHost: host }], { configFile })).acl;
  const [delivery] = Object.values<any>(resourcesOf(stack, "terraform_data")).filter((r) => r.connection);
  return delivery.provisioner.filter((p: any) => p["remote-exec"]).map((p: any) => p["remote-exec"].inline);
}

describe("the health gate's token delivery", () => {
  it("runs, as root's shell gets it from Terraform, exactly the intended commands, stops at the first failure and always removes the upload", () => {
    const stack = synthApp((app) => aclBootstrap(app).deliverHealthGateTokens([{ name: "lab-server-1", isServer: true, sshHost: HOST }])).acl;
    const [delivery] = Object.values<any>(resourcesOf(stack, "terraform_data")).filter((r) => r.connection);
    const [prepare, install] = delivery.provisioner.filter((p: any) => p["remote-exec"]).map((p: any) => p["remote-exec"].inline);
    const script = evaluateWithTerraform({ prepare, install });
    const ok = runInlineScript([...script.prepare, ...script.install], COMMANDS);
    ok.cleanup();
    expect(ok.status).toBe(0);
    expect(ok.calls).toEqual([
      ["install", "-d", "-m", "0700", HOST_PATHS.healthGateTokenUploadDir],
      ["install", "-d", "-o", "root", "-g", "root", "-m", "0700", HOST_PATHS.healthGateTokenDir],
      ["install", "-o", "root", "-g", "root", "-m", "0600", `${HOST_PATHS.healthGateTokenUploadDir}/consul-token`, HOST_PATHS.healthGateConsulToken],
      ["install", "-o", "root", "-g", "root", "-m", "0600", `${HOST_PATHS.healthGateTokenUploadDir}/nomad-token`, HOST_PATHS.healthGateNomadToken],
      ["rm", "-rf", HOST_PATHS.healthGateTokenUploadDir],
    ]);
    const installFails = runInlineScript(script.install, COMMANDS, { failing: ["install"] });
    installFails.cleanup();
    expect(installFails.status).not.toBe(0);
    expect(installFails.calls.map((c) => c[0])).toEqual(["install", "rm"]);
  });
});

describe("the Nomad agents' Consul token delivery", () => {
  it("runs, as root's shell gets it from Terraform, exactly the intended commands and stops at the first failure", () => {
    const [prepare, install] = synthesizedTokenScripts();
    const script = evaluateWithTerraform({ prepare, install });
    const ok = runInlineScript([...script.prepare, ...script.install], COMMANDS);
    ok.cleanup();
    expect(ok.status).toBe(0);
    expect(ok.calls).toEqual([
      ["install", "-d", "-m", "0700", "/run/hashilab-nomad-token"],
      ["install", "-d", "-o", "root", "-g", "root", "-m", "0700", HOST_PATHS.nomadSecretConfigDir],
      ["install", "-o", "root", "-g", "root", "-m", "0600", "/run/hashilab-nomad-token/consul-token.hcl", HOST_PATHS.nomadConsulTokenConfig],
      ["rm", "-f", "/run/hashilab-nomad-token/consul-token.hcl"],
      ["bash", "/run/hashilab-nomad-token/hashilab-rollout.sh", "leader-away", "nomad"],
      ["systemctl", "restart", "nomad.service"],
      ["bash", "/run/hashilab-nomad-token/hashilab-wait-healthy.sh", "nomad"],
      // The EXIT trap: the upload (the token) is gone however the script ends.
      ["rm", "-rf", "/run/hashilab-nomad-token"],
    ]);
    // Terraform takes the script's last status: a leadership that does not move (the first bash)
    // stops it before the restart, as a Nomad that does not come back fails it.
    const unhealthy = runInlineScript(script.install, COMMANDS, { failing: ["bash"] });
    unhealthy.cleanup();
    expect(unhealthy.status).not.toBe(0);
    expect(unhealthy.calls.map((c) => c.join(" "))).not.toContain("systemctl restart nomad.service");
    expect(unhealthy.calls.at(-1)).toEqual(["rm", "-rf", "/run/hashilab-nomad-token"]);
    const installFails = runInlineScript(script.install, COMMANDS, { failing: ["install"] });
    installFails.cleanup();
    expect(installFails.status).not.toBe(0);
    expect(installFails.calls.map((c) => c[0])).toEqual(["install", "rm"]);
  });

  it("quotes every value it hands root's shell: hostile paths reach install as one literal argument", () => {
    const hostile = [
      `${HOST_PATHS.nomadSecretConfigDir}/x.hcl; touch PWNED`,
      `${HOST_PATHS.nomadSecretConfigDir}/$(touch PWNED).hcl`,
      `${HOST_PATHS.nomadSecretConfigDir}/\`touch PWNED\`.hcl`,
      `${HOST_PATHS.nomadSecretConfigDir}/x'; touch PWNED; '.hcl`,
      `${HOST_PATHS.nomadSecretConfigDir}/x\ntouch PWNED\n.hcl`,
      `${HOST_PATHS.nomadSecretConfigDir}/\${path.module}*.hcl`,
      `${HOST_PATHS.nomadSecretConfigDir}/x.hcl" && touch PWNED && "`,
    ];
    // Terraform evaluates the lines first (a `${` would interpolate), then the shell runs them.
    const evaluated = evaluateWithTerraform(Object.fromEntries(hostile.map((path, i) => [`case_${i}`, tokenInstallCommands(path)])));
    hostile.forEach((path, i) => {
      const run = runInlineScript(evaluated[`case_${i}`], COMMANDS);
      const pwned = ["PWNED", join(run.dir, "PWNED")].some((file) => existsSync(file));
      run.cleanup();
      expect([path, run.status, pwned, run.calls.filter((c) => c[0] === "touch")]).toEqual([path, 0, false, []]);
      expect(run.calls.find((c) => c.includes("0600"))?.at(-1)).toBe(path);
    });
  });

  it.each([
    ["a command after the path", `${HOST_PATHS.nomadSecretConfigDir}/x.hcl; touch /tmp/pwned`, /holds characters other than/],
    ["the packages' /etc/nomad.d (linked into exec tasks' chroot)", "/etc/nomad.d/consul-token.hcl", /not directly in \/var\/lib\/hashilab\/secrets\/nomad\.d/],
    ["a path climbing out with ..", `${HOST_PATHS.nomadSecretConfigDir}/../../../../etc/x.hcl`, /not an absolute, normalized path/],
    ["a relative path", "consul-token.hcl", /not an absolute, normalized path/],
    ["a subdirectory Nomad does not read", `${HOST_PATHS.nomadSecretConfigDir}/extra/consul-token.hcl`, /not directly in/],
    ["a .json name for HCL content", `${HOST_PATHS.nomadSecretConfigDir}/consul-token.json`, /does not end in "\.hcl"/],
    ["the gossip key's file", HOST_PATHS.nomadGossipConfig, /would overwrite the servers' gossip key/],
    ["a Terraform interpolation", `${HOST_PATHS.nomadSecretConfigDir}/\${var.x}.hcl`, /holds characters other than/],
    ["a newline", `${HOST_PATHS.nomadSecretConfigDir}/x\n.hcl`, /holds characters other than/],
  ])("fails synth for configFile with %s, naming the construct and the field", (_what, configFile, reason) => {
    expect(() => synthesizedTokenScripts(configFile)).toThrow(/^acl\/AclBootstrap\/NomadAgentConsulToken: invalid Nomad agent Consul token delivery:\n  - configFile /);
    expect(() => synthesizedTokenScripts(configFile)).toThrow(reason);
  });

  it("fails synth listing every problem of a configFile at once", () => {
    expect(() => synthesizedTokenScripts("/etc/nomad.d/x.json")).toThrow(/not directly in[^]*does not end in "\.hcl"/);
  });

  it.each([
    ["no host key", "", /hosts\[0\]\.hostKey is empty: Terraform would accept any host/],
    ["a private key", "-----BEGIN OPENSSH PRIVATE KEY-----", /hosts\[0\]\.hostKey is a private key/],
    ["a truncated key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKBn0Jv4", /hosts\[0\]\.hostKey has key data that is not a "ssh-ed25519" key/],
  ])("fails synth for a host with %s, which would let an impostor receive the token", (_what, hostKey, reason) => {
    expect(() => synthesizedTokenScripts(undefined, { ...HOST, hostKey })).toThrow(/^acl\/AclBootstrap\/NomadAgentConsulToken: invalid Nomad agent Consul token delivery:/);
    expect(() => synthesizedTokenScripts(undefined, { ...HOST, hostKey })).toThrow(reason);
  });

  it("accepts another .hcl name in the secret config directory", () => {
    const [, install] = synthesizedTokenScripts(`${HOST_PATHS.nomadSecretConfigDir}/token-2.hcl`);
    expect(install).toContain(`install -o root -g root -m 0600 /run/hashilab-nomad-token/consul-token.hcl ${HOST_PATHS.nomadSecretConfigDir}/token-2.hcl`);
  });
});

describe("the secrets delivery's commands", () => {
  it("fails when the host's first boot failed (cloud-init status 1), and goes on after mere warnings (status 2)", () => {
    const failed = runInlineScript([...PREPARE_COMMANDS, INSTALL_COMMAND], COMMANDS, { failing: ["cloud-init"] });
    failed.cleanup();
    expect(failed.status).toBe(1);
    expect(failed.calls).toEqual([["cloud-init", "status", "--wait"]]);
    const warned = runInlineScript(["cloud-init() { return 2; }", ...PREPARE_COMMANDS], COMMANDS);
    warned.cleanup();
    expect(warned.status).toBe(0);
  });

  it("run, in bash with stubbed commands, exactly the intended commands", () => {
    const run = runInlineScript([...PREPARE_COMMANDS, INSTALL_COMMAND], COMMANDS);
    run.cleanup();
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      ["cloud-init", "status", "--wait"],
      ["install", "-d", "-m", "0700", HOST_PATHS.deliveryDir],
      ["bash", `${HOST_PATHS.deliveryDir}/hashilab-install-secrets.sh`],
    ]);
  });
});

describe("the SSH host key's installation (the first contact)", () => {
  const paths = { key: HOST_PATHS.sshHostKey, dropIn: SSHD_HOST_KEY_DROP_IN };

  /** What `sshd -T` prints for host keys once the drop-in is read. */
  const effective = { sshd: `port 22\nhostkey ${HOST_PATHS.sshHostKey}\npasswordauthentication no` };

  it("installs the key outside /etc, root-only, makes sshd offer it alone once `sshd -T` shows exactly it, and removes the upload", () => {
    const run = runInlineScript(hostKeyInstallCommands(), COMMANDS, { outputs: effective });
    run.cleanup();
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      ["install", "-d", "-o", "root", "-g", "root", "-m", "0700", HOST_PATHS.sshHostKeyDir],
      ["install", "-o", "root", "-g", "root", "-m", "0600", "/run/hashilab-host-key/host_key", paths.key],
      ["install", "-o", "root", "-g", "root", "-m", "0644", "/run/hashilab-host-key/sshd.conf", paths.dropIn],
      ["sshd", "-T"],
      ["systemctl", "reload", "ssh.service"],
      ["rm", "-rf", "/run/hashilab-host-key"],
    ]);
    expect(paths.key.startsWith(`${HOST_PATHS.secretsDir}/`)).toBe(true);
  });

  it.each([
    ["rejects the key or config", { failing: ["sshd"] }],
    ["ignores the drop-in and still offers its own keys", { outputs: { sshd: "hostkey /etc/ssh/ssh_host_rsa_key\nhostkey /etc/ssh/ssh_host_ed25519_key" } }],
    ["offers another key beside it", { outputs: { sshd: `hostkey /etc/ssh/ssh_host_ecdsa_key\nhostkey ${HOST_PATHS.sshHostKey}` } }],
  ])("takes the drop-in back and fails when sshd %s, so the host keeps answering with its old key", (_what, options) => {
    const run = runInlineScript(hostKeyInstallCommands(), COMMANDS, options);
    run.cleanup();
    expect(run.status).not.toBe(0);
    expect(run.calls.slice(3)).toEqual([
      ["sshd", "-T"],
      ["rm", "-f", paths.dropIn],
      ["rm", "-rf", "/run/hashilab-host-key"],
    ]);
  });
});

describe("every remote-exec script", () => {
  it.each([
    ["the host key's installation", hostKeyInstallCommands()],
    ["the token delivery", tokenInstallCommands(HOST_PATHS.nomadConsulTokenConfig)],
    ["the health gate's token delivery", gateTokenInstallCommands()],
    ["the secrets delivery", [...PREPARE_COMMANDS, INSTALL_COMMAND]],
  ])("passes shellcheck: %s", (_what, lines) => {
    requireTool("shellcheck");
    const result = spawnSync("shellcheck", ["--shell=bash", "-"], { input: `${lines.join("\n")}\n`, encoding: "utf8" });
    expect(`${result.stdout}${result.stderr}`).toBe("");
  });
});

describe("the SSH connections of every root provisioner", () => {
  it("put Terraform's inline scripts in root's home, not the 0777 file in /tmp another local user could rewrite", () => {
    const stacks = synthEnvironment(lab);
    const resources = ["lab-hosts", "lab-acl"].flatMap((name) => Object.values<any>(resourcesOf(stacks[name], "terraform_data")));
    const connections = [
      ...resources.filter((r) => r.connection).map((r) => r.connection),
      // The rollout drains clients from the first server: connections of single provisioners.
      ...resources.flatMap((r) => (r.provisioner ?? []).flatMap((p: any) => Object.values<any>(p)).filter((p: any) => p.connection).map((p: any) => p.connection)),
    ];
    // Three hosts, each with the secrets delivery, its host key, its resize gate, its Consul and
    // Nomad upgrade steps, the Nomad agents' Consul token, the health gate's tokens and the
    // rollout's tokens; each Nomad step's drain and eligibility on the first server; and the
    // membership, whose one resource runs every removed host's leave.
    expect(connections.length).toBe(3 * 8 + 3 * 2 + 1);
    for (const connection of connections) expect(connection).toMatchObject({ user: "root", script_path: "/root/terraform_%RAND%.sh" });
  });
});
