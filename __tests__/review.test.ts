import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unifiedDiff } from "../scripts/review/line-diff";
import { Masker, MASK } from "../scripts/review/mask";
import { compareApps } from "../scripts/review/plan";
import { commitAll, PROJECT_ROOT, scratchCopyOfProject } from "./support/scratch-repo";

const TSX = join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");

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

function runReview(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [TSX, "scripts/review/cli.ts", ...args], { cwd, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("npm run review", () => {
  let repo: string;

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
    const { status, stdout, stderr } = runReview(repo, "HEAD~1");
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
  });

  test("shows jobspecs as Nomad receives them, with sensitive references masked", () => {
    const { stdout } = runReview(repo, "HEAD~1");
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

  test("fails with exit code 1 on an unknown base ref", () => {
    const { status, stderr } = runReview(repo, "no-such-ref");
    expect(status).toBe(1);
    expect(stderr).toContain("review: git rev-parse");
  });

  test("fails with exit code 1 and the synth error when the working tree does not synthesize", () => {
    const fixture = join(repo, "review-fixture.json");
    const committed = readFileSync(fixture, "utf8");
    try {
      writeFileSync(fixture, JSON.stringify({ ...JSON.parse(committed), capabilities: ["submit-jobs"] }));
      const { status, stderr } = runReview(repo, "HEAD~1");
      expect(status).toBe(1);
      expect(stderr).toContain(`review: synth of ${repo} failed`);
      expect(stderr).toContain("fixture-workloads/developer");
    } finally {
      writeFileSync(fixture, committed);
    }
  });

  test("fails with exit code 1 and usage without a base ref", () => {
    const { status, stderr } = runReview(repo);
    expect(status).toBe(1);
    expect(stderr).toContain("usage: npm run review -- <base-ref> [--markdown]");
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
