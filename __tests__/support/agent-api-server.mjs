// A stand-in for the HTTPS APIs of the Nomad and Consul agents of a cluster, for the health
// gate's tests: node agent-api-server.mjs SCENARIO.json CERT KEY READY LOG.
// SCENARIO maps "ip:port" to { "path?query": { status, body } }; every listener shares one
// certificate (its SANs name every address). Each request is appended to LOG as a JSON line
// (address, path, the token headers it carried); READY is created once all listen.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";

const [scenarioFile, certFile, keyFile, readyFile, logFile] = process.argv.slice(2);
const scenario = JSON.parse(readFileSync(scenarioFile, "utf8"));
const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };

const listening = Object.entries(scenario).map(
  ([address, routes]) =>
    new Promise((resolve, reject) => {
      const [host, port] = address.split(":");
      const server = createServer(tls, (req, res) => {
        appendFileSync(
          logFile,
          JSON.stringify({ address, path: req.url, nomadToken: req.headers["x-nomad-token"], consulToken: req.headers["x-consul-token"] }) + "\n",
        );
        // Unknown paths answer like the agents' mux: 404 with a plain-text reason.
        const answer = routes[req.url] ?? { status: 404, body: "Invalid URL path: not a recorded endpoint" };
        res.writeHead(answer.status, { "Content-Type": answer.body.startsWith("{") || answer.body.startsWith("[") || answer.body.startsWith('"') ? "application/json" : "text/plain" });
        res.end(answer.body);
      });
      server.on("error", reject);
      server.listen(Number(port), host, resolve);
    }),
);
Promise.all(listening).then(
  () => writeFileSync(readyFile, ""),
  (error) => {
    console.error(`agent-api-server: ${error.message}`);
    process.exit(1);
  },
);
