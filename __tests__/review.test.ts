import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unifiedDiff } from "../scripts/review/line-diff";
import { Masker, MASK } from "../scripts/review/mask";
import { clusterEffects } from "../scripts/review/effects";
import { compareApps } from "../scripts/review/plan";
import { renderText } from "../scripts/review/render";
import { runNodeScript } from "./support/npm-script";
import { commitAll, scratchCopyOfProject } from "./support/scratch-repo";

/**
 * A fixture stack added to the scratch copy's main.ts: the everyday NomadService and a
 * typed Nomad ACL policy, whose image and capabilities come from review-fixture.json, so a
 * commit can change just those.
 */
const FIXTURE_STACK = `import { App, TerraformStack, TerraformVariable } from "cdktf";
import { NomadAclPolicy } from "./constructs/acl/nomad-acl-policy";
import { NomadService } from "./constructs/nomad-service";
import { NomadProvider } from "./constructs/providers";
import fixture from "./review-fixture.json";

export function addReviewFixture(app: App): void {
  const stack = new TerraformStack(app, "fixture-workloads");
  new NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" });
  const token = new TerraformVariable(stack, "api_token", { type: "string", sensitive: true });
  new NomadService(stack, "it-tools", {
    image: fixture.image,
    ports: { http: { to: 80 } },
    args: ["--listen", "\${NOMAD_IP_http}", "--api-token", token.stringValue],
  });
  new NomadAclPolicy(stack, "developer", {
    rules: { namespaces: [{ name: "dev", policy: "read", capabilities: fixture.capabilities as any }] },
  });
}
`;

const BASE_FIXTURE = {
  image: "ghcr.io/corentinth/it-tools:2023.12.21-5ed3693",
  capabilities: ["submit-job", "dispatch-job", "read-logs"],
};

/** `npm run review -- <args>` in the checkout at `dir`. */
function runReview(dir: string, ...args: string[]) {
  return runNodeScript("review", args, { dir });
}

