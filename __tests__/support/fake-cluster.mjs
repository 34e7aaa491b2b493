// A stand-in for the commands scripts/ops/ call (nomad, consul, curl, ssh, terraform, npm),
// answering from one cluster kept in the JSON file $FAKE_CLUSTER. One server per test file
// (`node fake-cluster.mjs PORT_FILE`, started by support/ops-project.ts) answers every call:
// the commands are links to fake-cluster-client.sh, a bash client that sends its command line
// to this server over TCP, which costs a fraction of starting node for each call. Messages are
// the real ones, from the sources at the pinned versions: Nomad 2.0.5 command/*.go and
// nomad/acl_endpoint.go (Bootstrap), Consul 1.21.5 command/* and
// agent/consul/acl_endpoint.go (BootstrapACL); an API error prints as the Go clients print it,
// "Unexpected response code: <status> (<body>)". Like the real servers, a restore needs a
// management token, replaces every token with the snapshot's, and a bootstrap after the first
// needs the reset index in acl-bootstrap-reset where the leader reads it. `terraform state
// pull` runs the real terraform: the server's PATH is the test's, without the stand-ins.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * The call being answered: its command line, the variables the real CLIs read, its standard
 * input, and what it prints. The server answers one call at a time, synchronously.
 */
let call;
/** How a call ends: `fail` and the commands that exit with a status throw it. */
class Exit {
  constructor(code) {
    this.code = code;
  }
}

const save = () => writeFileSync(call.file, JSON.stringify(call.cluster, null, 2));
const write = (text) => (call.stdout += text);
const out = (text) => write(`${text}\n`);
function fail(text, code = 1) {
  call.stderr += `${text}\n`;
  throw new Exit(code);
}
const apiError = (status, body) => `Unexpected response code: ${status} (${body})`;
const management = (system, token) => call.cluster[system].tokens.includes(token);
/** Ends the call as the process `run` ended, with what it printed. */
function exitWith(run) {
  call.stdout += run.stdout;
  call.stderr += run.stderr;
  throw new Exit(run.status ?? 1);
}

/** Bootstrap with a caller-chosen secret: once, or again with the reset index in place. */
function bootstrap(system, secret) {
  const { cluster } = call;
  const s = cluster[system];
  if (s.bootstrapped) {
    const resetFile = cluster.resetFile[system];
    const specified = existsSync(resetFile) ? Number.parseInt(readFileSync(resetFile, "utf8"), 10) : 0;
    if (!specified) {
      return system === "nomad"
        ? apiError(400, `ACL bootstrap already done (reset index: ${s.resetIndex})`)
        : apiError(403, `Permission denied: ACL bootstrap no longer allowed (reset index: ${s.resetIndex})`);
    }
    if (specified !== s.resetIndex) return apiError(400, `Invalid bootstrap reset index (specified ${specified}, reset index: ${s.resetIndex})`);
    // Consul removes the file once it has read a valid index; Nomad leaves it.
    if (system === "consul") rmSync(resetFile);
  }
  s.tokens.push(secret);
  s.bootstrapped = true;
  s.resetIndex += 100;
  save();
  return undefined;
}

function snapshotCommand(system, verb, path) {
  const { cluster } = call;
  const token = system === "nomad" ? call.env.NOMAD_TOKEN : call.env.CONSUL_HTTP_TOKEN;
  if (verb === "inspect") {
    let snap;
    try {
      snap = JSON.parse(readFileSync(path, "utf8"));
    } catch {
      snap = undefined;
    }
    if (snap?.system !== system) fail(`Error inspecting snapshot: ${system === "nomad" ? "failed to read snapshot file: " : ""}gzip: invalid header`);
    return out(`ID           = 2-5-1764000000000\nSize         = 28183\nIndex        = ${snap.index}\nTerm         = 2\nVersion      = 1`);
  }
  if (!management(system, token)) {
    const denied = apiError(403, system === "nomad" ? "Permission denied" : "Permission denied: token with AccessorID '' lacks permission 'operator:write'");
    fail(system === "nomad" ? `Failed to get ${verb} snapshot: ${denied}` : `Error ${verb === "save" ? "saving" : "restoring"} snapshot: ${denied}`);
  }
  if (verb === "save") {
    writeFileSync(path, JSON.stringify({ system, ...cluster[system], index: 99 }));
    return out(system === "nomad" ? `State file written to ${path}` : "Saved and verified snapshot to index 99");
  }
  const snap = JSON.parse(readFileSync(path, "utf8"));
  delete snap.system;
  delete snap.index;
  cluster[system] = { ...snap, restoredFrom: path };
  save();
  out(system === "nomad" ? "Snapshot Restored" : "Restored snapshot");
}

