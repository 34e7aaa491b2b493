#!/usr/bin/env node
// Bootstraps the Nomad or Consul ACL system with a caller-chosen management secret, idempotently.
// Terraform runs it from a local-exec provisioner (constructs/acl-bootstrap); an operator can run
// it by hand the same way. Node 20+, no dependencies.
//
//   node scripts/acl-bootstrap.mjs nomad|consul
//
// Everything comes from the environment, so no secret is ever visible in `ps`:
//   ACL_ADDRESS           the API, e.g. https://203.0.113.10:4646 or http://127.0.0.1:8500
//   ACL_BOOTSTRAP_SECRET  the management token's SecretID (a UUID)            [secret]
//   ACL_PREVIOUS_BOOTSTRAP_SECRET  a management rotation: the previous management token's
//                         SecretID. When the ACLs already run with it, the script creates the
//                         new management token with it, then deletes it.          [secret]
//   ACL_MANAGEMENT_ACCESSOR  nomad only, with a rotation: the new management token's AccessorID
//                         (Nomad uploads a token only with both IDs chosen)
//   ACL_CA_PEM            PEM of the CA that signed the agents' certificates (https only)
//   ACL_TLS_SERVER_NAME   the name to verify ACL_ADDRESS's certificate against (default: the host)
//   ACL_MAX_ATTEMPTS      attempts while the API is unreachable or has no leader (default 30)
//   ACL_RETRY_DELAY_MS    first retry delay, doubled up to 10 s (default 1000)
//   ACL_CONSUL_TOKENS     consul only: JSON list of tokens to ensure after bootstrap   [secret]
//                         [{"name", "description", "rules", "secretId", "agentTokenOn": [addresses]}]
//                         Each gets a policy `name` with `rules` and a token with SecretID
//                         `secretId`; `agentTokenOn` lists Consul agents that use it as their
//                         agent token (PUT /v1/agent/token/agent, persisted by the agent). Each
//                         agent's certificate is verified against its own address's host (e.g.
//                         its IP), never ACL_TLS_SERVER_NAME: client agents' certificates rightly
//                         lack the server name (server.<dc>.consul).
//   ACL_RETIRE_SUPERSEDED "1": instead of creating the tokens, delete every token an agents rotation superseded: one
//                         with a listed token's name (Nomad) or description and policy (Consul)
//                         but another accessor. Terraform runs this once the new tokens reached
//                         every host (AclBootstrap.retireSupersededTokens).
//   ACL_NOMAD_TOKENS      nomad only: JSON list of client tokens to ensure after bootstrap [secret]
//                         [{"name", "description", "rules", "accessorId", "secretId"}]
//                         Each gets a policy `name` with `rules` and a client token with both IDs
//                         chosen by the caller (Nomad's ACL.UpsertTokens accepts an unknown
//                         AccessorID with a UUID SecretID as an upload, nomad/acl_endpoint.go).
import http from "node:http";
import https from "node:https";

const SYSTEMS = {
  nomad: {
    tokenHeader: "X-Nomad-Token",
    // nomad/acl_endpoint.go: 400 "ACL bootstrap already done (reset index: N)"
    alreadyBootstrapped: /ACL bootstrap already done/,
  },
  consul: {
    tokenHeader: "X-Consul-Token",
    // agent/acl_endpoint.go: 403 "Permission denied: ACL bootstrap no longer allowed (reset index: N)"
    alreadyBootstrapped: /ACL bootstrap no longer allowed/,
  },
};
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_RETRY_DELAY_MS = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class Failure extends Error {}

/** Words that must never reach stdout/stderr: every secret this run knows. */
const secrets = [];
const redact = (text) => secrets.reduce((t, s) => t.split(s).join("<redacted>"), String(text));
const log = (message) => process.stdout.write(`${redact(message)}\n`);

function env(name, fallback) {
  const value = process.env[name];
  if (value !== undefined && value !== "") return value;
  if (fallback !== undefined) return fallback;
  throw new Failure(`${name} is not set`);
}

function positiveInt(name, fallback) {
  const value = Number(env(name, String(fallback)));
  if (!Number.isInteger(value) || value < 1) throw new Failure(`${name} must be a positive integer`);
  return value;
}

/** Connection failures worth retrying while agents boot; TLS trust errors are not among them. */
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EAI_AGAIN", "ENOTFOUND", "EPIPE"]);

class Unreachable extends Error {}
/** What an attempt returns to ask for another try. */
const RETRY = Symbol("retry");

