import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { AclBootstrap, AclBootstrapProps } from "../constructs/acl-bootstrap";
import { RandomProvider } from "../constructs/providers";
import { HetznerClusterConfig, lab } from "../environments";
import { rotationGenerations } from "../scripts/review/effects/rotation-generations";
import { addEnvironment } from "../stacks/environment";
import { Running, startFake, System } from "./support/fake-acl-api";
import { resourcesOf, StackJson, synthApp, synthEnvironment } from "./support/synth";

const SCRIPT = join(__dirname, "..", "scripts", "acl-bootstrap.mjs");
const ADDRESSES: AclBootstrapProps = { nomadAddress: "https://203.0.113.10:4646", consulAddress: "https://203.0.113.10:8501" };

function synthBootstrap(props: Partial<AclBootstrapProps> = {}): StackJson {
  return synthApp((app) => {
    const stack = new TerraformStack(app, "acl");
    new RandomProvider(stack, "random", {});
    new AclBootstrap(stack, "AclBootstrap", { ...ADDRESSES, ...props });
  }).acl;
}

const uuids = (stack: StackJson) => resourcesOf(stack, "random_uuid");
const named = (stack: StackJson, id: string) => Object.entries<any>(uuids(stack)).find(([name]) => name.startsWith(`AclBootstrap_${id}_`)) ?? [];
const environmentOf = (stack: StackJson, system: "Nomad" | "Consul") =>
  (Object.entries<any>(resourcesOf(stack, "terraform_data")).find(([name]) => name.startsWith(`AclBootstrap_${system}_`)) as [string, any])[1].provisioner[0]["local-exec"].environment;

describe("token rotation by a generation change", () => {
  const first = synthBootstrap();

  it("keeps generation 1 as it was: the bootstrap secrets, no keepers, nothing to rotate from", () => {
    expect(Object.values<any>(uuids(first)).every((uuid) => uuid.keepers === undefined || Object.keys(uuid.keepers).every((k) => k === "secret_sha256"))).toBe(true);
    expect(environmentOf(first, "Nomad").ACL_PREVIOUS_BOOTSTRAP_SECRET).toBeUndefined();
    expect(synthEnvironment(lab)["lab-acl"].resource.random_uuid).toEqual(synthEnvironment({ ...lab, tokenGenerations: { management: 1, agents: 1 } })["lab-acl"].resource.random_uuid);
  });

  it("agents: a new keeper replaces the Consul agents', the Nomad agents' and the health gate's secrets (the gate's Nomad accessor with them)", () => {
    const second = synthBootstrap({ tokenGenerations: { agents: 2 } });
    for (const id of ["ConsulAgentTokenSecret", "NomadAgentConsulTokenSecret", "HealthGateConsulTokenSecret", "HealthGateNomadTokenSecret"]) {
      expect(named(second, id)[1].keepers).toEqual({ generation: "2" });
    }
    expect(named(second, "HealthGateNomadTokenAccessor")[1].keepers).toEqual({ secret_sha256: expect.stringContaining("HealthGateNomadTokenSecret") });
    expect(named(second, "NomadManagementSecret")).toEqual(named(first, "NomadManagementSecret"));
  });

  it("management: a new secret per generation, the previous one kept to create it with, and a new Nomad accessor", () => {
    const second = synthBootstrap({ tokenGenerations: { management: 2 } });
    const [previous] = named(first, "NomadManagementSecret");
    const [current] = named(second, "NomadManagementSecret-2");
    const nomad = environmentOf(second, "Nomad");
    expect(nomad.ACL_BOOTSTRAP_SECRET).toBe(`\${random_uuid.${current}.result}`);
    expect(nomad.ACL_PREVIOUS_BOOTSTRAP_SECRET).toBe(`\${random_uuid.${previous}.result}`);
    expect(nomad.ACL_MANAGEMENT_ACCESSOR).toMatch(/^\$\{random_uuid\.AclBootstrap_NomadManagementAccessor-2_\w+\.result\}$/);
    const consul = environmentOf(second, "Consul");
    expect(consul.ACL_PREVIOUS_BOOTSTRAP_SECRET).toMatch(/^\$\{random_uuid\.AclBootstrap_ConsulManagementSecret_\w+\.result\}$/);
    expect(consul.ACL_MANAGEMENT_ACCESSOR).toBeUndefined();
    // The next generation rotates from the second and drops the first.
    const third = synthBootstrap({ tokenGenerations: { management: 3 } });
    expect(named(third, "NomadManagementSecret")).toEqual([]);
    expect(environmentOf(third, "Nomad").ACL_PREVIOUS_BOOTSTRAP_SECRET).toBe(`\${random_uuid.${current}.result}`);
  });

  it("fails for tokenGenerations on a cluster someone else runs, which has no acl stack to rotate them", () => {
    const existing = { kind: "existing" as const, nomadAddress: "https://nomad.example.net:4646", consulAddress: "https://consul.example.net:8501", caCertPem: "", clients: { count: 1 }, operatorCidrs: ["198.51.100.7/32"] };
    expect(() => addEnvironment(new App(), { ...lab, cluster: existing, dns: { mode: "none" }, tokenGenerations: { management: 2 } })).toThrow(
      /tokenGenerations is set, but cluster\.kind "existing" has no acl stack that creates tokens: rotate the tokens you give in TF_VAR_nomad_token and TF_VAR_consul_token yourself, and remove tokenGenerations/,
    );
  });

  it.each([0, 1.5, Number.NaN])("fails for a token generation of %p, naming the field", (generation) => {
    expect(() => synthBootstrap({ tokenGenerations: { management: generation } })).toThrow(
      `acl/AclBootstrap: invalid AclBootstrap:\n  - tokenGenerations.management ${generation} must be a whole number from 1 to 1000; raise it by exactly one to rotate those tokens`,
    );
  });
});

