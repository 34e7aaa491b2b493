import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOST_PATHS, NOMAD_PORTS } from "../constructs/hetzner-cluster";
import { lab } from "../environments";
import { commandStubs } from "./support/install-secrets";
import { CLI_TABLES, cliProblems, DocCommand, docCommands, simpleCommands } from "./support/runbooks";
import { resourcesOf, synthEnvironment } from "./support/synth";

const ROOT = join(__dirname, "..");
const DOCS = join(ROOT, "docs");
const docFiles = readdirSync(DOCS, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md"));
const commands: DocCommand[] = docFiles.flatMap((file) => docCommands(readFileSync(join(DOCS, file), "utf8"), `docs/${file}`));
const CLUSTER_ENV = "scripts/ops/cluster-env.sh";

/** The problems of one command line written in a fenced block of a document. */
const problemsOf = (line: string) => docCommands(["```sh", line, "```"].join("\n"), "doc.md").flatMap(cliProblems);

describe("the runbooks' nomad and consul commands", () => {
  it("are found in every document (the extraction works on the real docs)", () => {
    expect(commands.filter((c) => c.words[0] === "nomad").length).toBeGreaterThan(20);
    expect(commands.filter((c) => c.words[0] === "consul").length).toBeGreaterThan(10);
  });

  it(`name only commands and flags the pinned CLIs have (nomad ${CLI_TABLES.nomad.version}, consul ${CLI_TABLES.consul.version}), with every flag before the first argument`, () => {
    expect(commands.flatMap(cliProblems)).toEqual([]);
  });

  it(`run on the operator's machine with the address, CA and token from ${CLUSTER_ENV}, never through \`ssh host '...'\`, where none of them is set`, () => {
    expect(commands.filter((c) => c.overSsh).map((c) => `${c.file}:${c.line}: ${c.words.join(" ")}`)).toEqual([]);
    const withCommands = new Set(commands.filter((c) => c.fenced && c.file !== "docs/access.md").map((c) => c.file));
    for (const file of withCommands) expect(`${file}: ${readFileSync(join(ROOT, file), "utf8").includes(CLUSTER_ENV)}`).toBe(`${file}: true`);
  });
});

const stacks = synthEnvironment(lab);

describe("the runbooks' Terraform resource addresses", () => {
  // "<hash>" is cdktf's 8 hex digits, "<n>"/"<n-1>" a number; others ("<id>") are left to the reader.
  const ADDRESS = /\b(random_uuid|random_bytes|tls_private_key|tls_self_signed_cert|tls_locally_signed_cert|terraform_data|hcloud_server)\.([A-Z][A-Za-z0-9_<>-]*)/g;
  const addresses = docFiles.flatMap((file) =>
    [...readFileSync(join(DOCS, file), "utf8").matchAll(ADDRESS)].map((m) => ({ file: `docs/${file}`, type: m[1], name: m[2] })),
  );

  it("name resources the lab environment synthesizes (a renamed construct breaks the runbook)", () => {
    expect(addresses.length).toBeGreaterThan(10);
    const missing = addresses.filter(({ type, name }) => {
      const pattern = new RegExp(`^${name.replace(/<hash>/g, "[0-9A-F]{8}").replace(/<n(-1)?>/g, "\\d+")}$`);
      return !Object.values(stacks).some((stack) => Object.keys(resourcesOf(stack, type)).some((id) => pattern.test(id)));
    });
    expect(missing.map(({ file, type, name }) => `${file}: ${type}.${name}`)).toEqual([]);
  });
});

describe('the runbooks "Replacing a dead server" and "Recovering from a lost quorum"', () => {
  const operations = readFileSync(join(DOCS, "operations.md"), "utf8");
  const section = (title: string) => {
    const start = operations.indexOf(`\n## ${title}\n`);
    expect(start).toBeGreaterThan(-1);
    return operations.slice(start, operations.indexOf("\n## ", start + 1));
  };
  const text = [section("Replacing a dead server"), section("Recovering from a lost quorum (peers.json)")].join("\n");
  // Nomad 2.0.5: a server's data directory is <data_dir>/server (command/agent/agent.go
  // convertServerConfig), its node-id there (setupNodeID) and Raft's peers.json in its raft/
  // (nomad/server.go setupRaft). Consul keeps node-id and raft/ in data_dir itself.
  const NOMAD_SERVER_DIR = `${HOST_PATHS.nomadDataDir}/server`;
  const RAFT = {
    nomad: { peers: `${NOMAD_SERVER_DIR}/raft/peers.json`, nodeId: `${NOMAD_SERVER_DIR}/node-id`, port: NOMAD_PORTS.rpc },
    // Consul's server RPC port, which Raft uses: its default ports.server, which the agent configuration keeps.
    consul: { peers: `${HOST_PATHS.consulDataDir}/raft/peers.json`, nodeId: `${HOST_PATHS.consulDataDir}/node-id`, port: 8300 },
  };

  it("name only the agents' own Raft files, in the data directories the agents are configured with", () => {
    const known: string[] = Object.values(RAFT).flatMap((r) => [r.peers, r.nodeId]);
    const paths = [...text.matchAll(/\/(?:opt|var|etc)\/[\w./-]*\w/g)].map((m) => m[0]);
    expect(new Set(paths)).toEqual(new Set(known));
  });

  it("write peers.json entries at a lab server's private address and the Raft port of that system", () => {
    const servers: string[] = stacks["lab-hosts"].output.server_private_ips.value;
    const files = [...text.matchAll(/cat > (\S+peers\.json)[^\n]*<<'EOF'\n\s*(.*)\n\s*EOF/g)];
    expect(files.map((m) => m[1])).toEqual([RAFT.nomad.peers, RAFT.consul.peers]);
    for (const [, file, json] of files) {
      const port = file === RAFT.nomad.peers ? RAFT.nomad.port : RAFT.consul.port;
      const entries: { id: string; address: string; non_voter: boolean }[] = JSON.parse(json);
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries) expect(entry).toEqual({ id: expect.any(String), address: `${servers[0]}:${port}`, non_voter: false });
    }
  });

  it("name servers the lab environment has, and Nomad's server members as <node name>.<region>", () => {
    const serverNames = Object.values<any>(resourcesOf(stacks["lab-hosts"], "hcloud_server")).map((r) => r.name);
    const named = [...text.matchAll(/\blab-(?:server|client)-\d+(\.[a-z0-9-]+)?/g)];
    expect(named.length).toBeGreaterThan(5);
    for (const [name, region] of named) {
      expect(serverNames).toContain(region ? name.slice(0, -region.length) : name);
      if (region) expect(region).toBe(`.${lab.region}`);
    }
  });
});

