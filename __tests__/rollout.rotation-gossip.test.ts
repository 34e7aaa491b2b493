import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { escapeTerraformTemplate } from "../constructs/core";
import { GOSSIP_ROTATION_SCRIPT } from "../constructs/hetzner-cluster";
import { RandomProvider, TlsProvider } from "../constructs/providers";
import { DELIVERED_FILES, HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { SshCluster } from "../constructs/ssh-cluster";
import { home, HetznerClusterConfig, lab, sshClusterProps } from "../environments";
import { rotationGenerations } from "../scripts/review/effects/rotation-generations";
import { buildCluster, synthCluster } from "./support/hetzner-cluster";
import { standInCommands, stopStandIns } from "./support/stand-in";
import { resourcesOf, StackJson, synthApp, synthEnvironment } from "./support/synth";
import { dependenciesOf, dependencyCycle, waitsFor } from "./support/terraform-graph";
import { requireTool } from "./support/tools";

const SCRIPT = join(__dirname, "..", "constructs", "hetzner-cluster", "files", GOSSIP_ROTATION_SCRIPT);
const before = synthCluster({ clientCount: 1 });
const rotating = synthCluster({ clientCount: 1, gossipKeyGeneration: 2 });

const dataNamed = (stack: StackJson, prefix: string) => Object.entries<any>(resourcesOf(stack, "terraform_data")).filter(([name]) => name.startsWith(prefix));
const keyIds = (stack: StackJson) => Object.keys(resourcesOf(stack, "random_bytes")).map((name) => name.replace(/_[0-9A-F]+$/, ""));
/** What a delivery uploads, by file name. */
const uploads = (config: any): Record<string, string> =>
  Object.fromEntries(config.provisioner.filter((p: any) => p.file).map((p: any) => [p.file.destination.split("/").pop(), p.file.content]));
/** The reference to a key's value (the HCL renderer escapes it, so only the reference is compared). */
const keyRef = (stack: StackJson, id: string) => `random_bytes.${Object.keys(resourcesOf(stack, "random_bytes")).find((n) => n.startsWith(`Cluster_${id}_`))}.base64`;
const referencedKeys = (text: string | undefined) => text?.match(/random_bytes\.[\w-]+\.base64/g);

describe("gossip key rotation: a change of gossipKeyGeneration, delivered host by host, then one keyring step", () => {
  it("renders no step at generation 1 and keeps the keys' ids, so an existing cluster's plan is empty", () => {
    expect(keyIds(before)).toEqual(["Cluster_ConsulGossipKey", "Cluster_NomadGossipKey"]);
    expect(dataNamed(before, "Cluster_GossipKeyRotation")).toEqual([]);
    expect(synthCluster({ clientCount: 1, gossipKeyGeneration: 1 })).toEqual(before);
  });

  it("creates new keys for a new generation, which every host's own delivery carries (Nomad's to servers only)", () => {
    expect(keyIds(rotating)).toEqual(["Cluster_ConsulGossipKey-2", "Cluster_NomadGossipKey-2"]);
    for (const host of ["Server-1", "Server-2", "Server-3", "Client-1"]) {
      const [[, delivery]] = dataNamed(rotating, `Cluster_${host.replace("-", "Secrets-")}_Delivery_`);
      const files = uploads(delivery);
      expect([host, referencedKeys(files[DELIVERED_FILES.consulGossip])]).toEqual([host, [keyRef(rotating, "ConsulGossipKey-2")]]);
      expect([host, referencedKeys(files[DELIVERED_FILES.nomadGossip])]).toEqual([host, host.startsWith("Server") ? [keyRef(rotating, "NomadGossipKey-2")] : undefined]);
    }
  });

  it("runs the keyring step once per generation on the first server, after every host's delivery", () => {
    const [[name, step]] = dataNamed(rotating, "Cluster_GossipKeyRotation_");
    expect(step.triggers_replace).toEqual({ gossip_key_generation: "2" });
    const graph = dependenciesOf(rotating);
    const deliveries = dataNamed(rotating, "Cluster_").filter(([n]) => /_(Server|Client)Secrets-\d+_Delivery_/.test(n));
    expect(deliveries).toHaveLength(4);
    for (const [delivery] of deliveries) expect([delivery, waitsFor(graph, `terraform_data.${name}`, `terraform_data.${delivery}`)]).toEqual([delivery, true]);
    expect(dependencyCycle(rotating)).toBeUndefined();
    const [[, server1]] = dataNamed(rotating, "Cluster_ServerSecrets-1_Delivery_");
    expect(step.connection).toEqual(server1.connection);
    const [, upload, run] = step.provisioner;
    expect(upload.file.content).toBe(escapeTerraformTemplate(readFileSync(SCRIPT, "utf8")));
    expect(run["remote-exec"].inline).toEqual([`bash ${upload.file.destination}`]);
    expect(upload.file.destination.startsWith(HOST_PATHS.secretsDir)).toBe(false);
  });

  it("runs the same step on an SshCluster's first server", () => {
    if (home.cluster.kind !== "ssh") throw new Error("home is a LAN (ssh) environment");
    const props = { ...sshClusterProps(home, home.cluster), name: "test", gossipKeyGeneration: 3 };
    const stack = synthApp((app: App) => {
      const scope = new TerraformStack(app, "test");
      new TlsProvider(scope, "tls", {});
      new RandomProvider(scope, "random", {});
      new SshCluster(scope, "Cluster", props);
    }).test;
    expect(keyIds(stack)).toEqual(["Cluster_ConsulGossipKey-3", "Cluster_NomadGossipKey-3"]);
    const [[name, step]] = dataNamed(stack, "Cluster_GossipKeyRotation_");
    expect(step.triggers_replace).toEqual({ gossip_key_generation: "3" });
    expect(step.connection.host).toBe(props.hosts.find((h) => h.role !== "client")?.address);
    const graph = dependenciesOf(stack);
    for (const [delivery] of dataNamed(stack, "Cluster_HostSecrets-")) expect(waitsFor(graph, `terraform_data.${name}`, `terraform_data.${delivery}`)).toBe(true);
  });

  it.each([0, -1, 1.5, Number.NaN, 1001])("fails for gossipKeyGeneration %p, naming the field and the fix", (generation) => {
    expect(() => buildCluster({ gossipKeyGeneration: generation })).toThrow(
      new RegExp(`^test/Cluster: invalid gossip keys:\\n  - gossipKeyGeneration ${generation} must be a whole number from 1 to 1000; raise it by exactly one to rotate the gossip keys$`),
    );
  });
});

describe("npm run review and gossipKeyGeneration", () => {
  const withGeneration = (gossipKeyGeneration: number) => synthEnvironment({ ...lab, cluster: { ...(lab.cluster as HetznerClusterConfig), gossipKeyGeneration } });
  const one = withGeneration(1);
  const two = withGeneration(2);

  it("lets the generation move up, by one or more (each generation's keys replace every other)", () => {
    expect(rotationGenerations({ before: one, after: two, stacks: [] })).toEqual([]);
    expect(rotationGenerations({ before: one, after: withGeneration(4), stacks: [] })).toEqual([]);
  });

  it("fails a change that lowers it, naming the field and the fix", () => {
    expect(rotationGenerations({ before: two, after: one, stacks: [] })).toEqual([
      {
        severity: "danger",
        refuses: true,
        text: "lab-hosts: gossipKeyGeneration goes from 2 to 1, but the keyring step runs only on a new generation above 1, so going back delivers keys the cluster never installs (a rebuilt host would start with one and not join); raise it to 3 instead (a rotation only moves forward).",
      },
    ]);
  });
});

// A server host's files and a stand-in cluster behind stub `consul` and `nomad` CLIs.
const OLD = { consul: "b2xkIGNvbnN1bCBrZXkgb2YgMzIgYnl0ZXMgLi4uLi4=", nomad: "b2xkIG5vbWFkIGtleSBvZiAzMiBieXRlcyAuLi4uLi4=" };
const NEW = { consul: "bmV3IGNvbnN1bCBrZXkgb2YgMzIgYnl0ZXMgLi4uLi4=", nomad: "bmV3IG5vbWFkIGtleSBvZiAzMiBieXRlcyAuLi4uLi4=" };
const TOKENS = { consul: "consul-rollout-token", nomad: "nomad-rollout-token" };

interface Member {
  name: string;
  server: boolean;
  keys: string[];
  primary: string;
}
interface FakeState {
  consul: { datacenter: string; members: Member[] };
  nomad: { members: Member[] };
  tokens: typeof TOKENS;
  lagging: string[];
  calls: string[];
}

function sandbox(options: { lagging?: string[]; tokens?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `gossip-rotation-${process.pid}-`));
  const secrets = join(dir, "root", HOST_PATHS.secretsDir);
  const write = (path: string, content: string) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, content);
  };
  write(join(dir, "root", HOST_PATHS.consulGossipConfig), `encrypt = "${NEW.consul}"\n`);
  write(join(dir, "root", HOST_PATHS.nomadGossipConfig), `server {\n  encrypt = "${NEW.nomad}"\n}\n`);
  if (options.tokens !== false) {
    write(join(dir, "root", HOST_PATHS.rolloutConsulToken), `${TOKENS.consul}\n`);
    write(join(dir, "root", HOST_PATHS.rolloutNomadToken), `${TOKENS.nomad}\n`);
  }
  const member = (name: string, server: boolean, key: string): Member => ({ name, server, keys: [key], primary: key });
  const state: FakeState = {
    consul: { datacenter: "dc1", members: [...["server-1", "server-2", "server-3"].map((n) => member(n, true, OLD.consul)), member("client-1", false, OLD.consul)] },
    nomad: { members: ["server-1", "server-2", "server-3"].map((n) => member(n, true, OLD.nomad)) },
    tokens: TOKENS,
    lagging: options.lagging ?? [],
    calls: [],
  };
  const stateFile = join(dir, "state.json");
  writeFileSync(stateFile, JSON.stringify(state));
  const bin = join(dir, "bin");
  const fake = join(__dirname, "support", "fake-gossip-cli.mjs");
  const reads = ["FAKE_GOSSIP_STATE", "CONSUL_HTTP_ADDR", "CONSUL_HTTP_TOKEN", "CONSUL_CACERT", "NOMAD_ADDR", "NOMAD_TOKEN", "NOMAD_CACERT"];
  const fakeEnv = standInCommands(fake, bin, ["consul", "nomad"], reads);
  const run = () => {
    const result = spawnSync("bash", [SCRIPT], {
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HASHILAB_ROOT: join(dir, "root"),
        HASHILAB_WAIT_ATTEMPTS: "3",
        HASHILAB_WAIT_INTERVAL_SECONDS: "0",
        FAKE_GOSSIP_STATE: stateFile,
        ...fakeEnv,
      },
    });
    return { code: result.status, stderr: result.stderr, state: JSON.parse(readFileSync(stateFile, "utf8")) as FakeState };
  };
  return { run, secrets, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe("hashilab-rotate-gossip.sh on a server host", () => {
  let box: ReturnType<typeof sandbox> | undefined;
  afterEach(() => box?.cleanup());
  afterAll(() => stopStandIns());

  it("passes shellcheck", () => {
    requireTool("shellcheck");
    expect(spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" }).stdout).toBe("");
  });

  it("installs the new keys on every member, makes them primary and removes the old ones, Consul then Nomad", () => {
    box = sandbox();
    const { code, stderr, state } = box.run();
    expect([code, stderr]).toEqual([0, expect.stringContaining("nomad: gossip key rotated")]);
    for (const agent of ["consul", "nomad"] as const) {
      for (const m of state[agent].members) expect([agent, m.name, m.keys, m.primary]).toEqual([agent, m.name, [NEW[agent]], NEW[agent]]);
    }
    expect(state.calls).toEqual(["consul install", "consul use", "consul remove", "nomad install", "nomad use", "nomad remove"]);
  });

  it("changes nothing when run again", () => {
    box = sandbox();
    box.run();
    const again = box.run();
    expect(again.code).toBe(0);
    expect(again.state.calls).toEqual(["consul install", "consul use", "consul remove", "nomad install", "nomad use", "nomad remove"]);
    expect(again.stderr).toMatch(/consul: every member holds only the new gossip key; nothing to do[\s\S]*nomad: every member holds only the new gossip key; nothing to do/);
  });

  it("fails, the old key still primary everywhere, when a member never gets the new key, showing what it saw", () => {
    box = sandbox({ lagging: ["client-1"] });
    const { code, stderr, state } = box.run();
    expect(code).toBe(1);
    expect(stderr).toContain("consul: not every member holds the new gossip key after 3 attempts; the old key stays primary. The last install said: error: 1/4 nodes reported failure");
    // Each key by its fingerprint only: the keys themselves are secrets and this is Terraform's output.
    const fingerprint = (key: string) => createHash("sha256").update(key).digest("hex").slice(0, 12);
    expect(stderr).toContain(`${fingerprint(NEW.consul)} 3 4`);
    expect(stderr).toContain(`${fingerprint(OLD.consul)} 4 4`);
    expect(stderr).not.toContain(NEW.consul);
    expect(stderr).not.toContain(OLD.consul);
    expect(state.calls).toEqual(["consul install", "consul install", "consul install"]);
    for (const m of state.consul.members) expect(m.primary).toBe(OLD.consul);
    expect(state.nomad.members.map((m) => m.keys)).toEqual([[OLD.nomad], [OLD.nomad], [OLD.nomad]]);
  });

  it("fails before any change without the rollout tokens, saying where they come from", () => {
    box = sandbox({ tokens: false });
    const { code, stderr, state } = box.run();
    expect(code).toBe(1);
    expect(stderr).toMatch(/no rollout token at .*\/rollout\/consul-token: deploy the acl stack, which delivers it, then deploy the hosts again/);
    expect(state.calls).toEqual([]);
  });

  it("fails, saying what Nomad answered, when Nomad refuses the token (its `operator api` exits 0 on a 403)", () => {
    box = sandbox();
    writeFileSync(join(box.secrets, "rollout", "nomad-token"), "a-token-nomad-does-not-know\n");
    const { code, stderr, state } = box.run();
    expect([code, stderr]).toEqual([1, expect.stringContaining("hashilab: nomad: the keyring list answered: Permission denied")]);
    expect(state.calls.filter((c) => c.startsWith("nomad"))).toEqual([]);
    expect(state.nomad.members.map((m) => m.primary)).toEqual([OLD.nomad, OLD.nomad, OLD.nomad]);
  });

  it("fails when a delivered gossip file holds no key", () => {
    box = sandbox();
    writeFileSync(join(box.secrets, "consul.d", "gossip.hcl"), "encrypt = \"\"\n");
    const { code, stderr, state } = box.run();
    expect([code, stderr]).toEqual([1, expect.stringMatching(/consul\.d\/gossip\.hcl holds no encrypt = "<key>"/)]);
    expect(state.calls).toEqual([]);
  });
});
