// A stand-in for the `consul` and `nomad` CLIs' gossip keyring commands (the handler of their
// stand-in server, support/stand-in-server.mjs), over a cluster kept in the JSON file
// $FAKE_GOSSIP_STATE:
//   { consul: { datacenter, members: [{ name, server, keys: [], primary }] }, nomad: { members: [...] },
//     tokens: { consul, nomad }, lagging: [member names that never receive an installed key], calls: [] }
// What it prints follows the real CLIs: Consul 1.21 command/keyring/keyring.go (an "==> " info
// line, then per pool "", "<pool>:", "  ===> <node>: <message>", "  <key> [<holding>/<members>]"); Nomad v2.0.5
// command/operator_gossip_keyring_*.go and, for `operator api -X GET /v1/agent/keyring/list`, the
// agent endpoint's body {"Messages":{},"Keys":{"<key>":n},"NumNodes":m}. Like serf's key
// manager, `use` fails where a member lacks the key and `remove` fails for a primary key.
import { readFileSync, writeFileSync } from "node:fs";

export function answer(call) {
  const cli = call.command;
  const { args, env } = call;
  const state = JSON.parse(readFileSync(env.FAKE_GOSSIP_STATE, "utf8"));
  const save = () => writeFileSync(env.FAKE_GOSSIP_STATE, JSON.stringify(state, null, 2));
  const fail = (message) => {
    save();
    call.fail(message);
  };

  const expected = {
    consul: { addr: ["CONSUL_HTTP_ADDR", "https://127.0.0.1:8501"], token: "CONSUL_HTTP_TOKEN", cacert: "CONSUL_CACERT" },
    nomad: { addr: ["NOMAD_ADDR", "https://127.0.0.1:4646"], token: "NOMAD_TOKEN", cacert: "NOMAD_CACERT" },
  }[cli];
  if (env[expected.addr[0]] !== expected.addr[1] || !env[expected.cacert]) fail(`${cli}: not pointed at the local HTTPS API`);
  // A token on the command line would be visible to every local user.
  if (args.some((a) => a.startsWith("-token"))) fail(`${cli}: token given on the command line`);
  if (env[expected.token] !== state.tokens[cli]) {
    // `nomad operator api` prints an error's body and exits 0; the other commands fail.
    if (cli === "nomad" && args[1] === "api") {
      call.write("Permission denied");
      call.exit(0);
    }
    fail("Unexpected response code: 403 (Permission denied)");
  }

  const cluster = state[cli];
  const holders = (key) => cluster.members.filter((m) => m.keys.includes(key));
  const allKeys = (members) => [...new Set(members.flatMap((m) => m.keys))];

  function operate(op, key) {
    state.calls.push(`${cli} ${op}`);
    if (op === "install") {
      for (const m of cluster.members) if (!state.lagging.includes(m.name) && !m.keys.includes(key)) m.keys.push(key);
      const missing = cluster.members.filter((m) => !m.keys.includes(key));
      return missing.length === 0 ? undefined : `${missing.length}/${cluster.members.length} nodes reported failure`;
    }
    if (op === "use") {
      const missing = cluster.members.filter((m) => !m.keys.includes(key));
      if (missing.length > 0) return `${missing.length}/${cluster.members.length} nodes reported failure`;
      for (const m of cluster.members) m.primary = key;
      return undefined;
    }
    if (cluster.members.some((m) => m.primary === key)) return `${cluster.members.length}/${cluster.members.length} nodes reported failure`;
    for (const m of cluster.members) m.keys = m.keys.filter((k) => k !== key);
    return undefined;
  }

  if (cli === "consul") {
    if (args[0] !== "keyring") fail(`consul: unexpected command ${args.join(" ")}`);
    const [action, value] = [args[1], args[2]];
    if (action === "-list") {
      call.out("==> Gathering installed encryption keys...");
      const pools = [
        ["WAN", cluster.members.filter((m) => m.server)],
        [`${cluster.datacenter} (LAN)`, cluster.members],
      ];
      for (const [pool, members] of pools) {
        call.out("");
        call.out(`${pool}:`);
        // What a member that answered with an error said (formatMessages), before the keys.
        for (const m of members.filter((m) => state.lagging.includes(m.name))) call.out(`  ===> ${m.name}: No installed keys could decrypt the message:`);
        for (const k of allKeys(members)) call.out(`  ${k} [${members.filter((m) => m.keys.includes(k)).length}/${members.length}]`);
      }
    } else {
      const op = { "-install": "install", "-use": "use", "-remove": "remove" }[action];
      if (!op || !value) fail(`consul: unexpected command ${args.join(" ")}`);
      call.out(`==> ${{ install: "Installing new", use: "Changing primary", remove: "Removing" }[op]} gossip encryption key...`);
      const error = operate(op, value);
      if (error) fail(`error: ${error}`);
    }
  } else {
    if (args.join(" ") === "operator api -X GET /v1/agent/keyring/list") {
      call.write(JSON.stringify({ Messages: {}, Keys: Object.fromEntries(allKeys(cluster.members).map((k) => [k, holders(k).length])), NumNodes: cluster.members.length }));
    } else if (args.slice(0, 3).join(" ") === "operator gossip keyring" && ["install", "use", "remove"].includes(args[3]) && args[4]) {
      call.out(`${{ install: "Installing new", use: "Changing primary", remove: "Removing" }[args[3]]} gossip encryption key...`);
      const error = operate(args[3], args[4]);
      if (error) fail(`error: ${error}`);
    } else {
      fail(`nomad: unexpected command ${args.join(" ")}`);
    }
  }
  save();
}
