import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { App, Testing, TerraformStack } from "cdktf";
import { dev, lab } from "../environments";
import { AclBootstrap, CONSUL_ROLLOUT_RULES } from "../constructs/acl-bootstrap";
import { HOST_PATHS } from "../constructs/hetzner-cluster";
import { AclStack } from "../stacks/acl-stack";
import { HostsStack } from "../stacks/hosts-stack";
import { Running, startFake } from "./support/fake-acl-api";
import { parseHcl } from "./support/hcl";
import { scanStacksForSecrets } from "./support/secret-scan";
import { resourcesOf, StackJson, synthApp, synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";

const run = promisify(execFile);
/** A host's SSH host key, as an operator would pin it for hosts not built by HetznerCluster. */
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKBn0Jv4/LO496vXGweYpXFyRLuAcHNM3Nh3GvKf1/c0";

function localExec(resource: any): { command: string; environment: Record<string, string> } {
  return resource.provisioner[0]["local-exec"];
}

describe.each([
  ["lab", lab],
  ["dev", dev],
])("the %s acl stack", (name, env) => {
  const stack = synthEnvironment(env)[`${name}-acl`];
  const bootstraps = resourcesOf(stack, "terraform_data");
  const nomad = localExec(bootstraps["AclBootstrap_Nomad_AC27DB49"]);
  const consul = localExec(bootstraps["AclBootstrap_Consul_BEFA9394"]);

  it("bootstraps Nomad and Consul by running the script copied beside the stack", () => {
    expect(nomad.command).toMatch(/^node "\$\{path\.module\}\/assets\/AclBootstrap_Script_[0-9A-F]+\/[0-9A-F]+\/acl-bootstrap\.mjs" nomad$/);
    expect(consul.command).toMatch(/acl-bootstrap\.mjs" consul$/);
    expect(nomad.environment.ACL_ADDRESS).toBe(stack.output.nomad_address.value);
    expect(consul.environment.ACL_ADDRESS).toBe(stack.output.consul_address.value);
  });

  it("passes the secrets in the provisioners' environment only, never on the command line", () => {
    expect(nomad.environment.ACL_BOOTSTRAP_SECRET).toMatch(/^\$\{random_uuid\.AclBootstrap_NomadManagementSecret_\w+\.result\}$/);
    expect(consul.environment.ACL_BOOTSTRAP_SECRET).toMatch(/^\$\{random_uuid\.AclBootstrap_ConsulManagementSecret_\w+\.result\}$/);
    for (const exec of [nomad, consul]) expect(exec.command).not.toMatch(/random_uuid|SECRET|TOKEN/);
  });

  it("re-runs a bootstrap when its address or secret changes, showing only hashes of secrets in the plan", () => {
    for (const resource of [bootstraps["AclBootstrap_Nomad_AC27DB49"], bootstraps["AclBootstrap_Consul_BEFA9394"]]) {
      const triggers = JSON.stringify(resource.triggers_replace);
      expect(triggers.replace(/\$\{sha256\([^}]*\)\}/g, "")).not.toContain("random_uuid");
      expect(resource.triggers_replace.address).toBeDefined();
    }
    expect(bootstraps["AclBootstrap_Nomad_AC27DB49"].triggers_replace.secret_sha256).toContain("random_uuid");
  });

  it("exposes the management tokens only as sensitive outputs, read back from the bootstraps", () => {
    expect(stack.output.nomad_token.value).toBe("${terraform_data.AclBootstrap_Nomad_AC27DB49.output.management}");
    expect(stack.output.consul_token.value).toBe("${terraform_data.AclBootstrap_Consul_BEFA9394.output.management}");
    for (const output of ["nomad_token", "consul_token", "nomad_agent_consul_token"]) {
      expect(stack.output[output].sensitive).toBe(true);
    }
    for (const [key, output] of Object.entries<any>(stack.output)) {
      if (/random_uuid|terraform_data/.test(JSON.stringify(output.value))) expect([key, output.sensitive]).toEqual([key, true]);
    }
  });

  it("synthesizes no secret material: the secret scan finds nothing", () => {
    expect(scanStacksForSecrets({ [`${name}-acl`]: stack })).toEqual([]);
  });
});

describe("an acl stack for hosts with TLS", () => {
  const endpoints = { nomadAddress: "https://203.0.113.10:4646", consulAddress: "https://203.0.113.10:8501", caCertPem: "-----BEGIN CERTIFICATE-----" };
  const stack = synthApp(
    (app) =>
      new AclStack(app, "lab-acl", {
        env: lab,
        endpoints,
        hosts: {
          consulAgentAddresses: ["https://203.0.113.10:8501", "https://203.0.113.11:8501"],
          hostAccess: [
            { name: "lab-server-1", isServer: true, sshHost: { address: "203.0.113.10", hostKey: HOST_KEY } },
            { name: "lab-client-1", isServer: false, sshHost: { address: "203.0.113.11", hostKey: HOST_KEY } },
          ],
        },
      }),
  )["lab-acl"];
  const resources = resourcesOf(stack, "terraform_data");

  it("verifies the agents' certificates with the hosts' CA", () => {
    for (const id of ["AclBootstrap_Nomad_AC27DB49", "AclBootstrap_Consul_BEFA9394"]) {
      expect(localExec(resources[id]).environment.ACL_CA_PEM).toBe(endpoints.caCertPem);
    }
  });

  it("gives every Consul agent its agent token", () => {
    const tokens = JSON.parse(localExec(resources["AclBootstrap_Consul_BEFA9394"]).environment.ACL_CONSUL_TOKENS.replace(/\$\{[^}]+\}/g, "x"));
    expect(tokens[0].agentTokenOn).toEqual(["https://203.0.113.10:8501", "https://203.0.113.11:8501"]);
  });

  it("writes the Nomad agents' Consul token over SSH, one host after another, after the Consul bootstrap and the health gate's tokens", () => {
    // In rollout order (the synthesized JSON sorts them by name).
    const deliveries = Object.entries<any>(resources)
      .filter(([id]) => id.includes("NomadAgentConsulToken_"))
      .sort(([, a], [, b]) => a.connection.host.localeCompare(b.connection.host));
    expect(deliveries).toHaveLength(2);
    const [[firstId, first], [, second]] = deliveries;
    // With the gate's tokens on every host, each restart below waits for autopilot too.
    expect(first.depends_on).toEqual([
      "terraform_data.AclBootstrap_Consul_BEFA9394",
      expect.stringMatching(/^terraform_data\.AclBootstrap_HealthGateTokens_Host-lab-server-1_\w+$/),
      expect.stringMatching(/^terraform_data\.AclBootstrap_HealthGateTokens_Host-lab-client-1_\w+$/),
      expect.stringMatching(/^terraform_data\.AclBootstrap_RolloutTokens_Host-lab-server-1_\w+$/),
    ]);
    expect(second.depends_on).toEqual([`terraform_data.${firstId}`]);
    expect(first.connection).toEqual({
      type: "ssh",
      host: "203.0.113.10",
      user: "root",
      agent: "true",
      timeout: "10m",
      host_key: HOST_KEY,
      script_path: "/root/terraform_%RAND%.sh",
    });
    const file = first.provisioner.find((p: any) => p.file).file;
    expect(file.content).toBe('consul {\n  token = "${random_uuid.AclBootstrap_NomadAgentConsulTokenSecret_EEE3A3ED.result}"\n}\n');
    const install = first.provisioner.at(-1)["remote-exec"].inline;
    expect(install).toEqual([
      // Terraform runs the lines as one script and takes the last status: stop at the first failure.
      "set -eu",
      "trap 'rm -rf /run/hashilab-nomad-token' EXIT",
      "install -d -o root -g root -m 0700 /var/lib/hashilab/secrets/nomad.d",
      "install -o root -g root -m 0600 /run/hashilab-nomad-token/consul-token.hcl /var/lib/hashilab/secrets/nomad.d/consul-token.hcl",
      "rm -f /run/hashilab-nomad-token/consul-token.hcl",
      // A server that leads hands leadership to the server restarted last first.
      "bash /run/hashilab-nomad-token/hashilab-rollout.sh leader-away nomad",
      "systemctl restart nomad.service",
      // The next host waits until this one's Nomad answers again; one that does not fails the deploy.
      "bash /run/hashilab-nomad-token/hashilab-wait-healthy.sh nomad",
    ]);
    const uploads = first.provisioner.filter((p: any) => p.file).map((p: any) => p.file.destination);
    expect(uploads).toEqual([
      "/run/hashilab-nomad-token/consul-token.hcl",
      "/run/hashilab-nomad-token/hashilab-wait-healthy.sh",
      "/run/hashilab-nomad-token/hashilab-rollout.sh",
    ]);
    // Known at plan time, so a re-run of the Consul bootstrap (a new host) restarts no Nomad agent.
    expect(first.triggers_replace.token_sha256).toBe("${sha256(random_uuid.AclBootstrap_NomadAgentConsulTokenSecret_EEE3A3ED.result)}");
  });

  it("creates the health gate's tokens with policies that grant operator read and nothing else, in Nomad and in Consul", async () => {
    const nomadTokens = JSON.parse(localExec(resources["AclBootstrap_Nomad_AC27DB49"]).environment.ACL_NOMAD_TOKENS);
    expect(nomadTokens).toEqual([
      {
        name: "health-gate",
        description: expect.any(String),
        rules: 'operator {\n  policy = "read"\n}\n',
        accessorId: expect.stringMatching(/^\$\{random_uuid\.AclBootstrap_HealthGateNomadTokenAccessor_\w+\.result\}$/),
        secretId: expect.stringMatching(/^\$\{random_uuid\.AclBootstrap_HealthGateNomadTokenSecret_\w+\.result\}$/),
      },
    ]);
    const consulTokens = JSON.parse(localExec(resources["AclBootstrap_Consul_BEFA9394"]).environment.ACL_CONSUL_TOKENS);
    expect(consulTokens.find((t: any) => t.name === "health-gate")).toEqual({
      name: "health-gate",
      description: expect.any(String),
      rules: 'operator = "read"\n',
      secretId: expect.stringMatching(/^\$\{random_uuid\.AclBootstrap_HealthGateConsulTokenSecret_\w+\.result\}$/),
      agentTokenOn: [],
    });
    // A new secret comes with a new accessor: Nomad never changes an existing token's secret.
    expect(stack.resource.random_uuid[nomadTokens[0].accessorId.match(/random_uuid\.(\w+)\.result/)[1]].keepers).toEqual({
      secret_sha256: nomadTokens[0].secretId.replace(/^\$\{(.*)\}$/, "$${sha256($1)}"),
    });
    // Both parse as HCL with exactly one rule each (the rules Consul and Nomad would store).
    expect(await parseHcl(nomadTokens[0].rules)).toEqual({ operator: [{ policy: "read" }] });
    expect(await parseHcl(consulTokens.find((t: any) => t.name === "health-gate").rules)).toEqual({ operator: "read" });
  });

  it("writes the health gate's tokens over SSH to root-only files outside /etc, pinning each host's key, after both bootstraps", () => {
    const deliveries = Object.entries<any>(resources).filter(([id]) => id.includes("HealthGateTokens_"));
    expect(deliveries.map(([, d]) => d.connection.host).sort()).toEqual(["203.0.113.10", "203.0.113.11"]);
    for (const [, delivery] of deliveries) {
      expect(delivery.connection).toMatchObject({ type: "ssh", user: "root", host_key: HOST_KEY, script_path: "/root/terraform_%RAND%.sh" });
      expect(delivery.depends_on).toEqual(["terraform_data.AclBootstrap_Nomad_AC27DB49", "terraform_data.AclBootstrap_Consul_BEFA9394"]);
      const files = delivery.provisioner.filter((p: any) => p.file).map((p: any) => p.file);
      expect(files).toEqual([
        { content: expect.stringMatching(/^\$\{random_uuid\.AclBootstrap_HealthGateConsulTokenSecret_\w+\.result\}\n$/), destination: "/run/hashilab-gate-tokens/consul-token" },
        { content: expect.stringMatching(/^\$\{random_uuid\.AclBootstrap_HealthGateNomadTokenSecret_\w+\.result\}\n$/), destination: "/run/hashilab-gate-tokens/nomad-token" },
      ]);
      expect(delivery.provisioner.at(-1)["remote-exec"].inline).toEqual([
        "set -eu",
        "trap 'rm -rf /run/hashilab-gate-tokens' EXIT",
        "install -d -o root -g root -m 0700 /var/lib/hashilab/secrets/gate",
        "install -o root -g root -m 0600 /run/hashilab-gate-tokens/consul-token /var/lib/hashilab/secrets/gate/consul-token",
        "install -o root -g root -m 0600 /run/hashilab-gate-tokens/nomad-token /var/lib/hashilab/secrets/gate/nomad-token",
      ]);
      // Only hashes of the secrets in the plan; a new secret re-delivers.
      expect(delivery.triggers_replace.tokens_sha256).toMatch(/^\$\{sha256\(join\(",", \[random_uuid\.AclBootstrap_HealthGateConsulTokenSecret_\w+\.result, random_uuid\.AclBootstrap_HealthGateNomadTokenSecret_\w+\.result\]\)\)\}$/);
    }
  });

  it("creates the rollout's Consul token with operator and keyring write only (leadership transfer, gossip keyring), and gives server hosts Nomad's management secret, which Nomad v2.0.5 requires to transfer leadership", async () => {
    const consulTokens = JSON.parse(localExec(resources["AclBootstrap_Consul_BEFA9394"]).environment.ACL_CONSUL_TOKENS);
    const rollout = consulTokens.find((t: any) => t.name === "rollout");
    expect(rollout).toEqual({
      name: "rollout",
      description: expect.any(String),
      rules: CONSUL_ROLLOUT_RULES,
      secretId: expect.stringMatching(/^\$\{random_uuid\.AclBootstrap_RolloutConsulTokenSecret_\w+\.result\}$/),
      agentTokenOn: [],
    });
    expect(await parseHcl(rollout.rules)).toEqual({ operator: "write", keyring: "write" });
    // No Nomad client token: transfer-leadership checks IsManagement (nomad/operator_endpoint.go).
    expect(JSON.parse(localExec(resources["AclBootstrap_Nomad_AC27DB49"]).environment.ACL_NOMAD_TOKENS).map((t: any) => t.name)).toEqual(["health-gate"]);
  });

  it("writes the rollout's tokens to root-only files on server hosts only, keyed by host name, after both bootstraps", () => {
    const deliveries = Object.entries<any>(resources).filter(([id]) => id.includes("RolloutTokens_"));
    expect(deliveries.map(([id]) => id.replace(/_[0-9A-F]{8}$/, ""))).toEqual(["AclBootstrap_RolloutTokens_Host-lab-server-1"]);
    const [[, delivery]] = deliveries;
    expect(delivery.connection).toMatchObject({ host: "203.0.113.10", user: "root", host_key: HOST_KEY });
    expect(delivery.depends_on).toEqual(["terraform_data.AclBootstrap_Nomad_AC27DB49", "terraform_data.AclBootstrap_Consul_BEFA9394"]);
    expect(delivery.provisioner.filter((p: any) => p.file).map((p: any) => p.file)).toEqual([
      { content: expect.stringMatching(/^\$\{random_uuid\.AclBootstrap_RolloutConsulTokenSecret_\w+\.result\}\n$/), destination: "/run/hashilab-rollout-tokens/consul-token" },
      { content: expect.stringMatching(/^\$\{random_uuid\.AclBootstrap_NomadManagementSecret_\w+\.result\}\n$/), destination: "/run/hashilab-rollout-tokens/nomad-token" },
    ]);
    expect(delivery.provisioner.at(-1)["remote-exec"].inline).toEqual([
      "set -eu",
      "trap 'rm -rf /run/hashilab-rollout-tokens' EXIT",
      `install -d -o root -g root -m 0700 ${HOST_PATHS.rolloutTokenDir}`,
      `install -o root -g root -m 0600 /run/hashilab-rollout-tokens/consul-token ${HOST_PATHS.rolloutConsulToken}`,
      `install -o root -g root -m 0600 /run/hashilab-rollout-tokens/nomad-token ${HOST_PATHS.rolloutNomadToken}`,
    ]);
  });

  it("keys every host's token delivery by the host's name, so removing a host re-delivers to no other", () => {
    const ids = Object.keys(resources).filter((id) => /_Host-/.test(id)).map((id) => id.replace(/_[0-9A-F]{8}$/, "")).sort();
    expect(ids).toEqual([
      "AclBootstrap_HealthGateTokens_Host-lab-client-1",
      "AclBootstrap_HealthGateTokens_Host-lab-server-1",
      "AclBootstrap_NomadAgentConsulToken_Host-lab-client-1",
      "AclBootstrap_NomadAgentConsulToken_Host-lab-server-1",
      "AclBootstrap_RolloutTokens_Host-lab-server-1",
    ]);
  });
});

