import { Construct } from "constructs";
import { lab } from "../environments";
import { parse as parseYaml } from "yaml";
import { Ingress, IngressProps } from "../constructs/ingress";
import { NomadService } from "../constructs/nomad-service";
import { CloudflareProvider } from "../constructs/providers";
import { SEED_FACTS } from "./dns-vip.support";
import { evaluateJobspecs, jobStack, parseJob, synthJobStack } from "./nomad-job.support";
import { parseHcl } from "./support/hcl";
import { resourcesOf, StackJson, synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";
import { traefikMatch } from "./support/traefik-match";
import { forbiddenTagsConstraint } from "../constructs/ingress/router-tags";

const ZONE = { zoneId: "0123456789abcdef0123456789abcdef", zoneName: "example.com" };
const INGRESS: IngressProps = {
  namespaces: ["default", "public"],
  domain: "lab.example.com",
  hostNetwork: "public",
  dashboardHostNetwork: "private",
  dashboardAllowedCidrs: ["198.51.100.7/32"],
};

async function traefikJob(stack: StackJson): Promise<Record<string, any>> {
  requireTool("terraform");
  const jobspec = Object.values(evaluateJobspecs(stack)).find((j) => j.startsWith('job "traefik"'));
  return (await parseJob(jobspec!)).traefik[0];
}

const traefikTask = (job: Record<string, any>, name = "traefik") => job.group.traefik[0].task[name][0];
const template = (job: Record<string, any>, destination: string, task = "traefik"): string =>
  traefikTask(job, task).template.find((t: any) => t.destination === destination).data;

/** The dynamic configuration as Nomad renders it on a host at 10.0.10.11 with the variable set. */
function renderDynamic(data: string): Record<string, any> {
  const rendered = data
    .replace('{{ env "NOMAD_IP_dashboard" }}', "10.0.10.11")
    .replace(/\{\{- with nomadVar "nomad\/jobs\/traefik" \}\}\n(.*)\{\{ \.BASIC_AUTH \}\}(.*)\n\{\{- end \}\}/, "\n$1admin:$$apr1$$x$$y$2");
  expect(rendered).not.toContain("{{");
  return parseYaml(rendered);
}

describe("Ingress (Traefik)", () => {
  const stack = synthJobStack((scope) => new Ingress(scope, "Ingress", INGRESS), SEED_FACTS);

  it("listens on static ports 80 and 443 of the public network and the dashboard's on the private one, in one bridge network", async () => {
    const job = await traefikJob(stack);
    expect(job.namespace).toBe("ingress");
    expect(job.group.traefik[0].network[0]).toEqual({
      mode: "bridge",
      port: {
        http: [{ static: 80, to: 80, host_network: "public" }],
        https: [{ static: 443, to: 443, host_network: "public" }],
        dashboard: [{ static: 8080, to: 8080, host_network: "private" }],
      },
    });
  });

  it("discovers Nomad services over the task API socket with its workload identity (NOMAD_TOKEN), no token in the config", async () => {
    const job = await traefikJob(stack);
    expect(traefikTask(job).identity).toEqual([{ env: true }]);
    const config = parseYaml(template(job, "local/traefik.yml"));
    expect(config.providers.nomad).toEqual({
      exposedByDefault: false,
      namespaces: ["default", "public"],
      constraints: forbiddenTagsConstraint(),
      endpoint: { address: "unix:///secrets/api.sock" },
    });
    expect(JSON.stringify(config)).not.toMatch(/token/i);
    // Routers that name no entry point get web and websecure only, never the dashboard's.
    expect(config.entryPoints).toEqual({
      web: { address: ":80", asDefault: true },
      websecure: { address: ":443", asDefault: true },
      dashboard: { address: ":8080" },
    });
  });

  it("serves the dashboard on its own entry point only, behind an IP allow-list, a rate limit and basic auth from a Nomad variable", async () => {
    const job = await traefikJob(stack);
    const dynamic = renderDynamic(template(job, "secrets/dynamic.yml"));
    expect(dynamic.http.routers.dashboard).toEqual({
      rule: "PathPrefix(`/api`) || PathPrefix(`/dashboard`)",
      entryPoints: ["dashboard"],
      service: "api@internal",
      middlewares: ["dashboard-allowlist", "dashboard-ratelimit", "dashboard-auth"],
    });
    expect(dynamic.http.middlewares).toEqual({
      // The host's own address: SSH tunnels to it arrive from there.
      "dashboard-allowlist": { ipAllowList: { sourceRange: ["198.51.100.7/32", "10.0.10.11/32"] } },
      "dashboard-ratelimit": { rateLimit: { average: 5, period: "1s", burst: 50 } },
      "dashboard-auth": { basicAuth: { users: ["admin:$apr1$x$y"] } },
    });
    expect(Object.values(dynamic.http.routers).filter((r: any) => r.service === "api@internal")).toHaveLength(1);
  });

  it("has a minimal policy: read-job in the routed namespaces and nothing else, bound to the job with job_acl", async () => {
    const policies = Object.values(resourcesOf(stack, "nomad_acl_policy"));
    expect(policies).toHaveLength(1);
    const [policy] = policies;
    expect(policy.name).toBe("traefik");
    expect(policy.job_acl).toEqual({ namespace: "ingress", job_id: "traefik" });
    expect(await parseHcl(policy.rules_hcl)).toEqual({
      namespace: { default: [{ capabilities: ["read-job"] }], public: [{ capabilities: ["read-job"] }] },
    });
  });

  it("is created before the job it is bound to", () => {
    const [job] = Object.values(resourcesOf(stack, "nomad_job"));
    expect(job.depends_on).toEqual([expect.stringMatching(/^nomad_acl_policy\./)]);
  });

  it("without a dashboard, has no Traefik API, no dashboard port and no dynamic configuration", async () => {
    const job = await traefikJob(synthJobStack((scope) => new Ingress(scope, "Ingress", { ...INGRESS, dashboardAuth: false }), SEED_FACTS));
    expect(traefikTask(job).template.map((t: any) => t.destination)).toEqual(["local/traefik.yml"]);
    const config = parseYaml(template(job, "local/traefik.yml"));
    expect(config.api).toBeUndefined();
    expect(Object.keys(config.entryPoints)).toEqual(["web", "websecure"]);
    expect(Object.keys(job.group.traefik[0].network[0].port)).toEqual(["http", "https"]);
  });

  it("fails for each invalid setting at once, naming the construct and the field", () => {
    const build = () =>
      new Ingress(jobStack(SEED_FACTS), "Ingress", {
        namespaces: [],
        domain: "Lab.Example.com.",
        dashboardAllowedCidrs: ["10.0.0.5/8", "0.0.0.0/0", "home"],
        dashboardPort: 443,
        dashboardAuth: { path: 'nomad/jobs/traefik" }}{{', item: "BASIC_AUTH }}{{ .x" },
      });
    expect(build).toThrow(/^test\/Ingress: invalid Ingress:\n  - namespaces is empty/);
    for (const problem of [
      /domain "Lab\.Example\.com\." is not a lowercase DNS name/,
      /dashboardAllowedCidrs: "10\.0\.0\.5\/8" has host bits set/,
      /dashboardAllowedCidrs: "0\.0\.0\.0\/0" admits every address; list the operators' own ranges/,
      /dashboardAllowedCidrs: "home" is not an IPv4 CIDR/,
      /dashboardPort 443 is not a free port number: use a whole number from 1 to 65535 other than 80 and 443/,
      /dashboardAuth\.item "BASIC_AUTH \}\}\{\{ \.x" is not a variable item name/,
      /dashboardAuth\.path "nomad\/jobs\/traefik" \}\}\{\{" is not a Nomad variable path/,
    ]) {
      expect(build).toThrow(problem);
    }
  });

  it.each([NaN, 0, 8080.5, 70000])("fails for dashboardPort %s", (dashboardPort) => {
    expect(() => new Ingress(jobStack(SEED_FACTS), "Ingress", { ...INGRESS, dashboardPort })).toThrow(
      new RegExp(`test/Ingress: invalid Ingress:[\\s\\S]*dashboardPort ${dashboardPort} is not a free port number`),
    );
  });

  it("fails when the clients do not enable docker, which Traefik runs on", () => {
    expect(() => new Ingress(jobStack({ ...SEED_FACTS, drivers: ["podman", "exec"] }), "Ingress", INGRESS)).toThrow(
      /test\/Ingress\/Job: invalid Nomad job:[\s\S]*task "traefik": uses the docker driver, which the clients do not enable \(enabled: podman, exec\)\. .*enable docker on the clients/,
    );
  });
});

describe("Ingress runtime guard (Traefik's constraint, evaluated by Go as Traefik does)", () => {
  const keeps = (tags: string[]) => traefikMatch({ constraint: forbiddenTagsConstraint(), tagSets: [tags] }).matches[0];
  const ok = ["traefik.enable=true", "traefik.http.routers.app.rule=Host(`app.example.com`)", "traefik.http.routers.app.entrypoints=web"];

  it("keeps the tags exposeVia writes", async () => {
    requireTool("terraform");
    const stack = synthJobStack((scope) => {
      const ingress = new Ingress(scope, "Ingress", INGRESS);
      new NomadService(scope, "ItTools", { image: "corentinth/it-tools:latest" }).exposeVia(ingress, "tools.example.com");
    }, SEED_FACTS);
    const jobspec = Object.values(evaluateJobspecs(stack)).find((j) => j.startsWith('job "it-tools"'));
    const tags = (await parseJob(jobspec!))["it-tools"][0].group["it-tools"][0].service[0].tags;
    expect(keeps(tags)).toBe(true);
    expect(keeps([...ok, "traefik.http.routers.app.middlewares=strip", "traefik.http.middlewares.strip.stripprefix.prefixes=/app"])).toBe(true);
  });

  it.each([
    ["the dashboard's service", "traefik.http.routers.app.service=api@internal"],
    ["a file-provider middleware", "traefik.http.routers.app.middlewares=strip, dashboard-auth@file"],
    ["a router priority", "traefik.http.routers.app.priority=100000"],
    ["a priority spelled in capitals", "traefik.HTTP.Routers.app.Priority = 5"],
    ["a TCP router", "traefik.tcp.routers.all.rule=HostSNI(`*`)"],
    ["a UDP router", "traefik.udp.routers.dns.entrypoints=web"],
    ["a server URL", "traefik.http.services.app.loadbalancer.server.url=http://169.254.169.254/"],
    ["the dashboard's entry point", "traefik.http.routers.app.entrypoints=web,dashboard"],
  ])("drops a service asking for %s", (_, tag) => {
    expect(keeps([...ok, tag])).toBe(false);
  });
});
describe("NomadService.exposeVia", () => {
  function build(scope: Construct, ingress: Partial<IngressProps> = {}, namespace = "default") {
    new CloudflareProvider(scope, "cloudflare", {});
    const traefik = new Ingress(scope, "Ingress", { ...INGRESS, ...ingress });
    const tools = new NomadService(scope, "ItTools", { image: "corentinth/it-tools:latest", namespace });
    tools.exposeVia(traefik, "tools.example.com");
    return tools;
  }

  async function toolsTags(stack: StackJson): Promise<string[]> {
    const jobspec = Object.values(evaluateJobspecs(stack)).find((j) => j.startsWith('job "it-tools"'));
    return (await parseJob(jobspec!))["it-tools"][0].group["it-tools"][0].service[0].tags;
  }

  it("adds Traefik router tags for the hostname to the service", async () => {
    requireTool("terraform");
    const stack = synthJobStack((scope) => build(scope), SEED_FACTS);
    expect(await toolsTags(stack)).toEqual([
      "traefik.enable=true",
      "traefik.http.routers.it-tools-tools-example-com.rule=Host(`tools.example.com`)",
      "traefik.http.routers.it-tools-tools-example-com.entrypoints=web",
    ]);
    expect(resourcesOf(stack, "cloudflare_dns_record")).toEqual({});
  });

  it("with a Cloudflare zone, creates a cloudflare_dns_record with the right zone, name, type and content", () => {
    const stack = synthJobStack((scope) => build(scope, { publicZone: ZONE, publicAddresses: ["203.0.113.10"] }), SEED_FACTS);
    const records = Object.values(resourcesOf(stack, "cloudflare_dns_record"));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ zone_id: ZONE.zoneId, name: "tools.example.com", type: "A", content: "203.0.113.10" });
  });

  it("creates no public record for a name outside the zone (e.g. the lab domain served by DnsVip)", () => {
    const stack = synthJobStack((scope) => build(scope, { publicZone: { zoneId: ZONE.zoneId, zoneName: "example.org" }, publicAddresses: ["203.0.113.10"] }), SEED_FACTS);
    expect(resourcesOf(stack, "cloudflare_dns_record")).toEqual({});
  });

  it("fails for a service in a namespace the ingress does not route", () => {
    expect(() => build(jobStack(SEED_FACTS), {}, "dns")).toThrow(
      /test\/ItTools: cannot expose "tools\.example\.com" via test\/Ingress: the service runs in namespace "dns", which the ingress does not route/,
    );
  });

  it("fails for a public zone without addresses to point at", () => {
    expect(() => build(jobStack(SEED_FACTS), { publicZone: ZONE })).toThrow(/has the public zone "example\.com" but no publicAddresses/);
  });

  it("fails for a hostname that is not a DNS name", () => {
    const stack = jobStack(SEED_FACTS);
    const traefik = new Ingress(stack, "Ingress", INGRESS);
    const tools = new NomadService(stack, "ItTools", { image: "corentinth/it-tools:latest" });
    expect(() => tools.exposeVia(traefik, "Tools_App")).toThrow(/cannot expose "Tools_App".*not a lowercase DNS name/);
  });
});

describe("an environment with a Cloudflare zone", () => {
  it("publishes an exposed service at the hosts stack's public addresses, with a Cloudflare provider", () => {
    const stacks = synthEnvironment({ ...lab, cloudflare: ZONE }, ({ workloads }) => {
      workloads.itTools.exposeVia(workloads.ingress, "tools.example.com");
    });
    const workloads = stacks["lab-workloads"];
    expect(workloads.provider.cloudflare).toEqual([{}]);
    const records = Object.values(resourcesOf(workloads, "cloudflare_dns_record"));
    expect(records).toHaveLength(lab.cluster.kind === "hetzner" ? lab.cluster.servers.count : 0);
    for (const record of records) {
      expect(record).toMatchObject({ zone_id: ZONE.zoneId, name: "tools.example.com", type: "A" });
      expect(record.content).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-lab-hosts\.outputs\.[^}]+\}$/);
    }
  });
});
