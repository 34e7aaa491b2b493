import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import * as hashilab from "hashilab";
import * as builtinPolicies from "../policies/builtin";
import { ClusterFacts, declareClusterFacts } from "../constructs/cluster-facts";
import { CloudflareProvider, ConsulProvider, HcloudProvider, NomadProvider, RandomProvider, TlsProvider } from "../constructs/providers";
import { teamAccess } from "../examples/access";
import { devAclBootstrap } from "../examples/acl-bootstrap";
import { workloadIdentity } from "../examples/consul-workload-identity";
import { labDns } from "../examples/dns-vip";
import { labCluster } from "../examples/hetzner-cluster";
import { homeCluster } from "../examples/ssh-cluster";
import { whoamiBehindTraefik } from "../examples/ingress";
import { developerAccess } from "../examples/nomad-acl";
import { resticBackup } from "../examples/nomad-job";
import { itTools } from "../examples/nomad-service";
import { giteaSecrets } from "../examples/nomad-variable";
import { homeHostname } from "../examples/public-hostname";
import { raftSnapshots } from "../examples/raft-snapshots";
import { giteaBackups } from "../examples/volume-backups";
import { giteaWithVolume } from "../examples/volumes";
import { globMatches } from "../constructs/core";
import { parseHcl } from "./support/hcl";
import { codeSpans, MarkdownPart, MarkdownTable, markdownParts } from "./support/readme";
import { StackJson, synthApp } from "./support/synth";

const ROOT = join(__dirname, "..");
const PAGES_DIR = join(ROOT, "docs", "constructs");

/** Each construct page (docs/constructs/<name>.md) and its example blocks and tables, in order. */
const PAGES = readdirSync(PAGES_DIR)
  .filter((file) => file.endsWith(".md"))
  .sort()
  .map((file) => {
    const markdown = readFileSync(join(PAGES_DIR, file), "utf8");
    return { file: `docs/constructs/${file}`, markdown, parts: markdownParts(markdown) };
  });

const PROVIDERS = {
  nomad: (stack: TerraformStack) => new NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" }),
  consul: (stack: TerraformStack) => new ConsulProvider(stack, "consul", { address: "http://127.0.0.1:8500" }),
  cloudflare: (stack: TerraformStack) => new CloudflareProvider(stack, "cloudflare", {}),
  hcloud: (stack: TerraformStack) => new HcloudProvider(stack, "hcloud", {}),
  tls: (stack: TerraformStack) => new TlsProvider(stack, "tls", {}),
  random: (stack: TerraformStack) => new RandomProvider(stack, "random", {}),
};

/** The cluster the examples land on, declared as this repository's stacks declare theirs, so synth checks run. */
const FACTS: ClusterFacts = {
  namespaces: ["default", "lab", "public", "dev", "dns", "ingress", "ops", "csi"],
  clientCount: 3,
  drivers: ["docker", "podman", "exec"],
  hostNetworks: [],
  datacenter: "dc1",
  region: "global",
  namespaceAdmission: { csi: { taskDrivers: ["docker", "podman"], addCapabilities: [], hostNetworkMode: true, allowPrivileged: true } },
  volumeProvider: { kind: "hetzner-csi", location: "nbg1" },
};

interface Example {
  readonly build: (stack: TerraformStack) => unknown;
  readonly providers: readonly (keyof typeof PROVIDERS)[];
}

/** Every file in examples/, with the providers its stack needs. */
const EXAMPLES: Record<string, Example> = {
  "examples/nomad-service.ts": { build: itTools, providers: ["nomad"] },
  "examples/nomad-job.ts": { build: resticBackup, providers: ["nomad"] },
  "examples/nomad-variable.ts": { build: giteaSecrets, providers: ["nomad"] },
  "examples/dns-vip.ts": { build: labDns, providers: ["nomad"] },
  "examples/ingress.ts": { build: whoamiBehindTraefik, providers: ["nomad", "cloudflare"] },
  "examples/public-hostname.ts": { build: homeHostname, providers: ["cloudflare"] },
  "examples/nomad-acl.ts": { build: developerAccess, providers: ["nomad"] },
  "examples/consul-workload-identity.ts": { build: workloadIdentity, providers: ["consul"] },
  "examples/hetzner-cluster.ts": { build: labCluster, providers: ["hcloud", "tls", "random"] },
  "examples/ssh-cluster.ts": { build: homeCluster, providers: ["tls", "random"] },
  "examples/acl-bootstrap.ts": { build: devAclBootstrap, providers: ["random"] },
  "examples/raft-snapshots.ts": { build: raftSnapshots, providers: ["nomad", "consul"] },
  "examples/access.ts": { build: teamAccess, providers: ["nomad"] },
  "examples/volumes.ts": { build: giteaWithVolume, providers: ["nomad"] },
  "examples/volume-backups.ts": { build: giteaBackups, providers: ["nomad"] },
};