it("takes the lab hosts' agents by cross-stack reference (the wiring stacks/environment.ts can use)", () => {
  if (lab.cluster.kind !== "hetzner") throw new Error("lab is a Hetzner environment");
  const cluster = lab.cluster;
  const stacks = synthApp((app) => {
    const hosts = new HostsStack(app, "lab-hosts", { env: lab, cluster });
    new AclStack(app, "lab-acl", { env: lab, endpoints: hosts.endpoints, hosts: hosts.cluster }).addDependency(hosts);
  });
  const resources = resourcesOf(stacks["lab-acl"], "terraform_data");
  const deliveries = Object.values<any>(resources).filter((r) => r.connection);
  // Per host: the Nomad agents' Consul token and the health gate's tokens; per server host (every lab host) the rollout's tokens.
  expect(deliveries).toHaveLength(3 * cluster.serverCount!);
  for (const d of deliveries) {
    expect(d.connection.host).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-lab-hosts\.outputs\.[^}]+\}$/);
    // Each host's pinned key comes from the hosts stack too.
    expect(d.connection.host_key).toMatch(/^\$\{trimspace\(data\.terraform_remote_state\.cross-stack-reference-input-lab-hosts\.outputs\.[^}]+SshHostKey[^}]+public_key_openssh\)\}$/);
  }
  const tokens = localExec(resources["AclBootstrap_Consul_BEFA9394"]).environment.ACL_CONSUL_TOKENS;
  expect(tokens.match(/https:\/\/\$\{data\.terraform_remote_state\.cross-stack-reference-input-lab-hosts[^}]+\}:8501/g)).toHaveLength(cluster.serverCount!);
  expect(localExec(resources["AclBootstrap_Nomad_AC27DB49"]).environment.ACL_CA_PEM).toContain("cross-stack-reference-input-lab-hosts");
  expect(scanStacksForSecrets(stacks)).toEqual([]);
});