function nomad() {
  const { args } = call;
  const words = args.join(" ");
  if (words.startsWith("operator snapshot ")) return snapshotCommand("nomad", args[2], args[3]);
  if (words === "acl token self") {
    if (!management("nomad", call.env.NOMAD_TOKEN)) fail(`Error fetching self token: ${apiError(403, "ACL token not found")}`);
    return out("Accessor ID  = 0b1b7c3f-3f4e-4ad7-8e80-8c0e3b2f7a11\nName         = Bootstrap Token\nType         = management\nGlobal       = true");
  }
  if (words === "acl bootstrap -") {
    const error = bootstrap("nomad", call.stdin.replace(/\n$/, ""));
    if (error) fail(`Error bootstrapping: ${error}`);
    return out("Accessor ID  = 5a8ec6a2-7a4b-4f0d-9a8b-9d2d2e7b6c01\nSecret ID    = <the secret>\nName         = Bootstrap Token");
  }
  fail(`fake nomad: unexpected command: nomad ${words}`, 99);
}

function consul() {
  const { args } = call;
  const words = args.join(" ");
  if (words.startsWith("snapshot ")) return snapshotCommand("consul", args[1], args[2]);
  if (words === "acl token read -self") {
    if (!management("consul", call.env.CONSUL_HTTP_TOKEN)) fail(`Error reading token: ${apiError(403, "ACL not found")}`);
    return out("AccessorID:       5f0b6b4e-8f4e-4c1e-9d0e-2b1e0c0f7a22\nDescription:      Bootstrap Token (Global Management)");
  }
  if (words === "acl bootstrap -") {
    const error = bootstrap("consul", call.stdin.trim());
    if (error) fail(`Failed ACL bootstrapping: ${error}`);
    return out("AccessorID:       6e2f1a3b-1c2d-4e5f-8a9b-0c1d2e3f4a5b\nSecretID:         <the secret>");
  }
  fail(`fake consul: unexpected command: consul ${words}`, 99);
}

/** curl [options] URL, with the token header read from stdin (--header @-). */
function curl() {
  const { args, cluster } = call;
  const url = new URL(args[args.length - 1]);
  const system = url.port === "4646" ? "nomad" : "consul";
  const method = args[args.indexOf("--request") + 1] ?? "GET";
  const path = `${url.pathname}${url.search ? decodeURIComponent(url.search) : ""}`;
  const token = args.includes("@-") ? call.stdin.replace(/^X-(Nomad|Consul)-Token: /, "").trim() : "";
  if (!management(system, token)) {
    out(system === "nomad" ? "ACL token not found" : "ACL not found");
    fail("curl: (22) The requested URL returned error: 403", 22);
  }
  const s = cluster[system];
  const routes = {
    "GET /v1/jobs?namespace=*": () => s.jobs.map((ID) => ({ ID })),
    "GET /v1/vars?namespace=*": () => s.vars.map((Path) => ({ Path })),
    "GET /v1/acl/policies": () => s.policies.map((Name) => ({ Name })),
    "GET /v1/catalog/services": () => Object.fromEntries(s.services.map((n) => [n, []])),
    "GET /v1/agent/members": () => cluster.members,
    "GET /v1/catalog/nodes": () => s.nodes,
    "PUT /v1/catalog/deregister": () => {
      const { Node } = JSON.parse(args[args.indexOf("--data") + 1]);
      s.nodes = s.nodes.filter((n) => n.Node !== Node);
      s.deregistered = [...(s.deregistered ?? []), Node];
      save();
      return true;
    },
  };
  const route = routes[`${method} ${path}`];
  if (!route) fail(`fake curl: unexpected request ${method} ${path}`, 99);
  out(JSON.stringify(route()));
}

/** ssh [options] root@IP COMMAND: runs COMMAND with the host's /opt under <hostsDir>/<IP>, unless the host is unreachable. */
function ssh() {
  const { args, cluster } = call;
  const host = args[args.length - 2].replace(/^root@/, "");
  if ((cluster.unreachable ?? []).includes(host)) fail(`ssh: connect to host ${host} port 22: Connection refused`, 255);
  const remote = args[args.length - 1].replaceAll("/opt/", `${cluster.hostsDir}/${host}/opt/`);
  exitWith(spawnSync("bash", ["-c", remote], { encoding: "utf8" }));
}