const synthesized = new Map<string, StackJson>();

/** The example's stack "example" as cdk.tf.json (synthesized once). */
function synthExample(file: string): StackJson {
  const cached = synthesized.get(file);
  if (cached) return cached;
  const { build, providers } = EXAMPLES[file];
  const json = synthApp((app) => {
    const stack = new TerraformStack(app, "example");
    declareClusterFacts(stack, FACTS);
    providers.forEach((provider) => PROVIDERS[provider](stack));
    build(stack);
  }).example;
  synthesized.set(file, json);
  return json;
}

/** A synthesized resource or data source ("data.<type>"), by its construct path below the stack. */
interface Created {
  readonly path: string;
  readonly type: string;
  readonly config: Record<string, any>;
}

function createdBy(json: StackJson): Created[] {
  const blocks = [
    ...Object.entries<Record<string, any>>(json.resource ?? {}).map(([type, byId]) => [type, byId] as const),
    ...Object.entries<Record<string, any>>(json.data ?? {}).map(([type, byId]) => [`data.${type}`, byId] as const),
  ];
  return blocks.flatMap(([type, byId]) =>
    Object.values(byId).map((config) => ({ type, config, path: String(config["//"].metadata.path).replace(/^example\//, "") })),
  );
}

/** The resource of `type` at `path` in the example's stack. */
function resourceAt(file: string, type: string, path: string): Record<string, any> {
  const found = createdBy(synthExample(file)).find((c) => c.type === type && c.path === path);
  if (!found) throw new Error(`${file} creates no ${type} at ${path}`);
  return found.config;
}

describe("each example synthesizes to what its construct page says it creates", () => {
  test("NomadService: one nomad_job running the image behind an HTTP-checked service", () => {
    const jobspec = resourceAt("examples/nomad-service.ts", "nomad_job", "ItTools/Job/Default").jobspec;
    expect(jobspec).toContain('job "it-tools" {');
    expect(jobspec).toContain('image = "corentinth/it-tools:latest"');
    expect(jobspec).toMatch(/service \{\n\s+name\s+= "it-tools"/);
    expect(jobspec).toMatch(/path\s+= "\/"/);
    expect(jobspec).toMatch(/to\s+= 80/);
  });

  test("NomadJob: a periodic batch job with the group added later, and its policy bound to it and created first", () => {
    const job = resourceAt("examples/nomad-job.ts", "nomad_job", "Restic/Default");
    expect(job.jobspec).toMatch(/type\s+= "batch"/);
    expect(job.jobspec).toContain('group "restic" {');
    expect(job.jobspec).toContain('{{ with nomadVar "restic/repository" }}');
    const policy = resourceAt("examples/nomad-job.ts", "nomad_acl_policy", "Restic/Repository/Resource");
    expect(policy.name).toBe("restic-repository");
    expect(policy.job_acl).toEqual({ job_id: "restic", namespace: "default" });
    expect(policy.rules_hcl).toContain('path "restic/*"');
    expect(job.depends_on).toEqual([expect.stringContaining("nomad_acl_policy.")]);
  });

  test("NomadVariable: the secret reaches the variable from a sensitive Terraform variable and the job only by reference", () => {
    const json = synthExample("examples/nomad-variable.ts");
    const variable = resourceAt("examples/nomad-variable.ts", "nomad_variable", "GiteaSecrets/Resource");
    expect(variable.path).toBe("nomad/jobs/gitea");
    expect(variable.items).toEqual({ db_password: "${var.gitea_db_password}" });
    expect(json.variable.gitea_db_password.sensitive).toBe(true);
    const jobspec = resourceAt("examples/nomad-variable.ts", "nomad_job", "Gitea/Job/Default").jobspec;
    expect(jobspec).toContain('{{ with nomadVar "nomad/jobs/gitea" }}');
    expect(jobspec).toContain("GITEA__database__PASSWD={{ .db_password }}");
    expect(jobspec).not.toContain("var.gitea_db_password");
  });

  test("DnsVip (lan): CoreDNS and keepalived holding 10.0.10.2/24, with dns-read-jobs bound to the job", () => {
    const jobspec = resourceAt("examples/dns-vip.ts", "nomad_job", "Dns/Job/Default").jobspec;
    expect(jobspec).toContain('job "coredns" {');
    expect(jobspec).toMatch(/namespace\s+= "dns"/);
    expect(jobspec).toContain("10.0.10.2/24");
    expect(jobspec).toMatch(/count\s+= 3/);
    const policy = resourceAt("examples/dns-vip.ts", "nomad_acl_policy", "Dns/Job/ReadJobs/Resource");
    expect(policy.name).toBe("dns-read-jobs");
    expect(policy.job_acl).toEqual({ job_id: "coredns", namespace: "dns" });
    for (const ns of ["default", "lab", "public"]) expect(policy.rules_hcl).toContain(`namespace "${ns}"`);
  });

  test("Ingress: Traefik with its policy, router tags on the exposed service, and the public A record", () => {
    const file = "examples/ingress.ts";
    expect(resourceAt(file, "nomad_job", "Ingress/Job/Default").jobspec).toMatch(/namespace\s+= "ingress"/);
    expect(resourceAt(file, "nomad_acl_policy", "Ingress/Job/ReadServices/Resource")).toMatchObject({ name: "traefik", job_acl: { job_id: "traefik" } });
    const whoami = resourceAt(file, "nomad_job", "Whoami/Job/Default").jobspec;
    expect(whoami).toContain('"traefik.enable=true"');
    expect(whoami).toContain("rule=Host(`whoami.example.com`)");
    const record = resourceAt(file, "cloudflare_dns_record", "Whoami/PublicHostname-whoami.example.com/Record0");
    expect(record).toMatchObject({ name: "whoami.example.com", type: "A", content: "203.0.113.10", ttl: 300, proxied: false });
  });

  test("PublicHostname: one A record per address", () => {
    const records = createdBy(synthExample("examples/public-hostname.ts")).filter((c) => c.type === "cloudflare_dns_record");
    expect(records.map((r) => [r.path, r.config.name, r.config.content])).toEqual([
      ["Home/Record0", "home.example.com", "203.0.113.10"],
      ["Home/Record1", "home.example.com", "203.0.113.11"],
    ]);
  });

  test("NomadAclPolicy/Role/Token: a developer policy without submit-job, a role granting it, a client token whose secret is a sensitive output", () => {
    const file = "examples/nomad-acl.ts";
    const policy = resourceAt(file, "nomad_acl_policy", "DeveloperPolicy/Resource");
    expect(policy.rules_hcl).toContain('namespace "dev"');
    expect(policy.rules_hcl).toContain('"dispatch-job"');
    expect(policy.rules_hcl).not.toContain('"submit-job"');
    expect(resourceAt(file, "nomad_acl_role", "DevelopersRole/Resource")).toMatchObject({ name: "developers", policy: [{ name: expect.stringContaining("nomad_acl_policy.") }] });
    expect(resourceAt(file, "nomad_acl_token", "Token-alice/Resource")).toMatchObject({ name: "alice", type: "client" });
    expect(synthExample(file).output.nomad_token_alice).toMatchObject({ sensitive: true });
  });

  test("ConsulWorkloadIdentity: the JWT auth method, a service binding rule and a tasks role for each namespace", () => {
    const file = "examples/consul-workload-identity.ts";
    const method = resourceAt(file, "consul_acl_auth_method", "ConsulWorkloadIdentity/AuthMethod");
    expect(method).toMatchObject({ name: "nomad-workloads", type: "jwt" });
    expect(method.config_json).toContain("http://127.0.0.1:4646/.well-known/jwks.json");
    expect(resourceAt(file, "consul_acl_binding_rule", "ConsulWorkloadIdentity/ServicesBindingRule-lab")).toMatchObject({
      bind_name: "$${value.nomad_service}",
      selector: '"nomad_service" in value and value.nomad_namespace == "lab" and value.nomad_service matches "^lab-"',
    });
    const roles = createdBy(synthExample(file)).filter((c) => c.type === "consul_acl_role");
    expect(roles.map((r) => r.config.name).sort()).toEqual(["nomad-default-tasks", "nomad-lab-tasks"]);
  });

  test("HetznerCluster: three cx23 servers on the private network, none with a secret in its user-data", () => {
    const file = "examples/hetzner-cluster.ts";
    expect(resourceAt(file, "hcloud_network", "Cluster/Network").ip_range).toBe("10.0.0.0/16");
    expect(resourceAt(file, "hcloud_network_subnet", "Cluster/Subnet").ip_range).toBe("10.0.10.0/24");
    const servers = createdBy(synthExample(file)).filter((c) => c.type === "hcloud_server");
    expect(servers.map((s) => [s.path, s.config.server_type, s.config.network[0].ip])).toEqual([
      ["Cluster/Server-1", "cx23", "10.0.10.11"],
      ["Cluster/Server-2", "cx23", "10.0.10.12"],
      ["Cluster/Server-3", "cx23", "10.0.10.13"],
    ]);
    for (const server of servers) expect(server.config.user_data).not.toMatch(/PRIVATE KEY|tls_private_key|random_bytes/);
  });

  test("AclBootstrap: generated secrets, one terraform_data bootstrap per system, the token only as a sensitive output", () => {
    const file = "examples/acl-bootstrap.ts";
    const created = createdBy(synthExample(file));
    expect(created.filter((c) => c.type === "random_uuid")).toHaveLength(8);
    expect(resourceAt(file, "terraform_data", "AclBootstrap/Nomad").provisioner[0]["local-exec"].command).toContain("acl-bootstrap.mjs");
    expect(synthExample(file).output.nomad_token).toMatchObject({ sensitive: true });
  });

  test("Access: an operator and a developer, each with a role and a client token whose secret is a sensitive output", () => {
    const file = "examples/access.ts";
    expect(resourceAt(file, "nomad_acl_role", "Access/OperatorsRole/Resource").name).toBe("operators");
    const developer = resourceAt(file, "nomad_acl_policy", "Access/DeveloperPolicy/Resource").rules_hcl;
    expect(developer).toContain('namespace "dev"');
    expect(developer).not.toContain('"submit-job"');
    expect(resourceAt(file, "nomad_acl_token", "Access/Token-bob/Resource")).toMatchObject({ name: "bob", type: "client" });
    expect(synthExample(file).output).toMatchObject({ nomad_token_alice: { sensitive: true }, nomad_token_bob: { sensitive: true } });
  });

  test("RaftSnapshots: a daily batch job in ops, its management tokens and S3 keys only in its Nomad variable", () => {
    const file = "examples/raft-snapshots.ts";
    const job = resourceAt(file, "nomad_job", "RaftSnapshots/Job/Default").jobspec;
    expect(job).toContain('job "raft-snapshots" {');
    expect(job).toMatch(/namespace\s+= "ops"/);
    expect(job).toContain('"0 3 * * *"');
    const variable = resourceAt(file, "nomad_variable", "RaftSnapshots/Variable/Resource");
    expect(variable).toMatchObject({ path: "nomad/jobs/raft-snapshots", namespace: "ops" });
    expect(Object.keys(variable.items).sort()).toEqual(["consul_token", "nomad_token", "s3_access_key_id", "s3_secret_access_key"]);
    expect(resourceAt(file, "nomad_acl_token", "RaftSnapshots/NomadToken").type).toBe("management");
  });
});

test("every example's jobspecs parse with HashiCorp's HCL parser, as a job each", async () => {
  const jobspecs = Object.keys(EXAMPLES).flatMap((file) =>
    createdBy(synthExample(file))
      .filter((c) => c.type === "nomad_job")
      .map((c) => ({ where: `${file} ${c.path}`, jobspec: String(c.config.jobspec) })),
  );
  expect(jobspecs.length).toBeGreaterThanOrEqual(7);
  for (const { where, jobspec } of jobspecs) {
    const parsed = await parseHcl(jobspec, `${where}.nomad.hcl`);
    expect({ where, jobs: Object.keys(parsed.job ?? {}).length }).toEqual({ where, jobs: 1 });
  }
});

describe("the construct reference (docs/constructs)", () => {
  const examples = PAGES.flatMap((page) =>
    page.parts.filter((p): p is Extract<MarkdownPart, { kind: "example" }> => p.kind === "example").map((example) => ({ page: page.file, ...example })),
  );

  test("shows each file of examples/ verbatim, once, on the page named after it", () => {
    const files = readdirSync(join(ROOT, "examples")).map((f) => `examples/${f}`).sort();
    expect(examples.map((e) => e.file).sort()).toEqual(files);
    for (const example of examples) {
      expect({ file: example.file, page: example.page, code: example.code }).toEqual({
        file: example.file,
        page: example.file.replace(/^examples\/(.*)\.ts$/, "docs/constructs/$1.md"),
        code: readFileSync(join(ROOT, example.file), "utf8"),
      });
    }
    expect(Object.keys(EXAMPLES).sort()).toEqual(files);
  });

  test("lists under each example exactly the resources it creates (construct path and type)", () => {
    const problems: string[] = [];
    /** "<type> <path>" of the resources each example's tables list. */
    const covered = new Map<string, Set<string>>();
    for (const page of PAGES) {
      let current: string | undefined;
      for (const part of page.parts) {
        if (part.kind === "example") current = part.file;
        if (part.kind !== "table" || part.header[0] !== "Construct path") continue;
        if (!current) throw new Error(`${page.file} line ${part.line}: a resource table before any example`);
        const created = createdBy(synthExample(current));
        const seen = covered.get(current) ?? new Set<string>();
        covered.set(current, seen);
        for (const [paths, types] of part.rows) {
          for (const glob of codeSpans(paths)) {
            const matches = created.filter((c) => globMatches(glob, c.path) && codeSpans(types).includes(c.type));
            if (matches.length === 0) problems.push(`${page.file} line ${part.line}: ${current} creates no ${codeSpans(types).join("/")} at ${glob}`);
            matches.forEach((m) => seen.add(`${m.type} ${m.path}`));
          }
        }
      }
    }
    for (const file of Object.keys(EXAMPLES)) {
      const seen = covered.get(file) ?? new Set<string>();
      for (const c of createdBy(synthExample(file)).filter((c) => !seen.has(`${c.type} ${c.path}`))) {
        problems.push(`${file} creates ${c.type} at ${c.path}, which its page does not list`);
      }
    }
    expect(problems).toEqual([]);
  });

  test("lists every policy builder of policies/builtin.ts, each exported from the package root", () => {
    const tables = PAGES.flatMap((page) => page.parts).filter((p): p is { kind: "table" } & MarkdownTable => p.kind === "table" && p.header[0] === "Policy builder");
    expect(tables).toHaveLength(1);
    const listed = tables[0].rows.map(([cell]) => codeSpans(cell)[0].split("(")[0]);
    const builders = Object.entries(builtinPolicies).filter(([, value]) => typeof value === "function").map(([name]) => name);
    expect(listed.sort()).toEqual(builders.sort());
    for (const name of listed) expect(typeof (hashilab as Record<string, unknown>)[name]).toBe("function");
  });

  test("has a page titled with every construct the package root exports, linked from the reference's index", () => {
    const index = readFileSync(join(PAGES_DIR, "README.md"), "utf8");
    const constructs = Object.entries(hashilab).filter(([, value]) => typeof value === "function" && value.prototype instanceof Construct).map(([name]) => name);
    const problems = constructs.flatMap((name) => {
      const page = PAGES.find((p) => new RegExp(`\\b${name}\\b`).test(p.markdown.split("\n")[0]));
      if (!page) return [`${name}: no page of docs/constructs has it in its title`];
      const link = `](${page.file.replace("docs/constructs/", "")})`;
      return index.includes(link) ? [] : [`${name}: docs/constructs/README.md does not link ${page.file}`];
    });
    expect(constructs.length).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });
});