describe("AclBootstrap", () => {
  const build = (props: Partial<ConstructorParameters<typeof AclBootstrap>[2]>) => {
    const stack = new TerraformStack(Testing.app(), "test");
    return new AclBootstrap(stack, "acl", { nomadAddress: "http://127.0.0.1:4646", consulAddress: "http://127.0.0.1:8500", ...props });
  };

  it("fails on an address with a path, naming the construct and the prop", () => {
    expect(() => build({ nomadAddress: "http://127.0.0.1:4646/v1" })).toThrow(
      /^test\/acl: invalid AclBootstrap:\n  - nomadAddress "http:\/\/127\.0\.0\.1:4646\/v1" is not an API address: give scheme, host and port without a path/,
    );
  });

  it("fails on an address without a scheme", () => {
    expect(() => build({ consulAgentAddresses: ["10.0.10.2:8500"] })).toThrow(/test\/acl: invalid AclBootstrap:\n  - consulAgentAddresses\[0\] "10\.0\.10\.2:8500" is not an API address/);
  });

  it("fails on an empty list of Consul agents", () => {
    expect(() => build({ consulAgentAddresses: [] })).toThrow(/test\/acl: invalid AclBootstrap:\n  - consulAgentAddresses is empty/);
  });

  it("fails with every problem at once, one per line", () => {
    expect(() => build({ nomadAddress: "127.0.0.1:4646", maxAttempts: 0 })).toThrow(
      /^test\/acl: invalid AclBootstrap:\n  - nomadAddress "127\.0\.0\.1:4646" is not an API address.*\n  - maxAttempts 0 must be/,
    );
  });

  it("fails to deliver the health gate's tokens to a host without a pinned host key, naming the construct and the host", () => {
    const acl = build({});
    const hosts = [
      { name: "lab-server-1", isServer: true, sshHost: { address: "203.0.113.10", hostKey: HOST_KEY } },
      { name: "lab-server-2", isServer: true, sshHost: { address: "203.0.113.11", hostKey: " " } },
    ];
    expect(() => acl.deliverHealthGateTokens(hosts)).toThrow(
      /^test\/acl\/HealthGateTokens: invalid health gate token delivery:\n  - hosts\[1\]\.hostKey is empty: Terraform would accept any host at that address/,
    );
  });

  it("fails to deliver tokens to hosts whose names collide or could not key a delivery, naming each", () => {
    const acl = build({});
    const host = (name: string) => ({ name, isServer: true, sshHost: { address: "203.0.113.10", hostKey: HOST_KEY } });
    expect(() => acl.deliverRolloutTokens([host("nuc1"), host("nuc1"), host("Nuc 2")])).toThrow(
      'test/acl/RolloutTokens: invalid rollout token delivery:\n  - hosts[1].name "nuc1" is also hosts[0]\'s: each host needs a name of its own\n' +
        '  - hosts[2].name "Nuc 2" is not a host name (lowercase letters, digits and "-"); it keys the host\'s delivery',
    );
  });

  it("fails on a maxAttempts that is not a positive whole number", () => {
    expect(() => build({ maxAttempts: 0 })).toThrow(/test\/acl: invalid AclBootstrap:\n  - maxAttempts 0 must be a whole number from 1 to 1000/);
  });
});