/** terraform -chdir=cdktf.out/stacks/<stack> <subcommand> ... */
function terraform() {
  const { args, cluster } = call;
  const stack = args[0].replace(/^-chdir=cdktf\.out\/stacks\//, "");
  const [sub, ...rest] = args.slice(1);
  if (sub === "state" && rest[0] === "pull") {
    exitWith(spawnSync("terraform", args, { encoding: "utf8" }));
  }
  if (sub === "state" && rest[0] === "list") return out((cluster.stateList[stack] ?? []).join("\n"));
  if (sub === "output") {
    const value = cluster.outputs[`${stack} ${rest[rest.length - 1]}`];
    if (value === undefined) fail(`╷\n│ Error: Output "${rest[rest.length - 1]}" not found\n╵`);
    return write(value);
  }
  if (sub === "init") return out("Terraform has been successfully initialized!");
  if (sub === "plan") {
    const plan = cluster.plans[stack] ?? { resource_changes: [] };
    const planFile = rest.find((a) => a.startsWith("-out=")).slice("-out=".length);
    writeFileSync(`cdktf.out/stacks/${stack}/${planFile}`, JSON.stringify(plan));
    const changes = plan.resource_changes.filter((c) => !c.change.actions.every((a) => a === "no-op"));
    out(changes.length ? `Plan: ${changes.length} to change.` : "No changes. Your infrastructure matches the configuration.");
    throw new Exit(changes.length ? 2 : 0);
  }
  if (sub === "show") return out(readFileSync(`cdktf.out/stacks/${stack}/${rest[1]}`, "utf8"));
  if (sub === "apply") {
    const replace = rest.find((a) => a.startsWith("-replace="));
    if (replace) {
      // The acl stack's bootstrap (scripts/acl-bootstrap.mjs): its own token, or a first bootstrap, then the agent tokens.
      const system = replace.includes("_Nomad_") ? "nomad" : "consul";
      const s = cluster[system];
      const secret = cluster.outputs[`${stack} ${system}_token`];
      if (!s.tokens.includes(secret)) {
        if (s.bootstrapped) fail(`acl-bootstrap: ${system}: ACLs were bootstrapped with a different token`);
        s.tokens.push(secret);
        s.bootstrapped = true;
      }
      s.agentTokens = true;
      save();
    }
    return out("Apply complete! Resources: 1 added, 0 changed, 1 destroyed.");
  }
  fail(`fake terraform: unexpected command: terraform ${args.join(" ")}`, 99);
}

const commands = { nomad, consul, curl, ssh, terraform, npm: () => undefined };

/** Answers one call in its working directory: the exit code, then what it printed. */
function answer({ command, args, cwd, env, stdin }) {
  process.chdir(cwd);
  const cluster = JSON.parse(readFileSync(env.FAKE_CLUSTER, "utf8"));
  call = { file: env.FAKE_CLUSTER, cluster, args, env, stdin, stdout: "", stderr: "" };
  cluster.log.push([command, ...args].join(" "));
  save();
  let code = 0;
  try {
    if (!commands[command]) fail(`fake-cluster: no command ${command}`, 99);
    commands[command]();
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    code = error.code;
  }
  return { code, stdout: call.stdout, stderr: call.stderr };
}

/**
 * A call as fake-cluster-client.sh sends it, NUL-terminated fields: the number of arguments,
 * the command and its arguments, the working directory, FAKE_CLUSTER, NOMAD_TOKEN,
 * CONSUL_HTTP_TOKEN, the length of standard input in bytes; then standard input. Undefined
 * until all of it has arrived.
 */
function parseCall(buffer) {
  const fields = [];
  let at = 0;
  const next = () => {
    const end = buffer.indexOf(0, at);
    if (end < 0) return false;
    fields.push(buffer.toString("utf8", at, end));
    at = end + 1;
    return true;
  };
  if (!next()) return undefined;
  const total = 1 + (Number(fields[0]) + 1) + 5;
  while (fields.length < total) if (!next()) return undefined;
  const [, command, ...args] = fields;
  const [cwd, FAKE_CLUSTER, NOMAD_TOKEN, CONSUL_HTTP_TOKEN, stdinBytes] = args.splice(-5);
  const end = at + Number(stdinBytes);
  if (buffer.length < end) return undefined;
  return { command, args, cwd, env: { FAKE_CLUSTER, NOMAD_TOKEN, CONSUL_HTTP_TOKEN }, stdin: buffer.toString("utf8", at, end) };
}

const [portFile] = process.argv.slice(2);
const server = createServer((socket) => {
  let received = Buffer.alloc(0);
  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk) => {
    received = Buffer.concat([received, chunk]);
    const request = parseCall(received);
    if (!request) return;
    let result;
    try {
      result = answer(request);
    } catch (error) {
      // A bug of the fake shows in the test's output, not as a hang.
      result = { code: 99, stdout: "", stderr: `fake-cluster: ${error.stack}\n` };
    }
    // The client reads the lengths in bytes, then exactly that many bytes of each stream.
    socket.end(`${result.code}\n${Buffer.byteLength(result.stdout)}\n${Buffer.byteLength(result.stderr)}\n${result.stdout}${result.stderr}`);
  });
});
server.listen(0, "127.0.0.1", () => {
  writeFileSync(`${portFile}.tmp`, String(server.address().port));
  renameSync(`${portFile}.tmp`, portFile);
});
// The test file that started the server holds the other end of its stdin: it ends when that file's process does.
process.stdin.on("end", () => process.exit(0)).resume();
