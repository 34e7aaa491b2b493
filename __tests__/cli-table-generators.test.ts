import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const ROOT = join(__dirname, "..");

/**
 * A git repository with a source tree at tag v1.0.0, shaped like the layouts a generator reads
 * (for Consul: registry entries and imports, HTTPFlags' flag sets, a boolean flag.Value, an
 * agent's config.AddFlags, a _ce.go file beside a command; for Nomad: commands.go, Meta's
 * general flags, a command's methods), written here in a few lines each.
 */
function shapedRepo(files: Record<string, string>): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `hashilab-cli-table-${process.pid}-`));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { stdio: "pipe" });
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "tree");
  git("tag", "v1.0.0");
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const REGISTRY = `package command

import (
\t"github.com/hashicorp/consul/command/agent"
\t"github.com/hashicorp/consul/command/forceleave"
\t"github.com/hashicorp/consul/command/operator"
\toperraftlist "github.com/hashicorp/consul/command/operator/raft/listpeers"
)

func RegisteredCommands(ui cli.Ui) map[string]mcli.CommandFactory {
\tregisterCommands(ui, registry,
\t\tentry{"agent", func(ui cli.Ui) (cli.Command, error) { return agent.New(ui), nil }},
\t\tentry{"force-leave", func(ui cli.Ui) (cli.Command, error) { return forceleave.New(ui), nil }},
\t\tentry{"operator", func(cli.Ui) (cli.Command, error) { return operator.New(), nil }},
\t\tentry{"operator raft list-peers", func(ui cli.Ui) (cli.Command, error) { return operraftlist.New(ui), nil }},
\t)
}
`;

const FILES: Record<string, string> = {
  "command/registry.go": REGISTRY,
  "command/flags/config.go": `package flags

type BoolValue struct{ v *bool }

func (b *BoolValue) IsBoolFlag() bool {
\treturn true
}

type StringValue struct{ v *string }
`,
  "command/flags/http.go": `package flags

type HTTPFlags struct {
\taddress    StringValue
\tdatacenter StringValue
\tstale      BoolValue
\tpartition  StringValue
}

func (f *HTTPFlags) ClientFlags() *flag.FlagSet {
\tfs := flag.NewFlagSet("", flag.ContinueOnError)
\tfs.Var(&f.address, "http-addr", "The address.")
\treturn fs
}

func (f *HTTPFlags) ServerFlags() *flag.FlagSet {
\tfs := flag.NewFlagSet("", flag.ContinueOnError)
\tfs.Var(&f.datacenter, "datacenter", "The datacenter.")
\tfs.Var(&f.stale, "stale", "Any server answers.")
\treturn fs
}

func (f *HTTPFlags) PartitionFlag() *flag.FlagSet {
\tfs := flag.NewFlagSet("", flag.ContinueOnError)
\tfs.Var(&f.partition, "partition", "The partition.")
\treturn fs
}

func (f *HTTPFlags) MultiTenancyFlags() *flag.FlagSet {
\tfs := flag.NewFlagSet("", flag.ContinueOnError)
\tMerge(fs, f.PartitionFlag())
\treturn fs
}

func (f *HTTPFlags) Addr() string {
\treturn f.address.String()
}
`,
  "command/operator/operator.go": `package operator

func New() *cmd { return &cmd{} }
`,
  "command/forceleave/forceleave.go": `package forceleave

func (c *cmd) init() {
\tc.flags = flag.NewFlagSet("", flag.ContinueOnError)
\tc.flags.BoolVar(&c.prune, "prune", false, "Remove it from the list.")
\tc.flags.BoolVar(&c.wan, "wan", false, "WAN only.")
\tc.http = &flags.HTTPFlags{}
\tflags.Merge(c.flags, c.http.ClientFlags())
\tflags.Merge(c.flags, c.http.MultiTenancyFlags())
}
`,
  "command/operator/raft/listpeers/operator_raft_list.go": `package listpeers

func (c *cmd) init() {
\tc.flags = flag.NewFlagSet("", flag.ContinueOnError)
\tc.http = &flags.HTTPFlags{}
\tflags.Merge(c.flags, c.http.ClientFlags())
\tflags.Merge(c.flags, c.http.ServerFlags())
\tc.initCeFlags()
}
`,
  "command/operator/raft/listpeers/operator_raft_list_ce.go": `package listpeers

func (c *cmd) initCeFlags() {
\tc.flags.StringVar(&c.format, "format", "pretty", "Output format.")
}
`,
  "command/operator/raft/listpeers/operator_raft_list_test.go": `package listpeers

func setup() { c.flags.BoolVar(&x, "only-in-a-test", false, "") }
`,
  "command/agent/agent.go": `package agent

func (c *cmd) init() {
\tc.flags = flag.NewFlagSet("", flag.ContinueOnError)
\tconfig.AddFlags(c.flags, &c.configLoadOpts)
}
`,
  "agent/config/flags.go": `package config

func AddFlags(fs *flag.FlagSet, f *LoadOpts) {
\tadd := func(p interface{}, name, help string) {}
\tfs.BoolVar(&f.DevMode, "dev", false, "Development mode.")
\tadd(&f.FlagValues.ServerMode, "server", "Server mode.")
\tadd(&f.FlagValues.Ports.HTTP, "http-port", "The HTTP port.")
\tfs.Var(newStringSliceValue(&f.ConfigFiles), "config-file", "A configuration file.")
}
`,
  "agent/config/config.go": `package config

type Config struct {
\tServerMode *bool \`mapstructure:"server"\`
}

type Ports struct {
\tHTTP *int \`mapstructure:"http"\`
}
`,
};