describe("the CLI check (a specification of what it refuses)", () => {
  it("accepts what the pinned CLIs take: a value flag's value is its next word, flags before arguments", () => {
    expect(problemsOf("nomad job status -namespace ops raft-snapshots")).toEqual([]);
    expect(problemsOf("nomad node drain -self -enable -yes -deadline 10m")).toEqual([]);
    expect(problemsOf(`consul keyring -install "$new"`)).toEqual([]);
    expect(problemsOf("nomad operator root keyring rotate -full")).toEqual([]);
    expect(problemsOf("consul force-leave -prune lab-server-5")).toEqual([]);
  });

  it("fails a flag the pinned command lacks (Nomad 2.0.5's raft remove-peer takes only -peer-id)", () => {
    expect(problemsOf("nomad operator raft remove-peer -peer-address=10.0.1.6:4647")).toEqual([
      "doc.md:2: `nomad operator raft remove-peer -peer-address=10.0.1.6:4647`: `nomad operator raft remove-peer` has no flag -peer-address in nomad 2.0.5",
    ]);
  });

  it("fails a flag Consul 1.21.5 lacks (force-leave removes a member for good with -prune; -purge is none of its flags)", () => {
    expect(problemsOf("consul force-leave -purge lab-server-1")).toEqual([
      "doc.md:2: `consul force-leave -purge lab-server-1`: `consul force-leave` has no flag -purge in consul 1.21.5",
    ]);
  });

  it("fails a command the pinned CLI lacks (Consul's autopilot has state, not health)", () => {
    expect(problemsOf("consul operator autopilot health")).toEqual([
      'doc.md:2: `consul operator autopilot health`: consul 1.21.5 has no command "operator autopilot health"',
    ]);
    expect(problemsOf("nomad raft list-peers")).toEqual(['doc.md:2: `nomad raft list-peers`: nomad 2.0.5 has no command "raft"']);
  });

  it("fails a flag after the first argument, which Go's flag package takes as an argument", () => {
    expect(problemsOf("nomad job status raft-snapshots -namespace ops")).toEqual([
      "doc.md:2: `nomad job status raft-snapshots -namespace ops`: flag -namespace comes after an argument; `nomad job status` stops reading flags at the first argument, so put it before",
    ]);
  });

  it("fails the commands of inline code, of command substitutions and of ssh payloads too", () => {
    const found = docCommands(
      [
        "Run `nomad node drain -now` first.",
        "```bash",
        "leader=$(consul operator raft list-peers -verbose | grep leader)",
        "ssh -o BatchMode=yes root@lab-server-1 'systemctl stop nomad; nomad server force-leave -purge lab-server-1.global'",
        "```",
      ].join("\n"),
      "doc.md",
    );
    expect(found.map((c) => [c.words.slice(0, 3).join(" "), c.overSsh])).toEqual([
      ["nomad node drain", false],
      ["consul operator raft", false],
      ["nomad server force-leave", true],
    ]);
    expect(found.flatMap(cliProblems).map((p) => p.replace(/^.*: /, ""))).toEqual([
      "`nomad node drain` has no flag -now in nomad 2.0.5",
      "`consul operator raft list-peers` has no flag -verbose in consul 1.21.5",
      "`nomad server force-leave` has no flag -purge in nomad 2.0.5",
    ]);
  });

  it("splits shell text into simple commands, removing quotes and comments", () => {
    expect(simpleCommands(`a 'b c' && d "e $(f g)" | h # i j\nk`)).toEqual([["a", "b c"], ["f", "g"], ["d", "e $(f g)"], ["h"], ["k"]]);
  });
});