function request(tls, method, url, { token, tokenHeader, body } = {}) {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = { Accept: "application/json" };
  if (payload !== undefined) Object.assign(headers, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) });
  if (token) headers[tokenHeader] = token;
  const options = { method, headers, timeout: REQUEST_TIMEOUT_MS };
  if (target.protocol === "https:") Object.assign(options, { ca: tls.ca, servername: tls.serverName });
  return new Promise((resolve, reject) => {
    const req = client.request(target, options, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.on("error", (err) => {
      if (TRANSIENT_CODES.has(err.code)) reject(new Unreachable(`${err.code ?? err.message}`));
      else reject(new Failure(`${method} ${url} failed: ${err.message}${err.code?.startsWith("ERR_TLS") || /certificate/i.test(err.message) ? " (check ACL_CA_PEM and ACL_TLS_SERVER_NAME)" : ""}`));
    });
    req.end(payload);
  });
}

/** Calls `attempt` until it returns a value; retries while the API is unreachable or leaderless. */
async function withRetries(what, url, attempt, { maxAttempts, firstDelayMs }) {
  let delay = firstDelayMs;
  let lastReason = "";
  for (let n = 1; n <= maxAttempts; n++) {
    try {
      const result = await attempt();
      if (result !== RETRY) return result;
      lastReason = "no cluster leader yet";
    } catch (err) {
      if (!(err instanceof Unreachable)) throw err;
      lastReason = err.message;
    }
    if (n < maxAttempts) {
      log(`${what}: ${url} not ready (${lastReason}); attempt ${n}/${maxAttempts}, retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
    }
  }
  throw new Failure(`${what}: ${url} is unreachable after ${maxAttempts} attempts (${lastReason}). Is the agent running and the address right?`);
}

/** 5xx answers while a cluster elects its first leader are worth waiting for. */
const isStartingUp = (res) => res.status >= 500 && /leader|not yet initialized|ACL system/i.test(res.text);

async function bootstrap(system, ctx) {
  const { address, secret, tls, retry } = ctx;
  const url = `${address}/v1/acl/bootstrap`;
  const auth = { token: secret, tokenHeader: system.tokenHeader };
  const res = await withRetries(system.name, url, async () => {
    const r = await request(tls, "PUT", url, { body: { BootstrapSecret: secret } });
    return isStartingUp(r) ? RETRY : r;
  }, retry);
  if (res.status === 200) {
    const { AccessorID } = JSON.parse(res.text);
    log(`${system.name}: bootstrapped the ACL system at ${address} (management token accessor ${AccessorID})`);
    return;
  }
  if (/ACL support disabled/i.test(res.text)) {
    throw new Failure(`${system.name}: ACLs are disabled on ${address}; enable them in the agent configuration (acl { enabled = true }) and restart it`);
  }
  if (!system.alreadyBootstrapped.test(res.text)) {
    throw new Failure(`${system.name}: PUT ${url} answered ${res.status}: ${res.text.trim()}`);
  }
  const self = await request(tls, "GET", `${address}/v1/acl/token/self`, auth);
  if (self.status === 200 && JSON.parse(self.text).SecretID === secret) {
    log(`${system.name}: ACLs at ${address} were already bootstrapped with this token; nothing to do`);
    await retirePrevious(system, ctx);
    return;
  }
  if (ctx.previousSecret && (await rotateManagement(system, ctx))) return;
  throw new Failure(
    `${system.name}: ACLs at ${address} were bootstrapped with a different token (GET ${address}/v1/acl/token/self answered ${self.status}). ` +
      "Either set the existing management token as the bootstrap secret or reset the ACL bootstrap (see docs/operations.md).",
  );
}

/** Consul's built-in global-management policy (agent/structs/acl.go ACLPolicyGlobalManagementID). */
const CONSUL_GLOBAL_MANAGEMENT_POLICY_ID = "00000000-0000-0000-0000-000000000001";

/** The token whose secret is `secret`, or undefined when the ACL system does not know it. */
async function lookupSelf(system, ctx, secret) {
  const res = await request(ctx.tls, "GET", `${ctx.address}/v1/acl/token/self`, { token: secret, tokenHeader: system.tokenHeader });
  return res.status === 200 ? JSON.parse(res.text) : undefined;
}

/**
 * A management rotation: the ACLs run with the previous generation's token. Creates the new
 * management token with it (Nomad: an uploaded token of type management, nomad/acl_endpoint.go
 * UpsertTokens; Consul: a token with the global-management policy and the chosen SecretID),
 * then deletes the previous one (retirePrevious). False when the previous token is unknown too.
 */
async function rotateManagement(system, ctx) {
  const previous = await lookupSelf(system, ctx, ctx.previousSecret);
  if (!previous) return false;
  const auth = { token: ctx.previousSecret, tokenHeader: system.tokenHeader };
  const url = `${ctx.address}/v1/acl/token`;
  const body =
    system.name === "nomad"
      ? { AccessorID: env("ACL_MANAGEMENT_ACCESSOR"), SecretID: ctx.secret, Name: "hashilab management", Type: "management" }
      : { SecretID: ctx.secret, Description: "hashilab management", Policies: [{ ID: CONSUL_GLOBAL_MANAGEMENT_POLICY_ID }] };
  const res = await request(ctx.tls, system.name === "nomad" ? "POST" : "PUT", url, { ...auth, body });
  if (res.status !== 200) throw new Failure(`${system.name}: creating the new management token (${url}) answered ${res.status}: ${res.text.trim()}`);
  // Both answer with the token (Nomad: command/agent/acl_endpoint.go aclTokenUpdate returns out.Tokens[0]).
  const token = JSON.parse(res.text);
  if (token.SecretID !== ctx.secret) throw new Failure(`${system.name}: the new management token's accessor already has another secret, which ${system.name} never changes; raise the management generation again`);
  log(`${system.name}: created the new management token (accessor ${token.AccessorID}) with the previous one`);
  await retirePrevious(system, ctx);
  return true;
}

/** Deletes the previous generation's management token, once the new one works; nothing when it is gone already. */
async function retirePrevious(system, ctx) {
  if (!ctx.previousSecret || ctx.previousSecret === ctx.secret) return;
  const previous = await lookupSelf(system, ctx, ctx.previousSecret);
  if (!previous) return;
  const url = `${ctx.address}/v1/acl/token/${previous.AccessorID}`;
  const res = await request(ctx.tls, "DELETE", url, { token: ctx.secret, tokenHeader: system.tokenHeader });
  if (res.status !== 200) throw new Failure(`${system.name}: deleting the previous management token (DELETE ${url}) answered ${res.status}: ${res.text.trim()}`);
  log(`${system.name}: deleted the previous management token (accessor ${previous.AccessorID})`);
}

/**
 * A Consul API call with the management token. Only ACL_ADDRESS is verified against
 * ACL_TLS_SERVER_NAME; any other agent against the host in its own address.
 */
function consulRequest(ctx, method, path, body, address = ctx.address) {
  const tls = address === ctx.address ? ctx.tls : { ca: ctx.tls.ca };
  return request(tls, method, `${address}${path}`, { token: ctx.secret, tokenHeader: "X-Consul-Token", body });
}

async function expectOk(ctx, method, path, body, address) {
  const res = await consulRequest(ctx, method, path, body, address);
  if (res.status !== 200) throw new Failure(`consul: ${method} ${address ?? ctx.address}${path} answered ${res.status}: ${res.text.trim()}`);
  return JSON.parse(res.text);
}

/** Consul answers 403 "ACL not found" (older) or 404 for a missing policy or token. */
const isNotFound = (res) => res.status === 404 || (res.status === 403 && /not found/i.test(res.text));

async function ensurePolicy(ctx, spec) {
  const existing = await consulRequest(ctx, "GET", `/v1/acl/policy/name/${encodeURIComponent(spec.name)}`);
  const policy = { Name: spec.name, Description: spec.description, Rules: spec.rules };
  if (isNotFound(existing)) {
    await expectOk(ctx, "PUT", "/v1/acl/policy", policy);
    return "created";
  }
  if (existing.status !== 200) throw new Failure(`consul: reading policy ${spec.name} answered ${existing.status}: ${existing.text.trim()}`);
  const current = JSON.parse(existing.text);
  if (current.Rules === spec.rules && current.Description === spec.description) return "unchanged";
  await expectOk(ctx, "PUT", `/v1/acl/policy/${current.ID}`, policy);
  return "updated";
}

async function ensureToken(ctx, spec) {
  const self = await request(ctx.tls, "GET", `${ctx.address}/v1/acl/token/self`, { token: spec.secretId, tokenHeader: "X-Consul-Token" });
  const token = { Description: spec.description, Policies: [{ Name: spec.name }], SecretID: spec.secretId };
  if (isNotFound(self)) {
    const created = await expectOk(ctx, "PUT", "/v1/acl/token", token);
    return `created (accessor ${created.AccessorID})`;
  }
  if (self.status !== 200) throw new Failure(`consul: looking up token ${spec.name} answered ${self.status}: ${self.text.trim()}`);
  const current = JSON.parse(self.text);
  const policies = (current.Policies ?? []).map((p) => p.Name);
  if (current.Description === spec.description && policies.length === 1 && policies[0] === spec.name) {
    return `unchanged (accessor ${current.AccessorID})`;
  }
  // Consul keeps the SecretID when an update leaves it out (and refuses to change it).
  await expectOk(ctx, "PUT", `/v1/acl/token/${current.AccessorID}`, { AccessorID: current.AccessorID, Description: spec.description, Policies: token.Policies });
  return `updated (accessor ${current.AccessorID})`;
}

async function ensureConsulTokens(ctx, specs) {
  for (const spec of specs) {
    const policy = await ensurePolicy(ctx, spec);
    const token = await ensureToken(ctx, spec);
    log(`consul: policy ${spec.name} ${policy}; token ${token}`);
    for (const agent of spec.agentTokenOn ?? []) {
      const url = `${agent}/v1/agent/token/agent`;
      await withRetries("consul", url, async () => {
        const res = await consulRequest(ctx, "PUT", "/v1/agent/token/agent", { Token: spec.secretId }, agent);
        if (res.status !== 200) throw new Failure(`consul: PUT ${url} answered ${res.status}: ${res.text.trim()}`);
        return res;
      }, ctx.retry);
      log(`consul: ${agent} uses the ${spec.name} token as its agent token`);
    }
  }
}

/** A Nomad API call with the management token; Nomad answers in JSON or plain text. */
async function nomadOk(ctx, method, path, body) {
  const res = await request(ctx.tls, method, `${ctx.address}${path}`, { token: ctx.secret, tokenHeader: "X-Nomad-Token", body });
  if (res.status !== 200) throw new Failure(`nomad: ${method} ${ctx.address}${path} answered ${res.status}: ${res.text.trim()}`);
  return res.text ? JSON.parse(res.text) : null;
}

async function ensureNomadTokens(ctx, specs) {
  for (const spec of specs) {
    // command/agent/acl_endpoint.go: PUT/POST /v1/acl/policy/<name> creates or replaces it.
    await nomadOk(ctx, "POST", `/v1/acl/policy/${encodeURIComponent(spec.name)}`, { Name: spec.name, Description: spec.description, Rules: spec.rules });
    const token = { AccessorID: spec.accessorId, SecretID: spec.secretId, Name: spec.name, Type: "client", Policies: [spec.name] };
    const self = await request(ctx.tls, "GET", `${ctx.address}/v1/acl/token/self`, { token: spec.secretId, tokenHeader: "X-Nomad-Token" });
    let outcome;
    if (self.status === 403 && /ACL token not found/.test(self.text)) {
      const created = await nomadOk(ctx, "POST", "/v1/acl/token", token);
      // Nomad keeps an existing accessor's SecretID whatever the request says (state_store.go).
      if (created?.SecretID !== spec.secretId) throw new Failure(`nomad: token ${spec.name}'s accessor already has another secret, which Nomad never changes; give a new accessorId with a new secretId`);
      outcome = "created";
    } else if (self.status !== 200) {
      throw new Failure(`nomad: looking up token ${spec.name} answered ${self.status}: ${self.text.trim()}`);
    } else {
      const current = JSON.parse(self.text);
      if (current.AccessorID !== spec.accessorId) throw new Failure(`nomad: token ${spec.name}'s secret belongs to another accessor than the one given; delete that token (nomad acl token delete) and re-run`);
      const same = current.Name === spec.name && current.Type === "client" && (current.Policies ?? []).join() === spec.name;
      if (!same) await nomadOk(ctx, "POST", `/v1/acl/token/${spec.accessorId}`, token);
      outcome = same ? "unchanged" : "updated";
    }
    // Not the accessor: Terraform chose it with the secret, so it is kept out of the log alike.
    log(`nomad: policy ${spec.name} written; token ${spec.name} ${outcome}`);
  }
}

/** Consul: deletes the tokens of each spec's policy with its description but not its secret. */
async function retireConsulTokens(ctx, specs) {
  for (const spec of specs) {
    const current = await lookupSelf({ name: "consul", ...SYSTEMS.consul }, ctx, spec.secretId);
    if (!current) throw new Failure(`consul: token ${spec.name} does not exist; nothing is retired before it does`);
    const policy = await expectOk(ctx, "GET", `/v1/acl/policy/name/${encodeURIComponent(spec.name)}`);
    const linked = await expectOk(ctx, "GET", `/v1/acl/tokens?policy=${encodeURIComponent(policy.ID)}`);
    for (const token of linked.filter((t) => t.Description === spec.description && t.AccessorID !== current.AccessorID)) {
      await expectOk(ctx, "DELETE", `/v1/acl/token/${token.AccessorID}`);
      log(`consul: deleted the superseded ${spec.name} token (accessor ${token.AccessorID})`);
    }
  }
}

/** Nomad: deletes the client tokens with each spec's name but not its accessor. */
async function retireNomadTokens(ctx, specs) {
  const tokens = await nomadOk(ctx, "GET", "/v1/acl/tokens");
  for (const spec of specs) {
    for (const token of tokens.filter((t) => t.Name === spec.name && t.Type === "client" && t.AccessorID !== spec.accessorId)) {
      await nomadOk(ctx, "DELETE", `/v1/acl/token/${token.AccessorID}`);
      log(`nomad: deleted the superseded ${spec.name} token (accessor ${token.AccessorID})`);
    }
  }
}

function parseTokenSpecs(variable, text, ids) {
  let specs;
  try {
    specs = JSON.parse(text);
  } catch {
    throw new Failure(`${variable} is not valid JSON`);
  }
  if (!Array.isArray(specs)) throw new Failure(`${variable} must be a JSON list`);
  for (const [i, spec] of specs.entries()) {
    for (const field of ["name", "description", "rules", ...ids]) {
      if (typeof spec?.[field] !== "string" || spec[field] === "") throw new Failure(`${variable}[${i}].${field} must be a non-empty string`);
    }
    for (const id of ids) {
      if (!UUID.test(spec[id])) throw new Failure(`${variable}[${i}].${id} must be a UUID`);
    }
    for (const id of ids) secrets.push(spec[id]);
  }
  return specs;
}

async function main() {
  const name = process.argv[2];
  if (!(name in SYSTEMS) || process.argv.length !== 3) {
    throw new Failure("usage: node acl-bootstrap.mjs nomad|consul (settings come from ACL_* environment variables)");
  }
  const secret = env("ACL_BOOTSTRAP_SECRET");
  secrets.push(secret);
  if (!UUID.test(secret)) throw new Failure("ACL_BOOTSTRAP_SECRET must be a UUID (Nomad and Consul reject anything else)");
  const previousSecret = process.env.ACL_PREVIOUS_BOOTSTRAP_SECRET || undefined;
  if (previousSecret !== undefined) {
    secrets.push(previousSecret);
    if (!UUID.test(previousSecret)) throw new Failure("ACL_PREVIOUS_BOOTSTRAP_SECRET must be a UUID");
  }
  const ctx = {
    address: env("ACL_ADDRESS").replace(/\/+$/, ""),
    secret,
    previousSecret,
    tls: { ca: process.env.ACL_CA_PEM || undefined, serverName: process.env.ACL_TLS_SERVER_NAME || undefined },
    retry: { maxAttempts: positiveInt("ACL_MAX_ATTEMPTS", 30), firstDelayMs: positiveInt("ACL_RETRY_DELAY_MS", 1000) },
  };
  // The retirement runs after the bootstrap that created the tokens: it only deletes.
  const retire = process.env.ACL_RETIRE_SUPERSEDED === "1";
  if (name === "consul") {
    const specs = parseTokenSpecs("ACL_CONSUL_TOKENS", env("ACL_CONSUL_TOKENS", "[]"), ["secretId"]);
    await bootstrap({ name, ...SYSTEMS[name] }, ctx);
    if (retire) await retireConsulTokens(ctx, specs);
    else await ensureConsulTokens(ctx, specs);
  } else {
    const specs = parseTokenSpecs("ACL_NOMAD_TOKENS", env("ACL_NOMAD_TOKENS", "[]"), ["accessorId", "secretId"]);
    await bootstrap({ name, ...SYSTEMS[name] }, ctx);
    if (retire) await retireNomadTokens(ctx, specs);
    else await ensureNomadTokens(ctx, specs);
  }
}

main().catch((err) => {
  process.stderr.write(`acl-bootstrap: ${redact(err instanceof Failure ? err.message : err?.stack ?? err)}\n`);
  process.exit(1);
});