/** Runs the bootstrap script as Terraform's local-exec does. */
function run(system: System, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT, system], { env: { PATH: process.env.PATH ?? "", ACL_MAX_ATTEMPTS: "2", ACL_RETRY_DELAY_MS: "10", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each<System>(["nomad", "consul"])("a management rotation against %s's ACL endpoints", (system) => {
  let fake: Running;
  afterEach(async () => fake?.close());
  const accessor: Record<string, string> = system === "nomad" ? { ACL_MANAGEMENT_ACCESSOR: randomUUID() } : {};

  it("creates the new management token with the previous one, deletes the previous one, and a re-run changes nothing", async () => {
    fake = await startFake(system);
    const previous = randomUUID();
    expect((await run(system, { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: previous })).code).toBe(0);
    const next = randomUUID();
    const rotation = { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: next, ACL_PREVIOUS_BOOTSTRAP_SECRET: previous, ...accessor };
    const rotated = await run(system, rotation);
    expect([rotated.code, rotated.stderr]).toEqual([0, ""]);
    expect(rotated.stdout).toMatch(/created the new management token \(accessor [0-9a-f-]+\) with the previous one\n.*deleted the previous management token/);
    expect(fake.api.tokens.has(previous)).toBe(false);
    expect(fake.api.tokens.has(next)).toBe(true);
    for (const secret of [previous, next]) expect(rotated.stdout + rotated.stderr).not.toContain(secret);

    const again = await run(system, rotation);
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining("already bootstrapped with this token; nothing to do")]);
    expect(again.stdout).not.toContain("deleted");
  });

  it("fails, changing nothing, when neither the new nor the previous secret is known (a restored snapshot, a wrong state)", async () => {
    fake = await startFake(system);
    const actual = randomUUID();
    await run(system, { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: actual });
    const failed = await run(system, { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: randomUUID(), ACL_PREVIOUS_BOOTSTRAP_SECRET: randomUUID(), ...accessor });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/bootstrapped with a different token/);
    expect([...fake.api.tokens.keys()]).toEqual([actual]);
  });
});

describe("npm run review and rotation generations", () => {
  const withGenerations = (ca: number, management: number) =>
    synthEnvironment({ ...lab, cluster: { ...(lab.cluster as HetznerClusterConfig), caGeneration: ca }, tokenGenerations: { management } });
  const one = withGenerations(1, 1);
  const judge = (after: Record<string, StackJson>) => rotationGenerations({ before: one, after, stacks: [] });

  it("lets a rotation move one generation up", () => {
    expect(judge(withGenerations(2, 2))).toEqual([]);
  });

  it("fails a change that skips a generation or goes back, naming the field and the fix", () => {
    expect(judge(withGenerations(3, 3))).toEqual([
      {
        severity: "danger",
        refuses: true,
        text: "lab-acl: tokenGenerations.management goes from 1 to 3, but the new management token is created with the previous generation's, which the cluster must know; raise it to 2, deploy, then to 3.",
      },
      {
        severity: "danger",
        refuses: true,
        text: "lab-hosts: caGeneration goes from 1 to 3, but the hosts trust only the generation before the new one while their certificates change; raise it to 2, deploy, then to 3.",
      },
    ]);
    const two = withGenerations(2, 1);
    expect(rotationGenerations({ before: two, after: one, stacks: [] }).map((f) => f.text)).toEqual([
      "lab-hosts: caGeneration goes from 2 to 1, but the hosts trust only the generation before the new one while their certificates change; raise it to 3 instead (a rotation only moves forward).",
    ]);
  });
});

