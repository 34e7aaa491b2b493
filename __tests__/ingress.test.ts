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

const ZONE = { zoneId: "0123456789abcdef0123456789abcdef", zoneName: "example.com" };
const INGRESS: IngressProps = { namespaces: ["default", "public"], domain: "lab.example.com", hostNetwork: "public" };

async function traefikJob(stack: StackJson): Promise<Record<string, any>> {
  requireTool("terraform");
  const jobspec = Object.values(evaluateJobspecs(stack)).find((j) => j.startsWith('job "traefik"'));
  return (await parseJob(jobspec!)).traefik[0];
}

const traefikTask = (job: Record<string, any>) => job.group.traefik[0].task.traefik[0];
const template = (job: Record<string, any>, destination: string): string =>
  traefikTask(job).template.find((t: any) => t.destination === destination).data;

describe("Ingress (Traefik)", () => {
  const stack = synthJobStack((scope) => new Ingress(scope, "Ingress", INGRESS), SEED_FACTS);

  it("listens on static ports 80 and 443 of the ingress hosts' public network", async () => {
    const job = await traefikJob(stack);
    expect(job.namespace).toBe("ingress");
    expect(job.group.traefik[0].network[0].port).toEqual({
      http: [{ static: 80, to: 80, host_network: "public" }],
      https: [{ static: 443, to: 443, host_network: "public" }],
    });
  });

  it("discovers Nomad services over the task API socket with its workload identity (NOMAD_TOKEN), no token in the config", async () => {
    const job = await traefikJob(stack);
    expect(traefikTask(job).identity).toEqual([{ env: true }]);
    const config = parseYaml(template(job, "local/traefik.yml"));
    expect(config.providers.nomad).toEqual({
      exposedByDefault: false,
      namespaces: ["default", "public"],
      endpoint: { address: "unix:///secrets/api.sock" },
    });
    expect(JSON.stringify(config)).not.toMatch(/token/i);
    expect(config.entryPoints).toEqual({ web: { address: ":80" }, websecure: { address: ":443" } });
  });

  it("keeps the dashboard behind basic auth whose line comes from a Nomad variable at runtime, on traefik.<domain> only", async () => {
    const job = await traefikJob(stack);
    const dynamic = template(job, "secrets/dynamic.yml");
    expect(dynamic).toContain(`{{- with nomadVar "nomad/jobs/traefik" }}\n          - '{{ .BASIC_AUTH }}'\n{{- end }}`);
    const rendered = parseYaml(dynamic.replace(/\{\{- with nomadVar "nomad\/jobs\/traefik" \}\}\n(.*)\{\{ \.BASIC_AUTH \}\}(.*)\n\{\{- end \}\}/, "\n$1admin:$$apr1$$x$$y$2"));
    expect(rendered.http.routers.dashboard).toEqual({
      // Without the Host, the longer-ranked rule would take /api and /dashboard of every exposed hostname.
      rule: "Host(`traefik.lab.example.com`) && (PathPrefix(`/api`) || PathPrefix(`/dashboard`))",
      entryPoints: ["web"],
      service: "api@internal",
      middlewares: ["dashboard-auth"],
    });
    expect(rendered.http.middlewares["dashboard-auth"].basicAuth.users).toEqual(["admin:$apr1$x$y"]);
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

  it("without a dashboard, renders no dynamic configuration and needs no domain", async () => {
    const job = await traefikJob(synthJobStack((scope) => new Ingress(scope, "Ingress", { ...INGRESS, domain: undefined, dashboardAuth: false }), SEED_FACTS));
    expect(traefikTask(job).template.map((t: any) => t.destination)).toEqual(["local/traefik.yml"]);
    expect(parseYaml(template(job, "local/traefik.yml")).api).toEqual({ dashboard: false });
  });

  it("takes a custom dashboard rule that matches a Host", async () => {
    const rule = "Host(`dash.lab.example.com`) && PathPrefix(`/dashboard`)";
    const job = await traefikJob(synthJobStack((scope) => new Ingress(scope, "Ingress", { ...INGRESS, domain: undefined, dashboardRule: rule }), SEED_FACTS));
    expect(template(job, "secrets/dynamic.yml")).toContain(`rule: ${rule}`);
  });

  it("fails with a dashboard but no domain or rule to give it a host", () => {
    expect(() => new Ingress(jobStack(SEED_FACTS), "Ingress", { ...INGRESS, domain: undefined })).toThrow(
      /test\/Ingress: the dashboard needs a host to answer on, but the ingress has no domain; set domain .*dashboardRule, or dashboardAuth: false/,
    );
  });

  it("fails for a domain that is not a DNS name", () => {
    expect(() => new Ingress(jobStack(SEED_FACTS), "Ingress", { ...INGRESS, domain: "Lab.Example.com." })).toThrow(
      /test\/Ingress: .*domain "Lab\.Example\.com\.", which is not a lowercase DNS name/,
    );
  });

  it("fails for a dashboard rule without a Host, which would take /api and /dashboard of every hostname", () => {
    expect(() => new Ingress(jobStack(SEED_FACTS), "Ingress", { ...INGRESS, dashboardRule: "PathPrefix(`/dashboard`)" })).toThrow(
      /test\/Ingress: dashboardRule "PathPrefix\(`\/dashboard`\)" matches no Host, so it would route \/api and \/dashboard on every exposed hostname; add one/,
    );
  });

  it("fails when the clients do not enable docker, which Traefik runs on", () => {
    expect(() => new Ingress(jobStack({ ...SEED_FACTS, drivers: ["podman", "exec"] }), "Ingress", INGRESS)).toThrow(
      /test\/Ingress\/Job: invalid Nomad job:[\s\S]*task "traefik": uses the docker driver, which the clients do not enable \(enabled: podman, exec\)\. .*enable docker on the clients/,
    );
  });

  it("fails without namespaces to route", () => {
    expect(() => new Ingress(jobStack(SEED_FACTS), "Ingress", { namespaces: [] })).toThrow(/test\/Ingress: the ingress routes no namespaces/);
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
