import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedPort, FakeAclApi, listen, Running, startFake, System } from "./support/fake-acl-api";
import { requireTool } from "./support/tools";

/** The bootstrap script, run as Terraform runs it, against a stand-in for the ACL endpoints. */
const SCRIPT = join(__dirname, "..", "scripts", "acl-bootstrap.mjs");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The child's command line as `ps` shows it (/proc/<pid>/cmdline), captured while it ran. */
  readonly cmdline: string;
}

/** Runs the script as Terraform's local-exec does: `node <script> <system>`, settings in the environment. */
function runScript(system: System, env: Record<string, string>, whileRunning?: FakeAclApi): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT, system], {
      env: { PATH: process.env.PATH ?? "", ACL_MAX_ATTEMPTS: "3", ACL_RETRY_DELAY_MS: "10", ...env },
    });
    let stdout = "";
    let stderr = "";
    let cmdline = "";
    if (whileRunning) {
      whileRunning.onRequest = async () => {
        cmdline ||= readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
      };
    }
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr, cmdline }));
  });
}

describe("scripts/acl-bootstrap.mjs", () => {
  let fake: Running;
  afterEach(async () => fake?.close());

  describe("nomad", () => {
    it("bootstraps with the caller's secret, and a re-run changes nothing", async () => {
      fake = await startFake("nomad");
      const secret = randomUUID();
      const first = await runScript("nomad", { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: secret });
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(`bootstrapped the ACL system at ${fake.address}`);
      expect(fake.api.bootstrapSecret).toBe(secret);

      fake.api.requests.length = 0;
      const again = await runScript("nomad", { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: secret });
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("already bootstrapped with this token; nothing to do");
      expect(fake.api.requests).toEqual(["PUT /v1/acl/bootstrap", "GET /v1/acl/token/self"]);
      expect(fake.api.bootstrapSecret).toBe(secret);
    });

    it("creates each listed policy and a client token with the caller's accessor and secret; a re-run leaves the token as it is", async () => {
      fake = await startFake("nomad");
      const secret = randomUUID();
      const spec = { name: "health-gate", description: "the gate", rules: 'operator {\n  policy = "read"\n}\n', accessorId: randomUUID(), secretId: randomUUID() };
      const env = { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: secret, ACL_NOMAD_TOKENS: JSON.stringify([spec]) };
      const first = await runScript("nomad", env);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(first.stdout).toContain("nomad: policy health-gate written; token health-gate created");
      expect(first.stdout).not.toContain(spec.secretId);
      expect(first.stdout).not.toContain(spec.accessorId);
      expect(fake.api.policies.get("health-gate")).toMatchObject({ Rules: spec.rules, Description: "the gate" });
      expect(fake.api.tokens.get(spec.secretId)).toMatchObject({ AccessorID: spec.accessorId, Type: "client", Policies: ["health-gate"], Name: "health-gate" });

      fake.api.requests.length = 0;
      const again = await runScript("nomad", env);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("token health-gate unchanged");
      expect(fake.api.requests.filter((r) => r.includes("/v1/acl/token") && !r.endsWith("/self"))).toEqual([]);
    });

    it("fails when a new secret comes with an accessor Nomad already has, which would keep the old secret", async () => {
      fake = await startFake("nomad");
      const secret = randomUUID();
      const spec = { name: "health-gate", description: "d", rules: "operator {}", accessorId: randomUUID(), secretId: randomUUID() };
      await runScript("nomad", { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: secret, ACL_NOMAD_TOKENS: JSON.stringify([spec]) });
      const rotated = { ...spec, secretId: randomUUID() };
      const run = await runScript("nomad", { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: secret, ACL_NOMAD_TOKENS: JSON.stringify([rotated]) });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("nomad: token health-gate's accessor already has another secret, which Nomad never changes; give a new accessorId with a new secretId");
      expect(run.stderr).not.toContain(rotated.secretId);
    });

    it("fails on a Nomad token list whose accessorId is not a UUID, without echoing the secret", async () => {
      fake = await startFake("nomad");
      const spec = { name: "health-gate", description: "d", rules: "r", accessorId: "gate", secretId: randomUUID() };
      const run = await runScript("nomad", { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: randomUUID(), ACL_NOMAD_TOKENS: JSON.stringify([spec]) });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("ACL_NOMAD_TOKENS[0].accessorId must be a UUID");
      expect(fake.api.requests).toEqual([]);
    });

    it("never shows the secret in its output or in its command line", async () => {
      fake = await startFake("nomad");
      const secret = randomUUID();
      const env = { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: secret };
      const runs = [await runScript("nomad", env, fake.api), await runScript("nomad", env, fake.api)];
      fake.api.bootstrapSecret = randomUUID();
      runs.push(await runScript("nomad", env, fake.api));
      for (const run of runs) {
        expect(run.cmdline).toBe(`${process.execPath} ${SCRIPT} nomad`);
        expect(run.stdout + run.stderr).not.toContain(secret);
      }
    });

    it("waits for a leader, with bounded retries", async () => {
      fake = await startFake("nomad");
      fake.api.leaderlessAnswers = 2;
      const run = await runScript("nomad", { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: randomUUID() });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/not ready \(no cluster leader yet\); attempt 1\/3/);
      expect(fake.api.requests.filter((r) => r === "PUT /v1/acl/bootstrap")).toHaveLength(3);
    });

    it("fails naming the URL when the API stays unreachable", async () => {
      const address = `http://127.0.0.1:${await closedPort()}`;
      const started = Date.now();
      const run = await runScript("nomad", { ACL_ADDRESS: address, ACL_BOOTSTRAP_SECRET: randomUUID(), ACL_MAX_ATTEMPTS: "2" });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${address}/v1/acl/bootstrap is unreachable after 2 attempts (ECONNREFUSED)`);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it("fails on a secret that is not a UUID, without echoing it", async () => {
      const run = await runScript("nomad", { ACL_ADDRESS: "http://127.0.0.1:1", ACL_BOOTSTRAP_SECRET: "hunter2" });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("ACL_BOOTSTRAP_SECRET must be a UUID");
      expect(run.stderr).not.toContain("hunter2");
    });

    it("fails with usage on a secret passed as an argument", async () => {
      const secret = randomUUID();
      const run = await new Promise<Run>((resolve) => {
        const child = spawn(process.execPath, [SCRIPT, "nomad", secret], { env: { PATH: process.env.PATH ?? "" } });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ code, stdout: "", stderr, cmdline: "" }));
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("usage: node acl-bootstrap.mjs nomad|consul");
    });
  });

  describe.each(["nomad", "consul"] as const)("%s", (system) => {
    it("fails when the cluster was bootstrapped with a different token", async () => {
      fake = await startFake(system);
      fake.api.bootstrapSecret = randomUUID();
      const run = await runScript(system, { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: randomUUID() });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${system}: ACLs at ${fake.address} were bootstrapped with a different token`);
      expect(run.stderr).toContain("answered 403");
    });

    it("fails when ACLs are disabled (e.g. consul agent -dev without an acl block), saying how to enable them", async () => {
      fake = await startFake(system);
      fake.api.aclsEnabled = false;
      const run = await runScript(system, { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: randomUUID() });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${system}: ACLs are disabled on ${fake.address}`);
      expect(run.stderr).toContain("acl { enabled = true }");
    });
  });

  describe("consul", () => {
    const agentPolicy = 'node_prefix "" {\n  policy = "write"\n}\n';

    it("bootstraps, creates the agent tokens with their chosen secrets and sets the agent token; a re-run changes nothing", async () => {
      fake = await startFake("consul");
      const secret = randomUUID();
      const agentSecret = randomUUID();
      const nomadSecret = randomUUID();
      const tokens = JSON.stringify([
        { name: "consul-agents", description: "Consul agents", rules: agentPolicy, secretId: agentSecret, agentTokenOn: [fake.address] },
        { name: "nomad-agents", description: "Nomad agents", rules: 'agent_prefix "" { policy = "read" }', secretId: nomadSecret },
      ]);
      const env = { ACL_ADDRESS: fake.address, ACL_BOOTSTRAP_SECRET: secret, ACL_CONSUL_TOKENS: tokens };
      const first = await runScript("consul", env);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(fake.api.bootstrapSecret).toBe(secret);
      expect(fake.api.policies.get("consul-agents")?.Rules).toBe(agentPolicy);
      expect(fake.api.tokens.get(agentSecret)?.Policies).toEqual([{ Name: "consul-agents" }]);
      expect(fake.api.tokens.get(nomadSecret)?.Policies).toEqual([{ Name: "nomad-agents" }]);
      expect(fake.api.agentTokens).toEqual([agentSecret]);
      expect(first.stdout).toContain("policy consul-agents created; token created");

      fake.api.requests.length = 0;
      const again = await runScript("consul", env);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("already bootstrapped with this token; nothing to do");
      expect(again.stdout).toContain("policy consul-agents unchanged; token unchanged");
      const writes = fake.api.requests.filter((r) => r.startsWith("PUT") && r !== "PUT /v1/acl/bootstrap");
      expect(writes).toEqual(["PUT /v1/agent/token/agent"]);
      for (const run of [first, again]) {
        for (const s of [secret, agentSecret, nomadSecret]) expect(run.stdout + run.stderr).not.toContain(s);
      }
    });

    it("updates a policy whose rules changed", async () => {
      fake = await startFake("consul");
      const secret = randomUUID();
      const spec = { name: "nomad-agents", description: "Nomad agents", rules: agentPolicy, secretId: randomUUID() };
      const env = (rules: string) => ({
        ACL_ADDRESS: fake.address,
        ACL_BOOTSTRAP_SECRET: secret,
        ACL_CONSUL_TOKENS: JSON.stringify([{ ...spec, rules }]),
      });
      await runScript("consul", env(agentPolicy));
      const run = await runScript("consul", env('service_prefix "" { policy = "write" }'));
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("policy nomad-agents updated; token unchanged");
      expect(fake.api.policies.get("nomad-agents")?.Rules).toBe('service_prefix "" { policy = "write" }');
    });

    it("fails on a token list whose secretId is not a UUID", async () => {
      const run = await runScript("consul", {
        ACL_ADDRESS: "http://127.0.0.1:1",
        ACL_BOOTSTRAP_SECRET: randomUUID(),
        ACL_CONSUL_TOKENS: JSON.stringify([{ name: "a", description: "b", rules: "c", secretId: "not-a-uuid" }]),
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("ACL_CONSUL_TOKENS[0].secretId must be a UUID");
    });
  });

  describe("https", () => {
    let dir: string;
    beforeAll(() => {
      requireTool("openssl");
      dir = mkdtempSync(join(tmpdir(), "hashilab-tls-"));
      const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
      const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
      for (const ca of ["ca", "other-ca"]) {
        ssl("req", "-x509", ...newKey, "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-days", "1", "-subj", `/CN=${ca}`);
      }
      /** Issues `<name>.pem`/`<name>.key` for the subject alternative names `san`, signed by `ca`. */
      const issue = (name: string, ca: string, san: string) => {
        writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
        ssl("req", ...newKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
        ssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "1", "-extfile", `${name}.ext`);
      };
      // Like HetznerCluster's: servers carry the server names, client-only hosts only their names and IPs.
      issue("server", "ca", "DNS:server.global.nomad,DNS:server.dc1.consul");
      issue("client-agent", "ca", "DNS:lab-client-1,IP:127.0.0.1");
      issue("rogue-agent", "other-ca", "DNS:lab-client-1,IP:127.0.0.1");
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** An HTTPS stand-in presenting the certificate `name`; agents of one cluster share `api`. */
    function startTls(api = new FakeAclApi("nomad"), name = "server"): Promise<Running> {
      const server = createHttpsServer(
        { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) },
        (req, res) => void api.handle(req, res),
      );
      return listen(server, api, "https");
    }

    /** Bootstraps the TLS stand-in, trusting the CA in `caFile`. */
    async function bootstrapTrusting(caFile: string) {
      fake = await startTls();
      return runScript("nomad", {
        ACL_ADDRESS: fake.address,
        ACL_BOOTSTRAP_SECRET: randomUUID(),
        ACL_CA_PEM: readFileSync(join(dir, caFile), "utf8"),
        ACL_TLS_SERVER_NAME: "server.global.nomad",
      });
    }

    it("verifies the agents' certificate with the given CA and server name", async () => {
      const run = await bootstrapTrusting("ca.pem");
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
    });

    it("fails at once, without retrying, on a certificate from another CA", async () => {
      const run = await bootstrapTrusting("other-ca.pem");
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`PUT ${fake.address}/v1/acl/bootstrap failed`);
      expect(run.stderr).toContain("check ACL_CA_PEM and ACL_TLS_SERVER_NAME");
      expect(run.stdout).not.toContain("retrying");
    });

    describe("a Consul cluster with a client-only agent", () => {
      let agent: Running;
      afterEach(async () => agent?.close());

      /** Bootstraps the server (verified by its server name) and sets the agent token on `agentCert`'s agent. */
      async function bootstrapWithAgent(agentCert: string) {
        const api = new FakeAclApi("consul");
        fake = await startTls(api);
        agent = await startTls(api, agentCert);
        const agentSecret = randomUUID();
        const run = await runScript("consul", {
          ACL_ADDRESS: fake.address,
          ACL_BOOTSTRAP_SECRET: randomUUID(),
          ACL_CA_PEM: readFileSync(join(dir, "ca.pem"), "utf8"),
          ACL_TLS_SERVER_NAME: "server.dc1.consul",
          ACL_CONSUL_TOKENS: JSON.stringify([
            { name: "consul-agents", description: "Consul agents", rules: "node_prefix \"\" {}", secretId: agentSecret, agentTokenOn: [fake.address, agent.address] },
          ]),
        });
        return { run, api, agentSecret };
      }

      it("verifies each agent against the IP in its address, which its certificate holds, not the server name", async () => {
        const { run, api, agentSecret } = await bootstrapWithAgent("client-agent");
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
        expect(api.agentTokens).toEqual([agentSecret, agentSecret]);
        expect(run.stdout).toContain(`${agent.address} uses the consul-agents token as its agent token`);
      });

      it("still refuses an agent whose certificate another CA signed, naming it, without retrying", async () => {
        const { run, api } = await bootstrapWithAgent("rogue-agent");
        expect(run.code).toBe(1);
        expect(run.stderr).toContain(`PUT ${agent.address}/v1/agent/token/agent failed`);
        expect(run.stdout).not.toContain("retrying");
        expect(api.agentTokens).toHaveLength(1);
      });
    });
  });
});
