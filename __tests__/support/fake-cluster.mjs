// A stand-in for the commands scripts/ops/ calls (nomad, consul, curl, ssh, terraform, npm),
// answering from one cluster kept in the JSON file $FAKE_CLUSTER. One server process answers
// every call of a test file: `node fake-cluster.mjs <port-file>` listens on 127.0.0.1 and
// writes its port to <port-file>; each command is a bash stub (support/ops-project.ts) that
// sends its arguments, working directory, stdin and the variables read here (FAKE_CLUSTER,
// NOMAD_TOKEN, CONSUL_HTTP_TOKEN, REAL_TERRAFORM), and prints the answer (a node process per
// call cost most of the restore tests' CPU). Messages are the real ones, from the sources at
// the pinned versions: Nomad 2.0.5 command/*.go and nomad/acl_endpoint.go (Bootstrap), Consul
// 1.21.5 command/* and agent/consul/acl_endpoint.go (BootstrapACL); an API error prints as the
// Go clients print it, "Unexpected response code: <status> (<body>)". Like the real servers, a restore
// needs a management token, replaces every token with the snapshot's, and a bootstrap after
// the first needs the reset index in acl-bootstrap-reset where the leader reads it.
// `terraform state pull` runs the real terraform ($REAL_TERRAFORM), and ssh a local bash: the
// stub runs them in its own place (exec), with its stdio.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";

// The call being answered (one at a time).
let file, cluster, command, args, env, input, stdout, stderr;
const save = () => writeFileSync(file, JSON.stringify(cluster, null, 2));

/** How a call ends: its exit code, or a real command the stub runs in its place. */
class Exit {
  constructor(code) {
    this.code = code;
  }
}
class Exec {
  constructor(argv) {
    this.argv = argv;
  }
}

const out = (text) => {
  stdout += `${text}\n`;
};
function fail(text, code = 1) {
  stderr += `${text}\n`;
  throw new Exit(code);
}
const apiError = (status, body) => `Unexpected response code: ${status} (${body})`;
const stdin = () => input;
const management = (system, token) => cluster[system].tokens.includes(token);

/** Bootstrap with a caller-chosen secret: once, or again with the reset index in place. */
function bootstrap(system, secret) {
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
  const token = system === "nomad" ? env.NOMAD_TOKEN : env.CONSUL_HTTP_TOKEN;
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
  const words = args.join(" ");
  if (words.startsWith("operator snapshot ")) return snapshotCommand("nomad", args[2], args[3]);
  if (words === "acl token self") {
    if (!management("nomad", env.NOMAD_TOKEN)) fail(`Error fetching self token: ${apiError(403, "ACL token not found")}`);
    return out("Accessor ID  = 0b1b7c3f-3f4e-4ad7-8e80-8c0e3b2f7a11\nName         = Bootstrap Token\nType         = management\nGlobal       = true");
  }
  if (words === "acl bootstrap -") {
    const error = bootstrap("nomad", stdin().replace(/\n$/, ""));
    if (error) fail(`Error bootstrapping: ${error}`);
    return out("Accessor ID  = 5a8ec6a2-7a4b-4f0d-9a8b-9d2d2e7b6c01\nSecret ID    = <the secret>\nName         = Bootstrap Token");
  }
  fail(`fake nomad: unexpected command: nomad ${words}`, 99);
}

function consul() {
  const words = args.join(" ");
  if (words.startsWith("snapshot ")) return snapshotCommand("consul", args[1], args[2]);
  if (words === "acl token read -self") {
    if (!management("consul", env.CONSUL_HTTP_TOKEN)) fail(`Error reading token: ${apiError(403, "ACL not found")}`);
    return out("AccessorID:       5f0b6b4e-8f4e-4c1e-9d0e-2b1e0c0f7a22\nDescription:      Bootstrap Token (Global Management)");
  }
  if (words === "acl bootstrap -") {
    const error = bootstrap("consul", stdin().trim());
    if (error) fail(`Failed ACL bootstrapping: ${error}`);
    return out("AccessorID:       6e2f1a3b-1c2d-4e5f-8a9b-0c1d2e3f4a5b\nSecretID:         <the secret>");
  }
  fail(`fake consul: unexpected command: consul ${words}`, 99);
}