/**
 * The synthesized stack applied by the real terraform binary against stand-in APIs. Offline
 * there is no random provider, so its UUIDs become input variables; everything else
 * (terraform_data, local-exec, the environment, the copied script, outputs) is what synth wrote.
 */
describe("terraform apply of the acl stack", () => {
  let nomad: Running;
  let consul: Running;
  let dir: string;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    requireTool("terraform");
    nomad = await startFake("nomad");
    consul = await startFake("consul");
    dir = mkdtempSync(join(tmpdir(), "hashilab-acl-apply-"));
    const app = new App({ outdir: dir });
    new AclStack(app, "t-acl", { env: dev, endpoints: { nomadAddress: nomad.address, consulAddress: consul.address } });
    app.synth();
    const stackDir = join(dir, "stacks", "t-acl");
    const config = withUuidsAsVariables(JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")));
    for (const variable of Object.keys(config.variable)) secrets[variable] = randomUUID();
    writeFileSync(join(stackDir, "cdk.tf.json"), JSON.stringify(config, null, 2));
  });
  afterAll(async () => {
    await nomad?.close();
    await consul?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const terraform = async (...args: string[]) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: dir, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
    for (const [name, value] of Object.entries(secrets)) env[`TF_VAR_${name}`] = value;
    const { stdout, stderr } = await run("terraform", [...args, "-no-color"], { cwd: join(dir, "stacks", "t-acl"), env });
    return stdout + stderr;
  };
  const secretOf = (prefix: string) => Object.entries(secrets).find(([name]) => name.startsWith(prefix))![1];

  it("bootstraps both systems, creates the agent tokens, and never prints a secret", async () => {
    await terraform("init", "-input=false");
    const output = await terraform("apply", "-input=false", "-auto-approve");
    expect(output).toContain("bootstrapped the ACL system at");
    expect(nomad.api.bootstrapSecret).toBe(secretOf("AclBootstrap_NomadManagementSecret"));
    expect(consul.api.bootstrapSecret).toBe(secretOf("AclBootstrap_ConsulManagementSecret"));
    expect(consul.api.tokens.get(secretOf("AclBootstrap_NomadAgentConsulTokenSecret"))?.Policies).toEqual([{ Name: "nomad-agents" }]);
    expect(consul.api.agentTokens).toEqual([secretOf("AclBootstrap_ConsulAgentTokenSecret")]);
    // The health gate's tokens: operator read, and nothing else, in both systems.
    expect(consul.api.tokens.get(secretOf("AclBootstrap_HealthGateConsulTokenSecret"))?.Policies).toEqual([{ Name: "health-gate" }]);
    expect(consul.api.policies.get("health-gate")?.Rules).toBe('operator = "read"\n');
    expect(nomad.api.tokens.get(secretOf("AclBootstrap_HealthGateNomadTokenSecret"))).toMatchObject({
      AccessorID: secretOf("AclBootstrap_HealthGateNomadTokenAccessor"),
      Type: "client",
      Policies: ["health-gate"],
    });
    expect(nomad.api.policies.get("health-gate")?.Rules).toBe('operator {\n  policy = "read"\n}\n');
    for (const secret of Object.values(secrets)) expect(output).not.toContain(secret);
  });

  it("changes nothing on a second apply", async () => {
    nomad.api.requests.length = 0;
    consul.api.requests.length = 0;
    const output = await terraform("apply", "-input=false", "-auto-approve");
    expect(output).toContain("No changes.");
    expect([...nomad.api.requests, ...consul.api.requests]).toEqual([]);
  });

  it("prints the operator tokens only on request", async () => {
    const all = await terraform("output");
    expect(all).toMatch(/nomad_token = <sensitive>/);
    for (const secret of Object.values(secrets)) expect(all).not.toContain(secret);
    expect(await terraform("output", "-raw", "nomad_token")).toBe(secretOf("AclBootstrap_NomadManagementSecret"));
    expect(await terraform("output", "-raw", "consul_token")).toBe(secretOf("AclBootstrap_ConsulManagementSecret"));
  });

  it("re-runs the bootstrap for a new secret, which fails until the operator resets the ACL bootstrap", async () => {
    const variable = Object.keys(secrets).find((name) => name.startsWith("AclBootstrap_NomadManagementSecret"))!;
    secrets[variable] = randomUUID();
    const failed = await terraform("apply", "-input=false", "-auto-approve").catch((err) => err.stdout + err.stderr);
    expect(failed).toContain(`ACLs at ${nomad.address} were bootstrapped with a different token`);
    expect(failed).not.toContain(secrets[variable]);

    nomad.api.bootstrapSecret = undefined; // what the acl-bootstrap-reset file on the leader allows
    await terraform("apply", "-input=false", "-auto-approve");
    expect(nomad.api.bootstrapSecret).toBe(secrets[variable]);
    expect(await terraform("output", "-raw", "nomad_token")).toBe(secrets[variable]);
  });
});

/** Replaces the random provider (not installable offline) by variables of the same names. */
function withUuidsAsVariables(stack: StackJson): StackJson {
  const names = Object.keys(stack.resource.random_uuid);
  const config = JSON.parse(JSON.stringify(stack).replace(/random_uuid\.([\w-]+)\.result/g, "var.$1"));
  delete config.resource.random_uuid;
  delete config.provider;
  delete config.terraform.required_providers;
  config.terraform.backend = { local: { path: "terraform.tfstate" } };
  config.variable = Object.fromEntries(names.map((n) => [n, { type: "string" }]));
  return config;
}