describe(CLUSTER_ENV, () => {
  /** Runs the script in a project whose stacks' Terraform outputs a stand-in terraform prints. */
  function clusterEnv(args: string[], { hosts = true, acl = true, apiHostname }: { hosts?: boolean; acl?: boolean; apiHostname?: string } = {}) {
    const dir = mkdtempSync(join(tmpdir(), `hashilab-cluster-env-${process.pid}-`));
    try {
      if (acl) mkdirSync(join(dir, "cdktf.out/stacks/lab-acl"), { recursive: true });
      if (hosts) mkdirSync(join(dir, "cdktf.out/stacks/lab-hosts"), { recursive: true });
      const stubs = commandStubs(join(dir, "bin"));
      const outputs: Record<string, string> = {
        "lab-acl nomad_address": `https://${apiHostname ?? "203.0.113.10"}:4646`,
        "lab-acl consul_address": `https://${apiHostname ?? "203.0.113.10"}:8501`,
        "lab-acl nomad_token": "nomad-secret-'quoted'",
        "lab-acl consul_token": "consul-secret",
        "lab-hosts ca_certificate": "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----",
        "lab-hosts server_public_ips": '[\n  "203.0.113.10",\n  "203.0.113.11",\n  "203.0.113.12"\n]',
      };
      writeFileSync(join(dir, "outputs.json"), JSON.stringify(outputs));
      // terraform -chdir=cdktf.out/stacks/<stack> output (-raw|-json) <name>
      stubs.stub("terraform", `stack=\${1#-chdir=cdktf.out/stacks/}; node -e 'process.stdout.write(require(process.argv[1])[process.argv[2]])' "${dir}/outputs.json" "$stack $4"`);
      const run = spawnSync("bash", [join(ROOT, CLUSTER_ENV), ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, PATH: `${stubs.dir}:${process.env.PATH}` } });
      const evaluated = spawnSync("bash", ["-c", `${run.stdout}\nenv | grep -E '^(NOMAD|CONSUL)_' | sort`], { encoding: "utf8", env: { PATH: process.env.PATH } });
      return { code: run.status, stderr: run.stderr, env: evaluated.stdout.trim().split("\n").filter(Boolean), ca: hosts && run.status === 0 ? readFileSync(join(dir, "cdktf.out/lab-ca.pem"), "utf8") : "", dir };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("passes shellcheck", () => {
    const run = spawnSync("shellcheck", [join(ROOT, CLUSTER_ENV)], { encoding: "utf8" });
    expect(run.stdout).toBe("");
    expect(run.status).toBe(0);
  });

  it("exports the stacks' address (without an API name, server 1's), the cluster CA and the management tokens, quoted for eval", () => {
    const run = clusterEnv(["lab"]);
    expect(run.stderr).toBe("");
    expect(run.env).toEqual([
      expect.stringMatching(/^CONSUL_CACERT=\/.*\/cdktf\.out\/lab-ca\.pem$/),
      "CONSUL_HTTP_ADDR=https://203.0.113.10:8501",
      "CONSUL_HTTP_TOKEN=consul-secret",
      "NOMAD_ADDR=https://203.0.113.10:4646",
      expect.stringMatching(/^NOMAD_CACERT=\/.*\/cdktf\.out\/lab-ca\.pem$/),
      "NOMAD_TOKEN=nomad-secret-'quoted'",
    ]);
    expect(run.ca).toContain("BEGIN CERTIFICATE");
  });

  it("exports the cluster's API name when it has one (it survives the loss of any server)", () => {
    const run = clusterEnv(["lab"], { apiHostname: "nomad.lab.example.com" });
    expect(run.env).toContain("NOMAD_ADDR=https://nomad.lab.example.com:4646");
    expect(run.env).toContain("CONSUL_HTTP_ADDR=https://nomad.lab.example.com:8501");
  });

  it("talks to the server it is given instead, by its own address", () => {
    expect(clusterEnv(["lab", "1"], { apiHostname: "nomad.lab.example.com" }).env).toContain("NOMAD_ADDR=https://203.0.113.10:4646");
    const run = clusterEnv(["lab", "3"]);
    expect(run.env).toContain("NOMAD_ADDR=https://203.0.113.12:4646");
    expect(run.env).toContain("CONSUL_HTTP_ADDR=https://203.0.113.12:8501");
  });

  it("fails for a server the environment does not have, and for a malformed environment or server", () => {
    expect(clusterEnv(["lab", "4"])).toMatchObject({ code: 1, stderr: "cluster-env.sh: lab has 3 servers, no server 4\n" });
    expect(clusterEnv(["lab; rm -rf /"])).toMatchObject({ code: 2 });
    expect(clusterEnv(["lab", "0"])).toMatchObject({ code: 2 });
    expect(clusterEnv(["lab", "2"], { hosts: false })).toMatchObject({ code: 1, stderr: "cluster-env.sh: lab has no hosts stack (its agents are not ours to pick)\n" });
    expect(clusterEnv(["lab"], { acl: false })).toMatchObject({
      code: 1,
      stderr: "cluster-env.sh: cdktf.out/stacks/lab-acl not found; deploy lab-acl first (npx cdktf deploy lab-acl)\n",
      env: [],
    });
  });
});
