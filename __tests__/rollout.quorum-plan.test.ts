import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalBackend, TerraformStack } from "cdktf";
import { ClusterMembership, MemberHost } from "../constructs/hetzner-cluster";
import { TerraformData } from "../constructs/terraform-data";
import { synthApp } from "./support/synth";
import { requireTool } from "./support/tools";

/**
 * The quorum guard and the order of a removal, run by the real Terraform (1.11): the guard,
 * the previous state's read and the membership are Terraform's built-in provider
 * (terraform_data, terraform_remote_state), so init downloads nothing: one init serves every
 * case. The hosts' deliveries and machines are stand-in terraform_data resources (a delivery
 * logs when it runs); the removed host's leave logs instead of connecting over SSH.
 */

interface Host {
  readonly name: string;
  readonly server: boolean;
}
const servers = (...names: string[]): Host[] => names.map((name) => ({ name, server: true }));

/** Each configuration synthesized once per file (by hosts and options): a case only reads it. */
const configs = new Map<string, Record<string, any>>();

/** A stack with the membership of `hosts`, each with a stand-in machine and delivery (which logs to `log`). */
function clusterConfig(hosts: readonly Host[], options: { leaveLogs?: boolean; leaveFails?: boolean } = {}): Record<string, any> {
  const key = JSON.stringify([hosts, options]);
  const config = configs.get(key) ?? synthClusterConfig(hosts, options);
  configs.set(key, config);
  return config;
}