describe("npm run review", () => {
  let repo: string;
  // The review of the fixture's last commit, which several tests read: one run (two synths of the app), not one per test.
  let lastCommitReview: ReturnType<typeof runReview> | undefined;
  const reviewOfLastCommit = () => (lastCommitReview ??= runReview(repo, "HEAD~1"));

  beforeAll(() => {
    repo = scratchCopyOfProject();
    const main = readFileSync(join(repo, "main.ts"), "utf8");
    writeFileSync(
      join(repo, "main.ts"),
      `import { addReviewFixture } from "./review-fixture";\n${main.replace("app.synth();", "addReviewFixture(app);\napp.synth();")}`,
    );
    writeFileSync(join(repo, "review-fixture.ts"), FIXTURE_STACK);
    writeFileSync(join(repo, "review-fixture.json"), JSON.stringify(BASE_FIXTURE, null, 2));
    commitAll(repo, "add the review fixture");
    const changed = {
      image: "ghcr.io/corentinth/it-tools:2024.10.22-7ca5933",
      capabilities: [...BASE_FIXTURE.capabilities, "alloc-exec"],
    };
    writeFileSync(join(repo, "review-fixture.json"), JSON.stringify(changed, null, 2));
    commitAll(repo, "new it-tools image, developers may exec");
  });

  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  test("names exactly the changed job and policy and shows both text diffs", () => {
    const { status, stdout, stderr } = reviewOfLastCommit();
    expect(stderr).not.toMatch(/review:/);
    expect(status).toBe(2);
    const resourceLines = stdout.split("\n").filter((l) => /^ {2}(\+|~|-\/\+|-) /.test(l));
    expect(resourceLines).toEqual([
      "  ~ nomad_acl_policy.developer_3716CCE4  (fixture-workloads/developer/Resource)",
      "  ~ nomad_job.it-tools_Job_6DE87BDB  (fixture-workloads/it-tools/Job/Default)",
    ]);
    expect(stdout).toContain('-        image = "ghcr.io/corentinth/it-tools:2023.12.21-5ed3693"');
    expect(stdout).toContain('+        image = "ghcr.io/corentinth/it-tools:2024.10.22-7ca5933"');
    expect(stdout).toContain('-  capabilities = ["submit-job", "dispatch-job", "read-logs"]');
    expect(stdout).toContain('+  capabilities = ["submit-job", "dispatch-job", "read-logs", "alloc-exec"]');
    expect(stdout).toContain("0 to create, 0 to replace, 0 to delete");
    expect(stdout).toContain("Effect on the cluster:\n  note: fixture-workloads: jobs restart their allocations (rolling, per their update block): it-tools.\n");
  });

  test("shows jobspecs as Nomad receives them, with sensitive references masked", () => {
    const { stdout } = reviewOfLastCommit();
    expect(stdout).toContain(`         args  = ["--listen", "\${NOMAD_IP_http}", "--api-token", "${MASK}"]`);
    expect(stdout).not.toContain("var.api_token");
  });

  test("--markdown puts the text diffs in diff blocks for a pull-request comment", () => {
    const { status, stdout } = runReview(repo, "HEAD~1", "--markdown");
    expect(status).toBe(2);
    expect(stdout).toContain("| ~ update | `nomad_job.it-tools_Job_6DE87BDB` | `fixture-workloads/it-tools/Job/Default` | `jobspec` |");
    expect(stdout).toContain("<details><summary><code>nomad_job.it-tools_Job_6DE87BDB</code> <code>jobspec</code></summary>");
    expect(stdout.match(/```diff/g)).toHaveLength(2);
  });

  test("exits 0 when the working tree synthesizes like the base", () => {
    const { status, stdout } = runReview(repo, "HEAD");
    expect(status).toBe(0);
    expect(stdout).toContain("0 to update, 0 to create, 0 to replace, 0 to delete.");
  });

  test("fails with exit code 1 and one sentence with the fix on an unknown base ref", () => {
    const { status, stderr } = runReview(repo, "no-such-ref");
    expect(status).toBe(1);
    expect(stderr).toBe(`review: no commit is named "no-such-ref" in ${repo}; pass a branch, tag or commit to compare with (e.g. origin/main, after git fetch, or HEAD~1).\n`);
  });

  test("fails with one sentence outside a git checkout", () => {
    const outside = realpathSync(mkdtempSync(join(tmpdir(), "hashilab-no-git-")));
    try {
      const result = runNodeScript("review", ["HEAD"], { dir: repo, cwd: outside, env: { ...process.env, GIT_CEILING_DIRECTORIES: tmpdir() } });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`review: ${outside} is not inside a git checkout; run the review from your hashilab repository.\n`);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test("fails with exit code 1 and the synth error when the working tree does not synthesize", () => {
    const fixture = join(repo, "review-fixture.json");
    const committed = readFileSync(fixture, "utf8");
    try {
      writeFileSync(fixture, JSON.stringify({ ...JSON.parse(committed), capabilities: ["submit-jobs"] }));
      const { status, stderr } = runReview(repo, "HEAD~1");
      expect(status).toBe(1);
      expect(stderr).toContain(`review: ${repo} does not synthesize (exit 1); fix the error below and run the review again:\n`);
      expect(stderr).toContain("fixture-workloads/developer");
    } finally {
      writeFileSync(fixture, committed);
    }
  });

  test("fails with exit code 1 and the command to run without a base ref or with an unknown option", () => {
    expect(runReview(repo)).toMatchObject({ status: 1, stderr: "review: no base ref given; run npm run review -- <base-ref> [--markdown], e.g. npm run review -- origin/main.\n" });
    expect(runReview(repo, "HEAD", "--markdwon")).toMatchObject({ status: 1, stderr: expect.stringContaining("review: unknown option --markdwon; run npm run review") });
  });
});

describe("compareApps", () => {
  const job = (jobspec: string, extra: Record<string, unknown> = {}) => ({
    resource: { nomad_job: { web: { jobspec, ...extra } } },
  });

  test("a namespace change in the jobspec is a replacement", () => {
    const before = { s: job('job "web" {\n  namespace = "default"\n}\n') };
    const after = { s: job('job "web" {\n  namespace = "lab"\n}\n') };
    const [change] = compareApps(before, after)[0].changes;
    expect(change.action).toBe("replace");
    expect(change.replacedBecause).toEqual(["jobspec (job id or namespace)"]);
  });

  test("a new server type updates in place, new user_data replaces the server", () => {
    const server = (serverType: string, userData: string) => ({
      s: { resource: { hcloud_server: { a: { server_type: serverType, user_data: userData } } } },
    });
    expect(compareApps(server("cx23", "x\n"), server("cx33", "x\n"))[0].changes[0].action).toBe("update");
    const replaced = compareApps(server("cx23", "x\n"), server("cx23", "y\n"))[0].changes[0];
    expect(replaced.action).toBe("replace");
    expect(replaced.attributes[0].textDiff).toBe("@@ -1 +1 @@\n-x\n+y");
  });

  test("nested attribute changes are named by path and secrets are masked", () => {
    const net = (ip: string, key: string) => ({
      s: { resource: { hcloud_server_network: { a: { network: [{ ip }], labels: { key } } } } },
    });
    const attrs = compareApps(net("10.0.0.2", "a"), net("10.0.0.3", "4f9c6a2e-1b2d-4c3e-8f7a-0123456789ab"))[0].changes[0].attributes;
    expect(attrs).toEqual([
      { path: "labels.key", before: '"a"', after: `"${MASK}"` },
      { path: "network[0].ip", before: '"10.0.0.2"', after: '"10.0.0.3"' },
    ]);
  });

  test("a long value is shown from shortly before its first difference", () => {
    const policy = (region: string) => ({ s: { resource: { nomad_variable: { a: { items: { config: `${"x".repeat(200)} region=${region}` } } } } } });
    const [attr] = compareApps(policy("nbg1"), policy("fsn1"))[0].changes[0].attributes;
    expect(attr).toEqual({ path: "items.config", before: `…${"x".repeat(22)} region=nbg1"`, after: `…${"x".repeat(22)} region=fsn1"` });
  });

  test("a deleted and a created resource with one configuration are flagged as a renamed construct", () => {
    const ns = (name: string) => ({ s: { resource: { nomad_namespace: { [name]: { name: "lab", "//": { metadata: { path: `s/${name}` } } } } } } });
    const changes = compareApps(ns("namespace-lab"), ns("Namespace_lab_1A2B"))[0].changes;
    expect(changes.map((c) => [c.action, c.address, c.renamedFrom ?? c.renamedTo])).toEqual([
      ["create", "nomad_namespace.Namespace_lab_1A2B", "nomad_namespace.namespace-lab"],
      ["delete", "nomad_namespace.namespace-lab", "nomad_namespace.Namespace_lab_1A2B"],
    ]);
  });

  test("does not guess a rename among resources that all look alike", () => {
    const uuids = (...names: string[]) => ({ s: { resource: { random_uuid: Object.fromEntries(names.map((n) => [n, {}])) } } });
    const changes = compareApps(uuids("a", "b"), uuids("c", "d"))[0].changes;
    expect(changes.filter((c) => c.renamedFrom || c.renamedTo)).toEqual([]);
  });

  test("outputs, providers and other blocks that change are listed by address", () => {
    const stack = (address: string) => ({ s: { output: { nomad_address: { value: address } }, provider: { nomad: [{ address }] } } });
    const [review] = compareApps(stack("http://a:4646"), stack("http://b:4646"));
    expect(review.changes).toEqual([]);
    expect(review.otherChanges).toEqual([
      { address: "output.nomad_address", action: "update" },
      { address: "provider.nomad", action: "update" },
    ]);
  });

  test("an added stack lists its resources as created, with their documents in full", () => {
    const [stack] = compareApps({}, { s: job('job "web" {}\n') });
    expect(stack.status).toBe("added");
    expect(stack.changes[0]).toMatchObject({ action: "create", attributes: [{ path: "jobspec", textDiff: '@@ -0,0 +1 @@\n+job "web" {}' }] });
  });
});

/**
 * Terraform's own rules, each checked against a case whose effect its documentation states
 * (developer.hashicorp.com/terraform/language/meta-arguments/lifecycle, .../resources/terraform-data,
 * .../resources/provisioners) or the provider's source does (hcloud v1.68.0 internal/server/resource.go).
 */
describe("compareApps applies Terraform's lifecycle rules", () => {
  const stack = (resources: Record<string, Record<string, any>>) => ({ s: { resource: resources } });
  const server = (body: Record<string, any>) => ({ server_type: "cx23", user_data: "a\n", labels: { role: "server-client" }, ...body });
  const review = (before: Record<string, Record<string, any>>, after: Record<string, Record<string, any>>) => compareApps(stack(before), stack(after))[0];

  test("ignore_changes: a changed user_data is not applied, so the server is neither replaced nor updated", () => {
    const lifecycle = { ignore_changes: ["user_data", "ssh_keys"] };
    const r = review({ hcloud_server: { a: server({ lifecycle }) } }, { hcloud_server: { a: server({ user_data: "b\n", lifecycle }) } });
    expect(r.changes).toEqual([]);
    expect(r.ignored).toEqual([{ address: "hcloud_server.a", constructPath: undefined, paths: ["user_data"], reason: "lifecycle.ignore_changes" }]);
  });

  test("ignore_changes: the other attributes still apply, and the ignored one cannot force a replacement", () => {
    const lifecycle = { ignore_changes: ["user_data"] };
    const [change] = review({ hcloud_server: { a: server({ lifecycle }) } }, { hcloud_server: { a: server({ user_data: "b\n", server_type: "cx33", lifecycle }) } }).changes;
    expect(change).toMatchObject({ action: "update", ignoredPaths: ["user_data"], attributes: [{ path: "server_type" }] });
  });

  test('ignore_changes = "all" and indexed entries (labels["role"]) ignore what they name', () => {
    const all = review({ hcloud_server: { a: server({ lifecycle: { ignore_changes: "all" } }) } }, { hcloud_server: { a: server({ image: "debian-13", lifecycle: { ignore_changes: "all" } }) } });
    expect(all.changes).toEqual([]);
    const lifecycle = { ignore_changes: ['labels["role"]'] };
    const labels = review({ hcloud_server: { a: server({ lifecycle }) } }, { hcloud_server: { a: server({ labels: { role: "client", env: "x" }, lifecycle }) } });
    expect(labels.changes[0].attributes.map((a) => a.path)).toEqual(["labels.env"]);
  });

  test("ignore_changes does not stop a resource that is new or removed", () => {
    const lifecycle = { ignore_changes: "all" };
    const r = review({}, { hcloud_server: { a: server({ lifecycle }) } });
    expect(r.changes.map((c) => c.action)).toEqual(["create"]);
  });

  test("a change of meta-arguments only (depends_on, lifecycle, provisioners) applies nothing", () => {
    const r = review({ terraform_data: { a: { input: "x", provisioner: [{ "local-exec": { command: "a" } }] } } }, { terraform_data: { a: { input: "x", depends_on: ["terraform_data.b"], provisioner: [{ "local-exec": { command: "b" } }] } } });
    expect(r.changes).toEqual([]);
    expect(r.ignored).toEqual([{ address: "terraform_data.a", constructPath: undefined, paths: [], reason: "meta-arguments only" }]);
  });

  test("terraform_data: a new triggers_replace replaces it, a new input updates it", () => {
    const data = (body: Record<string, any>) => ({ terraform_data: { a: body } });
    expect(review(data({ triggers_replace: { v: 1 } }), data({ triggers_replace: { v: 2 } })).changes[0]).toMatchObject({ action: "replace", replacedBecause: ["triggers_replace"] });
    expect(review(data({ input: 1 }), data({ input: 2 })).changes[0].action).toBe("update");
  });

  test("every argument of random_* and tls_* resources forces a new one", () => {
    expect(review({ random_password: { p: { length: 32 } } }, { random_password: { p: { length: 40 } } }).changes[0].action).toBe("replace");
    expect(review({ tls_self_signed_cert: { c: { validity_period_hours: 1 } } }, { tls_self_signed_cert: { c: { validity_period_hours: 2 } } }).changes[0].action).toBe("replace");
  });

  test("create_before_destroy: the replacement is created first and shows as +/-", () => {
    const lifecycle = { create_before_destroy: true };
    const r = compareApps(stack({ hcloud_ssh_key: { k: { public_key: "a", lifecycle } } }), stack({ hcloud_ssh_key: { k: { public_key: "b", lifecycle } } }));
    expect(r[0].changes[0]).toMatchObject({ action: "replace", createBeforeDestroy: true });
    expect(renderText({ base: "HEAD", stacks: r, effects: [], costs: [], prices: {} as any })).toContain("  +/- hcloud_ssh_key.k  replaced because: public_key (create_before_destroy: the new one first)");
  });

  test("replace_triggered_by a resource: any update of it replaces this one", () => {
    const lifecycle = { replace_triggered_by: ["${terraform_data.rev}"] };
    const r = review({ terraform_data: { rev: { input: 1 } }, nomad_namespace: { n: { name: "lab", lifecycle } } }, { terraform_data: { rev: { input: 2 } }, nomad_namespace: { n: { name: "lab", lifecycle } } });
    expect(r.changes.map((c) => [c.address, c.action, c.replacedBecause])).toEqual([
      ["nomad_namespace.n", "replace", ["replace_triggered_by terraform_data.rev"]],
      ["terraform_data.rev", "update", []],
    ]);
  });

  test("replace_triggered_by an attribute: only a change of that attribute replaces", () => {
    const lifecycle = { replace_triggered_by: ["hcloud_server.a.server_type"] };
    const before = { hcloud_server: { a: server({}) }, nomad_namespace: { n: { name: "lab", lifecycle } } };
    const labels = review(before, { hcloud_server: { a: server({ labels: { role: "server-client", x: "y" } }) }, nomad_namespace: { n: { name: "lab", lifecycle } } });
    expect(labels.changes.map((c) => c.address)).toEqual(["hcloud_server.a"]);
    const resized = review(before, { hcloud_server: { a: server({ server_type: "cx33" }) }, nomad_namespace: { n: { name: "lab", lifecycle } } });
    expect(resized.changes.map((c) => [c.address, c.action])).toEqual([["hcloud_server.a", "update"], ["nomad_namespace.n", "replace"]]);
  });

  test("a value known only after a replacement (the new server's id) replaces what it triggers and updates what reads it", () => {
    const readers = { terraform_data: { install: { triggers_replace: { server: "${hcloud_server.a.id}" } }, named: { triggers_replace: { name: "${hcloud_server.a.name}" } } }, nomad_variable: { v: { path: "x", items: { ip: "${hcloud_server.a.ipv4_address}" } } } };
    const r = review({ hcloud_server: { a: server({ name: "a" }) }, ...readers }, { hcloud_server: { a: server({ name: "a", image: "debian-13" }) }, ...readers });
    expect(r.changes.map((c) => [c.address, c.action, [...c.replacedBecause, ...c.updatedBecause]])).toEqual([
      ["hcloud_server.a", "replace", ["image"]],
      ["nomad_variable.v", "update", ["items reads hcloud_server.a.ipv4_address, which is replaced"]],
      ["terraform_data.install", "replace", ["triggers_replace reads hcloud_server.a.id, which is replaced"]],
    ]);
  });
});

describe("the review says what a change does to the cluster", () => {
  const servers = (n: number, body: Record<string, any> = {}): Record<string, Record<string, any>> =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i + 1}`, { server_type: "cx23", labels: { role: "server" }, ...body }]));
  const effects = (before: Record<string, any>, after: Record<string, any>) => {
    const [b, a] = [{ hosts: { resource: before } }, { hosts: { resource: after } }];
    return clusterEffects({ before: b, after: a, stacks: compareApps(b, a) });
  };

  test("resizing every server at once powers them all off: the cluster loses its quorum", () => {
    const [finding] = effects({ hcloud_server: servers(3) }, { hcloud_server: servers(3, { server_type: "cx33" }) });
    expect(finding.severity).toBe("danger");
    expect(finding.text).toMatch(/^hosts: 3 of 3 servers stop \(powered off to change its server type\), 3 at once: fewer than the quorum of 2 stay up/);
  });

  test("resizing one server of three keeps the quorum", () => {
    const after = servers(3);
    after.s1 = { ...after.s1, server_type: "cx33" };
    expect(effects({ hcloud_server: servers(3) }, { hcloud_server: after })).toEqual([{ severity: "warning", text: "hosts: 1 of 3 servers stop (powered off to change its server type), 1 at once; the quorum of 2 of 3 holds." }]);
  });

  test("servers ordered by depends_on change one at a time", () => {
    const chained = (type: string) => {
      const s = servers(3, { server_type: type });
      s.s2 = { ...s.s2, depends_on: ["hcloud_server.s1"] };
      s.s3 = { ...s.s3, depends_on: ["hcloud_server.s2"] };
      return s;
    };
    expect(effects({ hcloud_server: chained("cx23") }, { hcloud_server: chained("cx33") })[0].severity).toBe("warning");
  });

  test("growing from 3 to 5 servers whose user_data is ignored replaces none of them", () => {
    const lifecycle = { ignore_changes: ["user_data"] };
    const before = servers(3, { user_data: "join 3\n", lifecycle });
    const after = servers(5, { user_data: "join 5\n", lifecycle });
    const b = { hosts: { resource: { hcloud_server: before } } };
    const a = { hosts: { resource: { hcloud_server: after } } };
    const [stack] = compareApps(b, a);
    expect(stack.changes.map((c) => c.action)).toEqual(["create", "create"]);
    expect(clusterEffects({ before: b, after: a, stacks: [stack] })).toEqual([{ severity: "info", text: "hosts: 2 server(s) join (3 → 5); the quorum becomes 3 of 5." }]);
  });

  test("names the jobs that restart, the ones that only scale, and the readers of a changed variable", () => {
    const job = (image: string, count: number) => `job "web" {\n  group "g" {\n    count = ${count}\n    task "t" {\n      config {\n        image = "${image}"\n      }\n      template {\n        data = "{{ with nomadVar \\"nomad/jobs/web\\" }}{{ .k }}{{ end }}"\n      }\n    }\n  }\n}\n`;
    const stack = (image: string, count: number, secret: string) => ({ nomad_job: { web: { jobspec: job(image, count) } }, nomad_variable: { v: { path: "nomad/jobs/web", items: { k: secret } } } });
    expect(effects(stack("a:1", 1, "x"), stack("a:2", 1, "x")).map((f) => f.text)).toEqual(["hosts: jobs restart their allocations (rolling, per their update block): web."]);
    expect(effects(stack("a:1", 1, "x"), stack("a:1", 2, "x")).map((f) => f.text)).toEqual(["hosts: jobs change their count only: web."]);
    expect(effects(stack("a:1", 1, "x"), stack("a:1", 1, "y")).map((f) => f.text)).toEqual([
      'hosts: variable nomad/jobs/web changes; the templates of web re-render and their tasks restart (template change_mode "restart", Nomad\'s default).',
      "hosts: the secret items of nomad_variable.v change.",
    ]);
  });

  test("names the secrets that rotate and the provisioners that run again", () => {
    const before = { random_password: { gossip: { length: 32 } }, terraform_data: { d: { triggers_replace: { k: "${random_password.gossip.result}" }, provisioner: [{ "remote-exec": { inline: ["x"] } }] } } };
    const after = { random_password: { gossip: { length: 40 } }, terraform_data: before.terraform_data };
    expect(effects(before, after)).toEqual([
      { severity: "warning", text: "hosts: 1 resource(s) run their provisioners again, 1 at once: terraform_data.d." },
      { severity: "warning", text: "hosts: secrets rotate: random_password.gossip." },
    ]);
  });
});

describe("Masker", () => {
  const masker = new Masker({
    acl: {
      output: {
        nomad_token: { sensitive: true, value: "x" },
        nomad_address: { value: "y" },
        // cdktf marks every cross-stack output sensitive; only what it carries decides.
        "cross-stack-output-random_uuidsecretresult": { sensitive: true, value: "${random_uuid.secret.result}" },
        "cross-stack-output-hcloud_serverserveripv4_address": { sensitive: true, value: "${hcloud_server.server.ipv4_address}" },
      },
    },
    hosts: { variable: { hcloud_token: { sensitive: true }, region: {} } },
  });

  test.each([
    ["${var.hcloud_token}", MASK],
    ["${var.region}", "${var.region}"],
    ["${data.terraform_remote_state.acl.outputs.nomad_token}", MASK],
    ["${data.terraform_remote_state.acl.outputs.nomad_address}", "${data.terraform_remote_state.acl.outputs.nomad_address}"],
    ["token=${random_password.gossip.result}", `token=${MASK}`],
    ["${data.terraform_remote_state.acl.outputs.cross-stack-output-random_uuidsecretresult}", MASK],
    [
      "https://${data.terraform_remote_state.hosts.outputs.cross-stack-output-hcloud_serverserveripv4_address}:4646",
      "https://${data.terraform_remote_state.hosts.outputs.cross-stack-output-hcloud_serverserveripv4_address}:4646",
    ],
    ['${jsonencode({"Token" = var.hcloud_token, "Region" = var.region})}', `\${jsonencode({"Token" = ${MASK}, "Region" = var.region})}`],
    ["$${NOMAD_TASK_DIR}/run", "$${NOMAD_TASK_DIR}/run"],
    ["encrypt = \"pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\"", `encrypt = "${MASK}"`],
    [`HCLOUD_TOKEN=${"aB3".repeat(21)}x`, `HCLOUD_TOKEN=${MASK}`],
    [`image = "coredns@sha256:${"0f".repeat(32)}"`, `image = "coredns@sha256:${"0f".repeat(32)}"`],
    ["-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----", MASK],
  ])("masks %j as %j", (input, expected) => {
    expect(masker.maskString(input)).toBe(expected);
  });
});

describe("unifiedDiff", () => {
  test("is empty for equal texts and keeps three lines of context", () => {
    expect(unifiedDiff("a\nb\n", "a\nb\n")).toBe("");
    const before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
    const after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
    expect(unifiedDiff(before, after)).toBe("@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8");
  });
});
