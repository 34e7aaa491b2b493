import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

/**
 * A stand-in for the few Nomad and Consul ACL endpoints scripts/acl-bootstrap.mjs calls,
 * answering with the status codes and messages of the real sources:
 * nomad/acl_endpoint.go (400 "ACL bootstrap already done (reset index: N)", 403 "ACL token not
 * found") and consul agent/acl_endpoint.go (403 "Permission denied: ACL bootstrap no longer
 * allowed (reset index: N)", 403 "ACL not found", 401 "ACL support disabled").
 * Listens on 127.0.0.1 only.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Consul's built-in global-management policy (agent/structs/acl.go). */
const CONSUL_GLOBAL_MANAGEMENT = "00000000-0000-0000-0000-000000000001";

export type System = "nomad" | "consul";

interface FakeToken {
  AccessorID: string;
  SecretID: string;
  Description: string;
  Policies: { Name?: string; ID?: string }[] | string[];
  Name?: string;
  Type?: string;
}

export class FakeAclApi {
  readonly requests: string[] = [];
  bootstrapSecret?: string;
  aclsEnabled = true;
  /** Answers 500 "No cluster leader" this many times first, like a cluster still electing. */
  leaderlessAnswers = 0;
  /** Called when a request arrives, before answering (lets a test look at the client meanwhile). */
  onRequest?: () => Promise<void>;
  readonly tokens = new Map<string, FakeToken>();
  readonly policies = new Map<string, { ID: string; Name: string; Description: string; Rules: string }>();
  readonly agentTokens: string[] = [];

  constructor(readonly system: System) {}