function synthClusterConfig(hosts: readonly Host[], options: { leaveLogs?: boolean; leaveFails?: boolean }): Record<string, any> {
  const stacks = synthApp((app) => {
    const stack = new TerraformStack(app, "hosts");
    new LocalBackend(stack, { path: "terraform.tfstate" });
    const serverList = hosts.filter((h) => h.server).map((h) => h.name).join(",");
    const members: MemberHost[] = hosts.map((h, i) => {
      // The project's TerraformData renders as cdktf's DataResource, without its `terraform version` check per instance and synth.
      const machine = new TerraformData(stack, `Host-${h.name}`, {});
      // A delivery re-runs when the server list changes (the agents' retry_join), as the real one does.
      const delivery = new TerraformData(stack, `Delivery-${h.name}`, {
        triggersReplace: { servers: serverList },
        dependsOn: [machine],
        provisioners: [{ type: "local-exec", command: `echo deliver ${h.name} >> log` }],
      });
      return {
        spec: { name: h.name, isServer: h.server, isClient: true, privateIp: `10.0.10.${11 + i}` },
        sshHost: { address: `192.0.2.${11 + i}`, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHashilabTestKeyForThePlanTestOnly0000000000" },
        delivery: { resource: delivery },
      };
    });
    new ClusterMembership(stack, "Membership", { hosts: members, serversField: "cluster.serverCount" });
  });
  const config = stacks.hosts;
  if (options.leaveLogs || options.leaveFails) {
    const [member] = Object.entries<any>(config.resource.terraform_data).filter(([id]) => id.startsWith("Membership_Member_"));
    const command = options.leaveFails ? "echo cannot leave ${self.input.name} >&2; exit 1" : "echo leave ${self.input.name} >> log";
    member[1].provisioner = [{ "local-exec": { when: "destroy", command } }];
  }
  return config;
}

describe("the plan refuses a deploy that removes more servers than the Raft quorum allows (real terraform)", () => {
  let dir: string;
  const env = () => ({ ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null", TF_DATA_DIR: join(dir, ".terraform") });
  const terraform = (...args: string[]) => {
    const run = spawnSync("terraform", [...args, "-no-color", "-input=false"], { cwd: dir, env: env(), encoding: "utf8" });
    return { code: run.status, output: `${run.stdout}${run.stderr}`.replace(/\s*\n\s*│?\s*/g, " ") };
  };
  const use = (config: Record<string, any>) => writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config, null, 2));
  const deploy = (hosts: readonly Host[], options?: { leaveLogs?: boolean; leaveFails?: boolean }): string => {
    use(clusterConfig(hosts, options));
    const applied = terraform("apply", "-auto-approve");
    if (applied.code !== 0) throw new Error(applied.output);
    return applied.output;
  };
  const plan = (hosts: readonly Host[], ...args: string[]) => {
    use(clusterConfig(hosts));
    return terraform("plan", ...args);
  };
  const log = () => readFileSync(join(dir, "log"), "utf8").trim().split("\n");

  /** A folder initialized for the configuration (its backend), which each case starts from. */
  let initialized: string;
  /** A folder where servers a to e are deployed. */
  let fiveDeployed: string;
  const folderFrom = (from: string) => {
    const to = mkdtempSync(join(tmpdir(), `hashilab-quorum-${process.pid}-`));
    cpSync(from, to, { recursive: true });
    return to;
  };
  /**
   * This case's folder as the deploy of servers a to e left it (state and log). A leave's
   * provisioner is configuration, never state: the state is the same whether or not it logs.
   */
  const fromFiveDeployed = () => cpSync(fiveDeployed, dir, { recursive: true });

  beforeAll(() => {
    requireTool("terraform");
    initialized = dir = mkdtempSync(join(tmpdir(), `hashilab-quorum-${process.pid}-`));
    use(clusterConfig(servers("a", "b", "c", "d", "e")));
    const init = terraform("init");
    if (init.code !== 0) throw new Error(init.output);
    fiveDeployed = dir = folderFrom(initialized);
    deploy(servers("a", "b", "c", "d", "e"));
  });
  afterAll(() => [initialized, fiveDeployed].forEach((d) => rmSync(d, { recursive: true, force: true })));
  beforeEach(() => {
    dir = folderFrom(initialized);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("passes the first deploy, which has no previous state to read", () => {
    expect(existsSync(join(dir, "terraform.tfstate"))).toBe(false);
    deploy(servers("a", "b", "c", "d", "e"));
    expect(existsSync(join(dir, "terraform.tfstate"))).toBe(true);
  });

  it("fails the plan that takes five servers to one, naming the removed servers, the quorum and the field to change", () => {
    fromFiveDeployed();
    const refused = plan(servers("a"));
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(
      "hosts/Membership: this deploy removes the servers b, c, d, e of 5 at once, and only 1 stay: fewer than the Raft quorum of 3, so Nomad and Consul would stop electing a leader. " +
        "Change cluster.serverCount to remove at most 2 server(s) per deploy (one at a time is safest)",
    );
  });

  it("fails the plan that keeps three servers of five when two of them are new (only one of the previous stays)", () => {
    fromFiveDeployed();
    const refused = plan(servers("a", "f", "g"));
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("removes the servers b, c, d, e of 5 at once, and only 1 stay");
  });

  it("fails the plan that turns two of three servers into clients (a role change removes a server)", () => {
    deploy(servers("a", "b", "c"));
    const refused = plan([{ name: "a", server: true }, { name: "b", server: false }, { name: "c", server: false }]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("removes the servers b, c of 3 at once, and only 1 stay: fewer than the Raft quorum of 2");
  });

  it("passes the plan that removes as many servers as the quorum allows (five to four, five to three), and one that adds servers", () => {
    fromFiveDeployed();
    expect(plan(servers("a", "b", "c", "d")).code).toBe(0);
    expect(plan(servers("a", "b", "c")).code).toBe(0);
    expect(plan(servers("a", "b", "c", "d", "e", "f", "g")).code).toBe(0);
  });

  it("judges against the last applied deploy: after five went to three, one more removal is the most", () => {
    fromFiveDeployed();
    deploy(servers("a", "b", "c"), { leaveLogs: true });
    expect(plan(servers("a", "b")).code).toBe(0);
    expect(plan(servers("a")).output).toContain("removes the servers b, c of 3 at once, and only 1 stay: fewer than the Raft quorum of 2");
  });

  it("fails the plan after a removal whose leave failed: the servers that did not leave still count", () => {
    fromFiveDeployed();
    use(clusterConfig(servers("a", "b", "c"), { leaveFails: true }));
    expect(terraform("apply", "-auto-approve").code).toBe(1);
    expect(plan(servers("a", "b")).output).toContain("removes the servers c, d, e of 5 at once, and only 2 stay: fewer than the Raft quorum of 3");
  });

  it("fails a plan that targets only the membership: the guard comes with it", () => {
    fromFiveDeployed();
    const member = Object.keys(clusterConfig(servers("a")).resource.terraform_data).find((id) => id.startsWith("Membership_Member_"));
    const refused = plan(servers("a"), `-target=terraform_data.${member}`);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("removes the servers b, c, d, e of 5 at once");
  });

  it("makes a removed host leave before it is destroyed and before the remaining hosts' deliveries re-run", () => {
    deploy(servers("a", "b", "c"), { leaveLogs: true });
    writeFileSync(join(dir, "log"), "");
    const applied = deploy(servers("a", "b"), { leaveLogs: true });
    const [first, ...rest] = log();
    expect([first, rest.sort()]).toEqual(["leave c", ["deliver a", "deliver b"]]);
    // A removed resource's own destroy provisioners do not run, so the order is Terraform's report's.
    const at = (event: string) => {
      const index = applied.indexOf(event);
      if (index < 0) throw new Error(`terraform did not report ${event}`);
      return index;
    };
    const left = at('["c"]: Destruction complete');
    expect(at("terraform_data.Host-c: Destroying...")).toBeGreaterThan(left);
    expect(at("terraform_data.Delivery-c: Destroying...")).toBeGreaterThan(left);
    expect(at("terraform_data.Delivery-a: Creating...")).toBeGreaterThan(left);
    expect(at("terraform_data.Delivery-b: Creating...")).toBeGreaterThan(left);
  });
});
