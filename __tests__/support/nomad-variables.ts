import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";

/**
 * A stand-in for Nomad's Variables API (GET and PUT /v1/var/<path>), rejecting what Nomad
 * v2.0.5 rejects: a wrong token (403), a missing variable (404), a body without Items or with
 * non-string items, a path outside `^[a-zA-Z0-9-_~/]{1,128}$` or items over 64 KiB
 * (nomad/structs/variables.go Validate), and a check-and-set whose index is not the variable's
 * ModifyIndex (0: it must not exist), answered 409 with the current variable
 * (command/agent/variable_endpoint.go variableUpsert).
 */
export interface StoredVariable {
  Namespace: string;
  Path: string;
  CreateIndex: number;
  ModifyIndex: number;
  Items: Record<string, string>;
}

export interface FakeNomadVariables {
  readonly server: Server;
  readonly variables: Map<string, StoredVariable>;
  /** Writes as another client would (raises the index). */
  put(namespace: string, path: string, items: Record<string, string>): StoredVariable;
  /** Called after each successful read, e.g. to write in between a read and a check-and-set. */
  afterRead?: (variable: StoredVariable | undefined) => void;
  close(): Promise<void>;
}

const VALID_PATH = /^[a-zA-Z0-9\-_~/]{1,128}$/;
const MAX_VARIABLE_SIZE = 65536;

export function startFakeNomadVariables(socketPath: string, token: string): Promise<FakeNomadVariables> {
  const variables = new Map<string, StoredVariable>();
  let index = 100;
  const key = (namespace: string, path: string) => `${namespace}\0${path}`;
  const fake: FakeNomadVariables = {
    server: undefined as unknown as Server,
    variables,
    put(namespace, path, items) {
      const existing = variables.get(key(namespace, path));
      const stored = { Namespace: namespace, Path: path, CreateIndex: existing?.CreateIndex ?? ++index, ModifyIndex: ++index, Items: items };
      variables.set(key(namespace, path), stored);
      return stored;
    },
    close: () => new Promise((resolve) => fake.server.close(() => resolve())),
  };
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": typeof body === "string" ? "text/plain" : "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, body: string, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.headers["x-nomad-token"] !== token) return reply(res, 403, "Permission denied");
    if (!url.pathname.startsWith("/v1/var/")) return reply(res, 404, "Invalid URL");
    const path = url.pathname.slice("/v1/var/".length);
    const namespace = url.searchParams.get("namespace") ?? "default";
    const current = variables.get(key(namespace, path));
    if (req.method === "GET") {
      fake.afterRead?.(current);
      return current ? reply(res, 200, current) : reply(res, 404, "variable not found");
    }
    if (req.method !== "PUT") return reply(res, 405, "Invalid method");
    let parsed: { Items?: unknown };
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      return reply(res, 400, String(error));
    }
    const items = parsed.Items;
    if (items === null || typeof items !== "object" || Object.keys(items).length === 0) return reply(res, 400, "variable missing required Items object");
    if (Object.values(items).some((v) => typeof v !== "string")) return reply(res, 400, "json: cannot unmarshal into Go struct field VariableDecrypted.Items of type string");
    if (!VALID_PATH.test(path)) return reply(res, 500, `invalid path "${path}"`);
    const size = Object.entries(items).reduce((n, [k, v]) => n + k.length + (v as string).length, 0);
    if (size > MAX_VARIABLE_SIZE) return reply(res, 500, "variables are limited to 64KiB in total size");
    const cas = url.searchParams.get("cas");
    if (cas !== null) {
      if (!/^\d+$/.test(cas)) return reply(res, 400, `can not parse cas: ${cas}`);
      if (Number(cas) !== (current?.ModifyIndex ?? 0)) return reply(res, 409, current ?? { Namespace: namespace, Path: path });
    }
    reply(res, 200, fake.put(namespace, path, items as Record<string, string>));
  };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => handle(req, body, res));
  });
  (fake as { server: Server }).server = server;
  return new Promise((resolve) => server.listen(socketPath, () => resolve(fake)));
}
