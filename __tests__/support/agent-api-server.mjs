// A stand-in for the HTTPS APIs of the Nomad and Consul agents of a cluster, for the health
// gate's tests: node agent-api-server.mjs CERT KEY CONTROL_DIR, in a network namespace of its
// own that every gate run of a test file enters (support/agent-apis.ts runGate).
// Before each run the test renames CONTROL_DIR/scenario.json into place: { id, routes, log },
// routes mapping "ip:port" to { "path?query": { status, body } }. The server then listens on
// exactly those addresses (any other refuses connections, as an agent that is down), appends
// each request to `log` as a JSON line (address, path, the token headers it carried) and
// writes the scenario's id to CONTROL_DIR/applied. Every listener shares one certificate (its
// SANs name every address). CONTROL_DIR/ready holds the server's pid once it watches.
import { appendFileSync, readFileSync, renameSync, watch, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { join } from "node:path";

const [certFile, keyFile, controlDir] = process.argv.slice(2);
const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };

/** The scenario being served, and a listener for each of its addresses. */
let scenario = { id: undefined, routes: {}, log: undefined };
const listeners = new Map();

function listen(address) {
  const [host, port] = address.split(":");
  const server = createServer(tls, (req, res) => {
    appendFileSync(
      scenario.log,
      JSON.stringify({ address, path: req.url, nomadToken: req.headers["x-nomad-token"], consulToken: req.headers["x-consul-token"] }) + "\n",
    );
    // Unknown paths answer like the agents' mux: 404 with a plain-text reason.
    const answer = scenario.routes[address][req.url] ?? { status: 404, body: "Invalid URL path: not a recorded endpoint" };
    res.writeHead(answer.status, { "Content-Type": answer.body.startsWith("{") || answer.body.startsWith("[") || answer.body.startsWith('"') ? "application/json" : "text/plain" });
    res.end(answer.body);
  });
  listeners.set(address, server);
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(Number(port), host, resolve);
  });
}

function unlisten(address) {
  const server = listeners.get(address);
  listeners.delete(address);
  return new Promise((resolve) => server.close(resolve));
}

/** Serves the scenario in CONTROL_DIR/scenario.json, unless it is the one served already. */
async function apply() {
  let next;
  try {
    next = JSON.parse(readFileSync(join(controlDir, "scenario.json"), "utf8"));
  } catch {
    return; // not written yet
  }
  if (next.id === scenario.id) return;
  const wanted = new Set(Object.keys(next.routes));
  await Promise.all([...listeners.keys()].filter((address) => !wanted.has(address)).map(unlisten));
  scenario = next;
  await Promise.all([...wanted].filter((address) => !listeners.has(address)).map(listen));
  writeFileSync(join(controlDir, "applied.tmp"), String(next.id));
  renameSync(join(controlDir, "applied.tmp"), join(controlDir, "applied"));
}

let applying = Promise.resolve();
watch(controlDir, (_event, name) => {
  if (name !== "scenario.json") return;
  applying = applying.then(apply).catch((error) => {
    console.error(`agent-api-server: ${error.message}`);
    process.exit(1);
  });
});
writeFileSync(join(controlDir, "ready.tmp"), String(process.pid));
renameSync(join(controlDir, "ready.tmp"), join(controlDir, "ready"));
// The test file that started the server holds the other end of its stdin: it ends when that file's process does.
process.stdin.on("end", () => process.exit(0)).resume();