  get tokenHeader(): string {
    return this.system === "nomad" ? "x-nomad-token" : "x-consul-token";
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) body += chunk;
    this.requests.push(`${req.method} ${req.url}`);
    await this.onRequest?.();
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { "Content-Type": typeof payload === "string" ? "text/plain" : "application/json" });
      res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
    };
    if (!this.aclsEnabled) return reply(this.system === "consul" ? 401 : 400, "ACL support disabled");
    if (this.leaderlessAnswers > 0) {
      this.leaderlessAnswers--;
      return reply(500, "No cluster leader");
    }
    const token = this.tokens.get(String(req.headers[this.tokenHeader] ?? ""));
    // The bootstrap token, an uploaded Nomad management token, a Consul token with global-management.
    const isManagement =
      token !== undefined &&
      (token.SecretID === this.bootstrapSecret || token.Type === "management" || ((token.Policies ?? []) as { ID?: string }[]).some((p) => p.ID === CONSUL_GLOBAL_MANAGEMENT));
    const json = body ? JSON.parse(body) : {};
    const route = `${req.method} ${req.url}`;
    if (route === "PUT /v1/acl/bootstrap") {
      if (this.bootstrapSecret) {
        return this.system === "nomad"
          ? reply(400, "ACL bootstrap already done (reset index: 7)")
          : reply(403, "Permission denied: ACL bootstrap no longer allowed (reset index: 0)");
      }
      this.bootstrapSecret = json.BootstrapSecret ?? randomUUID();
      const created = this.addToken(this.bootstrapSecret!, "Bootstrap Token", []);
      return reply(200, created);
    }
    if (route === "GET /v1/acl/token/self") {
      return token ? reply(200, token) : reply(403, this.system === "nomad" ? "ACL token not found" : "ACL not found");
    }
    if (!isManagement) return reply(403, "Permission denied");
    const tokenDelete = req.url!.match(/^\/v1\/acl\/token\/(.+)$/);
    if (req.method === "DELETE" && tokenDelete) {
      const existing = [...this.tokens.values()].find((t) => t.AccessorID === tokenDelete[1]);
      // nomad/acl_endpoint.go DeleteTokens: 400 for an unknown accessor; Consul: 403 "ACL not found".
      if (!existing) return this.system === "nomad" ? reply(400, `Cannot delete nonexistent tokens: ${tokenDelete[1]}`) : reply(403, "ACL not found");
      this.tokens.delete(existing.SecretID);
      return reply(200, this.system === "nomad" ? "" : "true");
    }
    if (this.system === "nomad") return this.handleNomad(req.method!, req.url!, json, reply);
    // agent/acl_endpoint.go ACLTokenList: ?policy=<ID> keeps the tokens linked to that policy.
    const byPolicy = req.url!.match(/^\/v1\/acl\/tokens\?policy=(.+)$/);
    if (req.method === "GET" && byPolicy) {
      const policy = [...this.policies.values()].find((p) => p.ID === decodeURIComponent(byPolicy[1]));
      const linked = [...this.tokens.values()].filter((t) => (t.Policies as { Name?: string; ID?: string }[]).some((p) => p.ID === policy?.ID || p.Name === policy?.Name));
      return reply(200, linked.map(({ AccessorID, Description, Policies }) => ({ AccessorID, Description, Policies })));
    }
    const policyByName = req.url!.match(/^\/v1\/acl\/policy\/name\/(.+)$/);
    if (req.method === "GET" && policyByName) {
      const policy = this.policies.get(decodeURIComponent(policyByName[1]));
      return policy ? reply(200, policy) : reply(403, "ACL not found");
    }
    if (req.method === "PUT" && req.url!.startsWith("/v1/acl/policy")) {
      const policy = { ID: this.policies.get(json.Name)?.ID ?? randomUUID(), ...json };
      this.policies.set(json.Name, policy);
      return reply(200, policy);
    }
    if (route === "PUT /v1/acl/token") {
      return reply(200, this.addToken(json.SecretID, json.Description, json.Policies));
    }
    const tokenUpdate = req.url!.match(/^\/v1\/acl\/token\/(.+)$/);
    if (req.method === "PUT" && tokenUpdate) {
      const existing = [...this.tokens.values()].find((t) => t.AccessorID === tokenUpdate[1])!;
      Object.assign(existing, { Description: json.Description, Policies: json.Policies });
      return reply(200, existing);
    }
    if (route === "PUT /v1/agent/token/agent") {
      this.agentTokens.push(json.Token);
      return reply(200, "");
    }
    return reply(404, `no route ${route}`);
  }

  /** Nomad's policy upsert and token upload/update (command/agent/acl_endpoint.go, nomad/acl_endpoint.go). */
  private handleNomad(method: string, url: string, json: any, reply: (status: number, payload: unknown) => void): void {
    const policy = url.match(/^\/v1\/acl\/policy\/(.+)$/);
    if ((method === "POST" || method === "PUT") && policy) {
      if (json.Name !== decodeURIComponent(policy[1])) return reply(400, "ACL policy name does not match request path");
      this.policies.set(json.Name, { ID: json.Name, Name: json.Name, Description: json.Description, Rules: json.Rules });
      return reply(200, "");
    }
    if (method === "GET" && url === "/v1/acl/tokens") {
      return reply(200, [...this.tokens.values()].map(({ AccessorID, Name, Type }) => ({ AccessorID, Name, Type })));
    }
    const update = url.match(/^\/v1\/acl\/token(?:\/(.+))?$/);
    if ((method === "POST" || method === "PUT") && update) {
      if (update[1] !== undefined && update[1] !== json.AccessorID) return reply(400, "ACL token accessor does not match request path");
      const existing = [...this.tokens.values()].find((t) => t.AccessorID === json.AccessorID);
      if (!existing && !(UUID.test(json.AccessorID ?? "") && UUID.test(json.SecretID ?? ""))) return reply(400, `cannot find token ${json.AccessorID}`);
      if (json.Type === "client" && !json.Policies?.length) return reply(400, "token 0 invalid: client token missing policies");
      for (const name of json.Policies ?? []) if (!this.policies.has(name)) return reply(400, `token 0 invalid: policy ${name} does not exist`);
      // Nomad never changes an existing token's SecretID (state_store.go UpsertACLTokens).
      if (existing) this.tokens.delete(existing.SecretID);
      const secret = existing?.SecretID ?? json.SecretID;
      const token = { AccessorID: json.AccessorID, SecretID: secret, Description: "", Name: json.Name, Type: json.Type, Policies: json.Policies };
      this.tokens.set(secret, token);
      return reply(200, token);
    }
    return reply(404, `no route ${method} ${url}`);
  }

  private addToken(secret: string, description: string, policies: { Name?: string; ID?: string }[]): FakeToken {
    const token = { AccessorID: randomUUID(), SecretID: secret, Description: description, Policies: policies };
    this.tokens.set(secret, token);
    return token;
  }
}

export interface Running {
  readonly api: FakeAclApi;
  readonly address: string;
  close(): Promise<void>;
}

export async function listen(server: Server, api: FakeAclApi, scheme: string): Promise<Running> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    api,
    address: `${scheme}://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function startFake(system: System): Promise<Running> {
  const api = new FakeAclApi(system);
  return listen(createHttpServer((req, res) => void api.handle(req, res)), api, "http");
}

/** A port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