/** curl [options] URL, with the token header read from stdin (--header @-). */
function curl() {
  const url = new URL(args[args.length - 1]);
  const system = url.port === "4646" ? "nomad" : "consul";
  const method = args[args.indexOf("--request") + 1] ?? "GET";
  const path = `${url.pathname}${url.search ? decodeURIComponent(url.search) : ""}`;
  const token = args.includes("@-") ? stdin().replace(/^X-(Nomad|Consul)-Token: /, "").trim() : "";
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
  const host = args[args.length - 2].replace(/^root@/, "");
  if ((cluster.unreachable ?? []).includes(host)) fail(`ssh: connect to host ${host} port 22: Connection refused`, 255);
  const remote = args[args.length - 1].replaceAll("/opt/", `${cluster.hostsDir}/${host}/opt/`);
  throw new Exec(["bash", "-c", remote]);
}

/** terraform -chdir=cdktf.out/stacks/<stack> <subcommand> ... */
function terraform() {
  const stack = args[0].replace(/^-chdir=cdktf\.out\/stacks\//, "");
  const [sub, ...rest] = args.slice(1);
  if (sub === "state" && rest[0] === "pull") {
    throw new Exec([env.REAL_TERRAFORM, ...args]);
  }
  if (sub === "state" && rest[0] === "list") return out((cluster.stateList[stack] ?? []).join("\n"));
  if (sub === "output") {
    const value = cluster.outputs[`${stack} ${rest[rest.length - 1]}`];
    if (value === undefined) fail(`╷\n│ Error: Output "${rest[rest.length - 1]}" not found\n╵`);
    stdout += value;
    return;
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

/** Answers one call, run in `cwd` with the environment `variables` and `stdinText`. */
function answer(cwd, variables, stdinText, argv) {
  env = variables;
  input = stdinText;
  [command, ...args] = argv;
  stdout = "";
  stderr = "";
  try {
    process.chdir(cwd);
    file = env.FAKE_CLUSTER;
    cluster = JSON.parse(readFileSync(file, "utf8"));
    cluster.log.push([command, ...args].join(" "));
    save();
    if (!commands[command]) fail(`fake-cluster: no command ${command}`, 99);
    commands[command]();
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (error instanceof Exit) return { code: error.code, stdout, stderr };
    if (error instanceof Exec) return { exec: error.argv };
    return { code: 1, stdout, stderr: `${stderr}${error.stack}\n` };
  }
}

// A request: its number of fields, then the working directory, stdin, the number of variables,
// each variable as NAME=value, the command and its arguments; each field ended by NUL. The
// answer: exit code, stdout and stderr; or "exec", the number of arguments and the arguments;
// each ended by NUL.
const server = createServer((socket) => {
  // A stub that exits without reading the whole answer resets the connection: nothing to do.
  socket.on("error", () => undefined);
  let received = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    received = Buffer.concat([received, chunk]);
    const fields = received.toString("utf8").split("\0");
    if (fields.length < Number(fields[0]) + 2) return;
    const [, cwd, stdinText, count, ...rest] = fields.slice(0, Number(fields[0]) + 1);
    const assignments = rest.splice(0, Number(count));
    const variables = Object.fromEntries(assignments.map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));
    const reply = answer(cwd, variables, stdinText, rest);
    const replyFields = "exec" in reply ? ["exec", reply.exec.length, ...reply.exec] : [reply.code, reply.stdout, reply.stderr];
    socket.end(replyFields.map((field) => `${field}\0`).join(""));
  });
});
// Written whole, then renamed: the test file waits for the port file to appear.
server.listen(0, "127.0.0.1", () => {
  writeFileSync(`${process.argv[2]}.tmp`, String(server.address().port));
  renameSync(`${process.argv[2]}.tmp`, process.argv[2]);
});
// Ends with the test file's process, which holds the other end of stdin.
process.stdin.on("end", () => process.exit(0)).resume();