describe("superseded agent tokens are deleted once every host holds the new ones", () => {
  const acl = synthEnvironment(lab)["lab-acl"];
  const data = resourcesOf(acl, "terraform_data");
  const find = (prefix: string) => Object.entries<any>(data).find(([name]) => name.startsWith(prefix)) as [string, any];

  it("runs the script again with ACL_RETIRE_SUPERSEDED after the Nomad agents' token deliveries, once per set of secrets", () => {
    const deliveries = Object.keys(data).filter((name) => name.startsWith("AclBootstrap_NomadAgentConsulToken_Host-")).sort();
    expect(deliveries).toHaveLength(3);
    for (const system of ["Nomad", "Consul"]) {
      const [, retire] = find(`AclBootstrap_${system}RetireSuperseded_`);
      const [bootstrapName, bootstrap] = find(`AclBootstrap_${system}_`);
      expect(retire.depends_on).toEqual([`terraform_data.${bootstrapName}`, ...deliveries.map((name) => `terraform_data.${name}`)]);
      expect(retire.triggers_replace).toEqual(bootstrap.triggers_replace);
      const env = retire.provisioner[0]["local-exec"].environment;
      expect(env).toEqual({ ...bootstrap.provisioner[0]["local-exec"].environment, ACL_RETIRE_SUPERSEDED: "1" });
    }
  });

  const tokens = (name: string, description: string, secretId: string, accessorId?: string) =>
    JSON.stringify([{ name, description, rules: 'node_prefix "" { policy = "write" }', secretId, ...(accessorId ? { accessorId } : {}), agentTokenOn: [] }]);

  it("consul: deletes the previous generation's token of a policy, keeps the current one and the management token", async () => {
    const fake = await startFake("consul");
    try {
      const management = randomUUID();
      const [old, current] = [randomUUID(), randomUUID()];
      const base = { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: management };
      await run("consul", { ...base, ACL_CONSUL_TOKENS: tokens("consul-agents", "Consul agents", old) });
      await run("consul", { ...base, ACL_CONSUL_TOKENS: tokens("consul-agents", "Consul agents", current) });
      expect([...fake.api.tokens.keys()].sort()).toEqual([management, old, current].sort());
      const retired = await run("consul", { ...base, ACL_CONSUL_TOKENS: tokens("consul-agents", "Consul agents", current), ACL_RETIRE_SUPERSEDED: "1" });
      expect([retired.code, retired.stderr]).toEqual([0, ""]);
      expect(retired.stdout).toMatch(/consul: deleted the superseded consul-agents token \(accessor [0-9a-f-]+\)/);
      expect([...fake.api.tokens.keys()].sort()).toEqual([management, current].sort());
      expect(fake.api.requests.filter((r) => r.startsWith("PUT /v1/acl/token"))).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it("nomad: deletes the previous health-gate token (another accessor), keeps the current one", async () => {
    const fake = await startFake("nomad");
    try {
      const management = randomUUID();
      const [old, current] = [[randomUUID(), randomUUID()], [randomUUID(), randomUUID()]];
      const base = { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: management };
      await run("nomad", { ...base, ACL_NOMAD_TOKENS: tokens("health-gate", "gate", old[0], old[1]) });
      await run("nomad", { ...base, ACL_NOMAD_TOKENS: tokens("health-gate", "gate", current[0], current[1]) });
      const retired = await run("nomad", { ...base, ACL_NOMAD_TOKENS: tokens("health-gate", "gate", current[0], current[1]), ACL_RETIRE_SUPERSEDED: "1" });
      expect([retired.code, retired.stderr]).toEqual([0, ""]);
      expect([...fake.api.tokens.keys()].sort()).toEqual([management, current[0]].sort());
    } finally {
      await fake.close();
    }
  });
});