function generate(script: string, files: Record<string, string>) {
  const repo = shapedRepo(files);
  try {
    return spawnSync("node", [join(ROOT, "scripts/runbooks", script), repo.dir, "v1.0.0"], { encoding: "utf8" });
  } finally {
    repo.remove();
  }
}

describe("scripts/runbooks/consul-cli-table.mjs (the Consul CLI table, read from Consul's command sources)", () => {
  it("lists every registered command with the flags its package, the HTTP flag sets it merges and the agent's AddFlags define", () => {
    const run = generate("consul-cli-table.mjs", FILES);
    expect(run.stderr).toBe("");
    const table = JSON.parse(run.stdout);
    expect(table).toMatchObject({ cli: "consul", version: "1.0.0", generatedBy: "scripts/runbooks/consul-cli-table.mjs", unreadable: [] });
    expect(table.source).toMatch(/^https:\/\/github\.com\/hashicorp\/consul\/tree\/[0-9a-f]{40}\/command /);
    expect(table.commands).toEqual({
      agent: { "config-file": "value", dev: "bool", "http-port": "value", server: "bool" },
      "force-leave": { "http-addr": "value", partition: "value", prune: "bool", wan: "bool" },
      operator: {},
      // -stale is a BoolValue (IsBoolFlag): it takes no separate value.
      "operator raft list-peers": { datacenter: "value", format: "value", "http-addr": "value", stale: "bool" },
    });
  });

  it("fails, naming them, when registry entries name a package none of its imports provide", () => {
    const registry = REGISTRY.replace('return forceleave.New(ui)', 'return leaver.New(ui)');
    const run = generate("consul-cli-table.mjs", { ...FILES, "command/registry.go": registry });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("consul-cli-table.mjs: 3 commands read from command/registry.go; no package for: force-leave\n");
    expect(run.stdout).toBe("");
  });

  it("fails with its usage without a git dir and tag", () => {
    const run = spawnSync("node", [join(ROOT, "scripts/runbooks/consul-cli-table.mjs")], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("usage: consul-cli-table.mjs <consul git dir> <tag>\n");
  });
});

const NOMAD_FILES: Record<string, string> = {
  "command/commands.go": `package command

func Commands(metaPtr *Meta) map[string]cli.CommandFactory {
\tall := map[string]cli.CommandFactory{
\t\t"server force-leave": func() (cli.Command, error) {
\t\t\treturn &ServerForceLeaveCommand{
\t\t\t\tMeta: meta,
\t\t\t}, nil
\t\t},
\t\t"version": func() (cli.Command, error) {
\t\t\treturn &VersionCommand{
\t\t\t\tMeta: meta,
\t\t\t}, nil
\t\t},
\t}
\treturn all
}
`,
  "command/meta.go": `package command

func (m *Meta) FlagSet(n string, fs FlagSetFlags) *flag.FlagSet {
\tf := flag.NewFlagSet(n, flag.ContinueOnError)
\tif fs&FlagSetClient != 0 {
\t\tf.StringVar(&m.flagAddress, "address", "", "")
\t\tf.BoolVar(&m.noColor, "no-color", false, "")
\t}
\treturn f
}
`,
  "command/server_force_leave.go": `package command

func (c *ServerForceLeaveCommand) Run(args []string) int {
\tvar prune bool
\tflags := c.Meta.FlagSet(c.Name(), FlagSetClient)
\tflags.BoolVar(&prune, "prune", false, "Remove it from the list")
\treturn 0
}
`,
  "command/version.go": `package command

func (c *VersionCommand) Run(args []string) int {
\treturn 0
}
`,
};

describe("scripts/runbooks/nomad-cli-table.mjs (the Nomad CLI table, on the same shared reader)", () => {
  it("lists every command with its own flags and, where it takes them, Meta's general client flags", () => {
    const run = generate("nomad-cli-table.mjs", NOMAD_FILES);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toMatchObject({
      cli: "nomad",
      version: "1.0.0",
      commands: { "server force-leave": { address: "value", "no-color": "bool", prune: "bool" }, version: {} },
    });
  });
});
