// A stand-in for the commands scripts/ops/ call (nomad, consul, curl, ssh, terraform, npm),
// answering from one cluster kept in the JSON file $FAKE_CLUSTER: the handler of their
// stand-in server (support/stand-in-server.mjs, started by support/ops-project.ts). Messages
// are the real ones, from the sources at the pinned versions: Nomad 2.0.5 command/*.go and
// nomad/acl_endpoint.go (Bootstrap), Consul 1.21.5 command/* and
// agent/consul/acl_endpoint.go (BootstrapACL); an API error prints as the Go clients print it,
// "Unexpected response code: <status> (<body>)". Like the real servers, a restore needs a
// management token, replaces every token with the snapshot's, and a bootstrap after the first
// needs the reset index in acl-bootstrap-reset where the leader reads it. `terraform state
// pull` runs the real terraform: the server's PATH is the test's, without the stand-ins.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

/** The call being answered (stand-in-server.mjs), with the cluster it reads and changes. */
let call;
const save = () => writeFileSync(call.env.FAKE_CLUSTER, JSON.stringify(call.cluster, null, 2));
const out = (text) => call.out(text);
const fail = (text, code) => call.fail(text, code);
const apiError = (status, body) => `Unexpected response code: ${status} (${body})`;
const management = (system, token) => call.cluster[system].tokens.includes(token);
/** Ends the call as the process `run` ended, with what it printed. */
function exitWith(run) {
  call.stdout += run.stdout;
  call.stderr += run.stderr;
  call.exit(run.status ?? 1);
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
    return call.write(value);
  }
  if (sub === "init") return out("Terraform has been successfully initialized!");
  if (sub === "plan") {
    const plan = cluster.plans[stack] ?? { resource_changes: [] };
    const planFile = rest.find((a) => a.startsWith("-out=")).slice("-out=".length);
    writeFileSync(`cdktf.out/stacks/${stack}/${planFile}`, JSON.stringify(plan));
    const changes = plan.resource_changes.filter((c) => !c.change.actions.every((a) => a === "no-op"));
    out(changes.length ? `Plan: ${changes.length} to change.` : "No changes. Your infrastructure matches the configuration.");
    call.exit(changes.length ? 2 : 0);
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

export function answer(standInCall) {
  call = standInCall;
  call.cluster = JSON.parse(readFileSync(call.env.FAKE_CLUSTER, "utf8"));
  call.cluster.log.push([call.command, ...call.args].join(" "));
  save();
  if (!commands[call.command]) fail(`fake-cluster: no command ${call.command}`, 99);
  commands[call.command]();
}
