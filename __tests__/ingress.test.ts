import { TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { dev, ingressProps, lab } from "../environments";
import { parse as parseYaml } from "yaml";
import { AcmeSettings, ExposeOptions, Ingress, IngressProps } from "../constructs/ingress";
import { NomadService } from "../constructs/nomad-service";
import { CloudflareProvider } from "../constructs/providers";
import { SEED_FACTS } from "./dns-vip.support";
import { evaluateJobspecs, jobStack, parseJob, synthJobStack } from "./nomad-job.support";
import { parseHcl } from "./support/hcl";
import { resourcesOf, StackJson, synthEnvironment } from "./support/synth";
import { requireTool } from "./support/tools";
import { traefikMatch } from "./support/traefik-match";
import { renderNomadTemplate, TemplateWorld } from "./support/nomad-template";
import { compareApps } from "../scripts/review/plan";
import { renderText } from "../scripts/review/render";
import { loadPriceTable } from "../scripts/cost/prices";
import { FORBIDDEN_TAG_PATTERNS, forbiddenTagsConstraint } from "../constructs/ingress/router-tags";

const ZONE = { zoneId: "0123456789abcdef0123456789abcdef", zoneName: "example.com" };
const INGRESS: IngressProps = {
  namespaces: ["default", "public"],
  domain: "lab.example.com",
  hostNetwork: "public",
  dashboardHostNetwork: "private",
  dashboardAllowedCidrs: ["198.51.100.7/32"],
};
const ACME: AcmeSettings = { email: "ops@example.com" };
/** A public name whose record is managed elsewhere, served over HTTPS. */
const EXTERNAL: ExposeOptions = { dns: "external" };

async function traefikJob(stack: StackJson): Promise<Record<string, any>> {
  requireTool("terraform");
  const jobspec = Object.values(evaluateJobspecs(stack)).find((j) => j.startsWith('job "traefik"'));
  return (await parseJob(jobspec!)).traefik[0];
}

const traefikTask = (job: Record<string, any>, name = "traefik") => job.group.traefik[0].task[name][0];
const template = (job: Record<string, any>, destination: string, task = "traefik"): string =>
  traefikTask(job, task).template.find((t: any) => t.destination === destination).data;

/** The dynamic configuration as Nomad renders it on a host at 10.0.10.11 with the variable set (and `world` besides). */
function renderDynamic(data: string, world: TemplateWorld = {}): Record<string, any> {
  const rendered = renderNomadTemplate(data, {
    ...world,
    variables: { "nomad/jobs/traefik": { BASIC_AUTH: "admin:$apr1$x$y" }, ...world.variables },
    env: { NOMAD_IP_dashboard: "10.0.10.11" },
  });
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

  it("reloads the dynamic configuration without a restart (the file provider watches its directory), and restarts for the static one", async () => {
    const job = await traefikJob(stack);
    const modes = Object.fromEntries(traefikTask(job, "traefik").template.map((t: any) => [t.destination, t.change_mode]));
    expect(modes).toEqual({ "local/traefik.yml": "restart", "secrets/dynamic.yml": "noop" });
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
      /domain "Lab\.Example\.com\." ends in a dot; write it without the trailing dot \("lab\.example\.com"\)/,
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
      /test\/Ingress\/Job: invalid Nomad job:[\s\S]*task "traefik": uses the docker driver, which the clients do not enable \(enabled: podman, exec\); .*add docker to drivers in declareClusterFacts/,
    );
  });
});

describe("Ingress runtime guard (Traefik's constraint, evaluated by Go as Traefik does)", () => {
  const keeps = (tags: string[]) => traefikMatch({ constraint: forbiddenTagsConstraint(), tagSets: [tags] }).matches[0];
  const ok = ["traefik.enable=true", "traefik.http.routers.app.rule=Host(`app.example.com`)", "traefik.http.routers.app.entrypoints=web"];

  it("keeps the tags exposeVia writes", async () => {
    requireTool("terraform");
    const stack = synthJobStack((scope) => {
      const ingress = new Ingress(scope, "Ingress", { ...INGRESS, acme: ACME });
      const tools = new NomadService(scope, "ItTools", { image: "corentinth/it-tools:latest" });
      tools.exposeVia(ingress, "tools.example.com", EXTERNAL);
      tools.exposeVia(ingress, "tools.lab.example.com");
    }, SEED_FACTS);
    const jobspec = Object.values(evaluateJobspecs(stack)).find((j) => j.startsWith('job "it-tools"'));
    const tags = (await parseJob(jobspec!))["it-tools"][0].group["it-tools"][0].service[0].tags;
    expect(tags).toContain("traefik.http.routers.it-tools-tools-example-com.tls=true");
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
  function build(scope: Construct, ingress: Partial<IngressProps> = {}, namespace = "default", options: ExposeOptions = {}) {
    new CloudflareProvider(scope, "cloudflare", {});
    const traefik = new Ingress(scope, "Ingress", { ...INGRESS, acme: ACME, ...ingress });
    const tools = new NomadService(scope, "ItTools", { image: "corentinth/it-tools:latest", namespace });
    tools.exposeVia(traefik, "tools.example.com", options);
    return tools;
  }

  async function toolsTags(stack: StackJson): Promise<string[]> {
    const jobspec = Object.values(evaluateJobspecs(stack)).find((j) => j.startsWith('job "it-tools"'));
    return (await parseJob(jobspec!))["it-tools"][0].group["it-tools"][0].service[0].tags;
  }

  it("routes a public hostname on websecure with TLS", async () => {
    requireTool("terraform");
    const stack = synthJobStack((scope) => build(scope, {}, "default", EXTERNAL), SEED_FACTS);
    expect(await toolsTags(stack)).toEqual([
      "traefik.enable=true",
      "traefik.http.routers.it-tools-tools-example-com.rule=Host(`tools.example.com`)",
      "traefik.http.routers.it-tools-tools-example-com.entrypoints=websecure",
      "traefik.http.routers.it-tools-tools-example-com.tls=true",
    ]);
    expect(resourcesOf(stack, "cloudflare_dns_record")).toEqual({});
  });

  it('routes a public hostname over plain HTTP on web with tls: "none", without ACME', async () => {
    requireTool("terraform");
    const stack = synthJobStack((scope) => build(scope, { acme: undefined }, "default", { dns: "external", tls: "none" }), SEED_FACTS);
    expect(await toolsTags(stack)).toEqual([
      "traefik.enable=true",
      "traefik.http.routers.it-tools-tools-example-com.rule=Host(`tools.example.com`)",
      "traefik.http.routers.it-tools-tools-example-com.entrypoints=web",
    ]);
  });

  it("with a Cloudflare zone, creates a cloudflare_dns_record with the right zone, name, type and content", () => {
    const stack = synthJobStack((scope) => build(scope, { publicZone: ZONE, publicAddresses: ["203.0.113.10"] }), SEED_FACTS);
    const records = Object.values(resourcesOf(stack, "cloudflare_dns_record"));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ zone_id: ZONE.zoneId, name: "tools.example.com", type: "A", content: "203.0.113.10" });
  });

  it('creates no record for a name whose record is managed elsewhere (dns: "external"), even inside the zone', () => {
    const stack = synthJobStack((scope) => build(scope, { publicZone: ZONE, publicAddresses: ["203.0.113.10"] }, "default", EXTERNAL), SEED_FACTS);
    expect(resourcesOf(stack, "cloudflare_dns_record")).toEqual({});
  });

  it("fails for a public name outside the public zone unless its record is managed elsewhere (no silent half-exposure)", () => {
    const zone = { zoneId: ZONE.zoneId, zoneName: "example.org" };
    expect(() => build(jobStack(SEED_FACTS), { publicZone: zone, publicAddresses: ["203.0.113.10"] })).toThrow(
      /test\/ItTools: cannot expose "tools\.example\.com" via test\/Ingress:\n {2}- it is in neither the public zone "example\.org" nor the lab domain "lab\.example\.com", so no DNS record would point it at the ingress; create the record yourself \(the ingress hosts' public addresses\) and pass \{ dns: "external" \}, or use a name in "example\.org"$/,
    );
  });

  it("fails for a public name when the ingress has no public zone, naming the choice to make", () => {
    expect(() => build(jobStack(SEED_FACTS))).toThrow(
      /- the ingress has no public zone \(the environment's cloudflare\) and the name is not under the lab domain "lab\.example\.com", so no DNS record would point it at the ingress; create the record yourself \(the ingress hosts' public addresses\) and pass \{ dns: "external" \}, or set a public zone$/,
    );
  });

  it("fails for a public name without ACME settings unless it is served over plain HTTP", () => {
    expect(() => build(jobStack(SEED_FACTS), { acme: undefined }, "default", EXTERNAL)).toThrow(
      /- it needs a certificate \(public names are served over HTTPS\) but the ingress has no acme settings; set acme \(\{ email \}\) on the ingress \(an environment's acme\) or pass \{ tls: "none" \} to serve it over plain HTTP$/,
    );
  });

  it("fails for a service in a namespace the ingress does not route", () => {
    expect(() => build(jobStack(SEED_FACTS), {}, "dns")).toThrow(
      /test\/ItTools: cannot expose "tools\.example\.com" via test\/Ingress:\n  - the service runs in namespace "dns", which the ingress does not route/,
    );
  });

  it("fails for a public zone without addresses to point at", () => {
    expect(() => build(jobStack(SEED_FACTS), { publicZone: ZONE })).toThrow(/has the public zone "example\.com" but no publicAddresses/);
  });

  it("fails for a hostname that is not a DNS name", () => {
    const stack = jobStack(SEED_FACTS);
    const traefik = new Ingress(stack, "Ingress", INGRESS);
    const tools = new NomadService(stack, "ItTools", { image: "corentinth/it-tools:latest" });
    expect(() => tools.exposeVia(traefik, "Tools_App")).toThrow(/cannot expose "Tools_App" via test\/Ingress:\n  - it has upper-case letters; DNS names are written lowercase here \("tools_app"\)/);
  });

  it("fails naming every problem of one exposure at once: an unrouted namespace and a name that is not a DNS name", () => {
    const stack = jobStack(SEED_FACTS);
    const traefik = new Ingress(stack, "Ingress", INGRESS);
    const dns = new NomadService(stack, "Dns", { image: "coredns/coredns:1.13.1", namespace: "dns" });
    expect(() => dns.exposeVia(traefik, "Tools_App")).toThrow(/:\n  - the service runs in namespace "dns", which the ingress does not route.*\n  - it has upper-case letters/);
  });
});

describe("the environments' ingress (ingressProps, environments/derive.ts)", () => {
  it.each([
    ["lab", lab, "198.51.100.7/32", "private"],
    // Loopback connections to a bridge-mode port arrive from the Nomad bridge's gateway.
    ["dev", dev, "172.26.64.1/32", undefined],
  ] as const)("in %s, isolates the developer namespace and serves the dashboard off the public network to its allow-list", async (name, env, allowed, dashboardNetwork) => {
    requireTool("terraform");
    const job = await traefikJob(synthEnvironment(env)[`${name}-workloads`]);
    expect(Object.keys(job.group.traefik[0].task)).toEqual(["traefik", "traefik-dev"]);
    expect(parseYaml(template(job, "local/traefik.yml")).providers.nomad.namespaces).toEqual(["default", "lab", "public"]);
    expect(job.group.traefik[0].network[0].port.dashboard[0].host_network).toBe(dashboardNetwork);
    const dynamic = renderDynamic(template(job, "secrets/dynamic.yml"));
    expect(dynamic.http.middlewares["dashboard-allowlist"].ipAllowList.sourceRange).toEqual([allowed, "10.0.10.11/32"]);
    expect(dynamic.http.routers["namespace-dev"].rule).toBe("HostRegexp(`(?i)^(.+\\.)?dev\\.lab\\.example\\.com\\.?$`)");
  });
});

describe("the environments' HTTPS (ingressProps, environments/derive.ts)", () => {
  it("gives lab's ingress its acme settings (staging) and the Cloudflare token only with a zone", () => {
    expect(ingressProps(lab).acme).toEqual({ email: "ops@example.com", staging: true, cloudflareApiToken: undefined });
    expect(ingressProps(dev).acme).toBeUndefined();
    const stacks = synthEnvironment({ ...lab, cloudflare: ZONE });
    expect(stacks["lab-workloads"].variable.acme_cloudflare_token).toMatchObject({ sensitive: true, type: "string" });
    expect(stacks["lab-workloads"].variable.acme_cloudflare_token.default).toBeUndefined();
    expect(synthEnvironment(lab)["lab-workloads"].variable?.acme_cloudflare_token).toBeUndefined();
  });
});

describe("an environment with a Cloudflare zone", () => {
  it("publishes an exposed service at the hosts stack's public addresses, with a Cloudflare provider", () => {
    const stacks = synthEnvironment({ ...lab, cloudflare: ZONE, apps: { itTools: { hostnames: ["tools.example.com"] } } });
    const workloads = stacks["lab-workloads"];
    expect(workloads.provider.cloudflare).toEqual([{}]);
    const records = Object.values(resourcesOf(workloads, "cloudflare_dns_record"));
    expect(records).toHaveLength(lab.cluster.kind === "hetzner" ? lab.cluster.serverCount! : 0);
    for (const record of records) {
      expect(record).toMatchObject({ zone_id: ZONE.zoneId, name: "tools.example.com", type: "A" });
      expect(record.content).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-lab-hosts\.outputs\.[^}]+\}$/);
    }
  });
});

const DEV_FACTS = { ...SEED_FACTS, namespaces: [...SEED_FACTS.namespaces, "dev"] };
const WITH_DEV: IngressProps = { ...INGRESS, namespaces: ["default", "public", "dev"], isolatedNamespaces: ["dev"] };

describe("Ingress with an isolated namespace", () => {
  const stack = synthJobStack((scope) => new Ingress(scope, "Ingress", WITH_DEV), DEV_FACTS);

  it("gives the namespace a Traefik of its own, on loopback of the group's network, routing that namespace alone", async () => {
    const job = await traefikJob(stack);
    expect(Object.keys(job.group.traefik[0].task)).toEqual(["traefik", "traefik-dev"]);
    expect(traefikTask(job, "traefik-dev").identity).toEqual([{ env: true }]);
    expect(parseYaml(template(job, "local/traefik.yml", "traefik-dev"))).toEqual({
      entryPoints: { web: { address: "127.0.0.1:8081", forwardedHeaders: { trustedIPs: ["127.0.0.1/32"] } } },
      log: { level: "INFO" },
      // The same runtime constraints as the main Traefik: a server URL tag would proxy anywhere.
      providers: {
        nomad: { exposedByDefault: false, namespaces: ["dev"], constraints: forbiddenTagsConstraint(), endpoint: { address: "unix:///secrets/api.sock" } },
      },
    });
    // The main Traefik does not read dev's tags at all.
    expect(parseYaml(template(job, "local/traefik.yml")).providers.nomad.namespaces).toEqual(["default", "public"]);
  });

  it("forwards requests for dev.<domain> and the names under it, and nothing else, to that Traefik, above any service's router", async () => {
    const job = await traefikJob(stack);
    const dynamic = renderDynamic(template(job, "secrets/dynamic.yml"));
    const forward = dynamic.http.routers["namespace-dev"];
    expect(forward).toMatchObject({ entryPoints: ["web"], priority: 1000000, service: "namespace-dev" });
    expect(dynamic.http.services["namespace-dev"]).toEqual({ loadBalancer: { servers: [{ url: "http://127.0.0.1:8081" }] } });
    const pattern = /^HostRegexp\(`(.*)`\)$/.exec(forward.rule)![1];
    const hosts = ["tools.dev.lab.example.com", "dev.lab.example.com", "A.B.Dev.Lab.Example.com", "tools.dev.lab.example.com.", "dev.lab.example.com.evil.org", "xdev.lab.example.com", "tools.lab.example.com", "traefik.lab.example.com"];
    expect(traefikMatch({ regexp: pattern, hosts }).hostMatches).toEqual([true, true, true, true, false, false, false, false]);
  });

  it("with every routed namespace isolated, the main Traefik has no Nomad provider (with no namespaces it would read `default`)", async () => {
    const job = await traefikJob(synthJobStack((scope) => new Ingress(scope, "Ingress", { ...WITH_DEV, namespaces: ["dev"] }), DEV_FACTS));
    expect(parseYaml(template(job, "local/traefik.yml")).providers).toEqual({ file: { filename: "/secrets/dynamic.yml" } });
  });

  it("fails for an isolated namespace that is not routed or owns no zone, and for a bad zone map", () => {
    const build = () =>
      new Ingress(jobStack(DEV_FACTS), "Ingress", {
        ...WITH_DEV,
        domain: undefined,
        isolatedNamespaces: ["dev", "lab", "dev"],
        hostnameZones: { lab: ["lab.example.com"], public: ["Example.com", "lab.example.com"], ops: ["ops.example.com"] },
      });
    for (const problem of [
      /test\/Ingress: invalid Ingress:/,
      /isolatedNamespaces: "dev" owns no hostname zone, so its Traefik would get no requests; set domain \(it then owns "dev\.<domain>"\) or hostnameZones\.dev/,
      /isolatedNamespaces: "lab" is not one of the routed namespaces \(default, public, dev\); add it to namespaces or remove it/,
      /hostnameZones: "ops" is not one of the routed namespaces/,
      /isolatedNamespaces: "dev" is listed twice; list each namespace once/,
      /hostnameZones\.public: "Example\.com" has upper-case letters; DNS names are written lowercase here \("example\.com"\)/,
      /hostnameZones: the zone "lab\.example\.com" is given to both "lab" and "public"; give each zone to one namespace/,
    ]) {
      expect(build).toThrow(problem);
    }
  });
});

describe("hostname zones and exposeVia", () => {
  function exposeIn(namespace: string, hostname: string, props: Partial<IngressProps> = {}) {
    const stack = jobStack(DEV_FACTS);
    const ingress = new Ingress(stack, "Ingress", { ...WITH_DEV, acme: ACME, ...props });
    return () => new NomadService(stack, "App", { image: "x", namespace }).exposeVia(ingress, hostname, EXTERNAL);
  }

  it("lets a namespace expose names in its own zone, and namespaces without zones any name outside the others'", () => {
    expect(exposeIn("dev", "tools.dev.lab.example.com")).not.toThrow();
    expect(exposeIn("default", "tools.example.com")).not.toThrow();
    // The most specific zone decides: dev.lab.example.com inside a lab.example.com owned by default.
    expect(exposeIn("default", "tools.lab.example.com", { hostnameZones: { default: ["lab.example.com"] } })).not.toThrow();
  });

  it("fails when the isolated namespace exposes a name outside its zone", () => {
    expect(exposeIn("dev", "tools.example.com")).toThrow(
      /test\/App: cannot expose "tools\.example\.com" via test\/Ingress:\n  - "tools\.example\.com" lies outside namespace "dev"'s zones \(dev\.lab\.example\.com\): use a name under one of them; pick a hostname the service's namespace owns, or change the ingress's hostnameZones/,
    );
  });

  it("fails when a namespace exposes a name in another namespace's zone", () => {
    expect(exposeIn("default", "api.dev.lab.example.com")).toThrow(
      /test\/App: cannot expose "api\.dev\.lab\.example\.com" via test\/Ingress:\n  - "api\.dev\.lab\.example\.com" lies in the zone "dev\.lab\.example\.com", which belongs to namespace "dev"/,
    );
    expect(exposeIn("default", "dev.lab.example.com")).toThrow(/lies in the zone "dev\.lab\.example\.com"/);
    expect(exposeIn("default", "tools.dev.lab.example.com", { hostnameZones: { default: ["lab.example.com"] } })).toThrow(/belongs to namespace "dev"/);
  });
});

describe("Traefik tags of the stack's services (the synth-time admission rules)", () => {
  /** Synthesizes an ingress and one service per entry, each with raw tags. */
  function synthWith(services: Record<string, { namespace?: string; tags?: string[]; canaryTags?: string[]; provider?: "nomad" | "consul" }>) {
    return () =>
      synthJobStack((scope) => {
        new Ingress(scope, "Ingress", WITH_DEV);
        for (const [id, s] of Object.entries(services)) {
          const job = new NomadService(scope, id, { image: "x", namespace: s.namespace ?? "dev", tags: s.tags, serviceProvider: s.provider }).job;
          if (s.canaryTags) (job.spec.groups[0].services![0] as { canaryTags?: string[] }).canaryTags = s.canaryTags;
        }
      }, DEV_FACTS);
  }
  const routed = (...tags: string[]) => ["traefik.enable=true", "traefik.http.routers.app.rule=Host(`app.dev.lab.example.com`)", ...tags];

  it("accepts what Traefik routes within the namespace's zone", () => {
    expect(
      synthWith({
        Plain: { tags: routed("traefik.http.routers.app.entrypoints=web,websecure", "traefik.http.routers.app.middlewares=strip", "traefik.http.middlewares.strip.stripprefix.prefixes=/app") },
        Paths: { tags: ["traefik.enable=true", "traefik.http.routers.a.rule=(Host(`a.dev.lab.example.com`) || HOST(\"b.dev.lab.example.com\")) && !PathPrefix(`/admin`)"] },
        // The v2 rule syntax a router may opt into: several names in one Host.
        V2: { tags: ["traefik.enable=true", "traefik.http.routers.v.rulesyntax=v2", "traefik.http.routers.v.rule=Host(`v.dev.lab.example.com`, `w.dev.lab.example.com.`)"] },
        Public: { namespace: "public", tags: ["traefik.enable=true", "traefik.http.routers.p.rule=Host(`www.example.com`) && PathPrefix(`/`)"] },
      }),
    ).not.toThrow();
  });

  it("ignores what Traefik ignores: services without traefik.enable=true, Consul services, namespaces it does not route", () => {
    expect(
      synthWith({
        Disabled: { tags: ["traefik.http.routers.x.priority=99", "traefik.http.routers.x.rule=PathPrefix(`/`)"] },
        Consul: { provider: "consul", tags: routed("traefik.http.routers.app.service=api@internal") },
        Lab: { namespace: "lab", tags: routed("traefik.http.routers.app.priority=99") },
      }),
    ).not.toThrow();
  });

  it.each([
    ["a rule without Host", "traefik.http.routers.app.rule=PathPrefix(`/`)", /the rule matches requests for any hostname .*start it with Host\(`<hostname>`\) &&/],
    ["a Host or'ed with a path", "traefik.http.routers.app.rule=Host(`a.dev.lab.example.com`) || PathPrefix(`/api`)", /matches requests for any hostname/],
    ["a negated Host", "traefik.http.routers.app.rule=!Host(`a.dev.lab.example.com`)", /matches requests for any hostname/],
    ["a HostRegexp", "traefik.http.routers.app.rule=HostRegexp(`.+`)", /HostRegexp and negations cannot be checked/],
    ["a rule that cannot be read", "traefik.http.routers.app.rule=Host(`a.dev.lab.example.com`", /the rule cannot be read \(Host\( is not closed\); write it as Host\(`<hostname>`\) && \.\.\./],
    ["a hostname outside the zone", "traefik.http.routers.app.rule=Host(`traefik.lab.example.com`)", /"traefik\.lab\.example\.com" lies outside namespace "dev"'s zones \(dev\.lab\.example\.com\)/],
    ["a Host that is no DNS name", "traefik.http.routers.app.rule=Host(`a.dev.lab.example.com:8080`)", /Host\(`a\.dev\.lab\.example\.com:8080`\) has the label "com:8080"; a label is letters a-z, digits and inner hyphens/],
    ["the dashboard's service", "traefik.http.routers.app.service=api@internal", /"api@internal" names another provider's service or middleware/],
    ["a file-provider middleware", "traefik.http.routers.app.middlewares=strip, dashboard-auth@file", /names another provider's service or middleware/],
    ["a router priority", "traefik.http.routers.app.priority=100000", /router priorities are not allowed/],
    ["a key Nomad fills in at runtime", "traefik.http.routers.app.${NOMAD_META_field}=5", /Nomad fills in \$\{\.\.\.\} in tags when it registers the service/],
    ["a value Nomad fills in at runtime", "traefik.http.routers.app.service=${NOMAD_META_target}", /Nomad fills in/],
    ["a Terraform value unknown at synth", `traefik.http.routers.app.rule=Host(\`${Token.asString({ Ref: "var.host" })}\`)`, /it holds a Terraform value that is unknown at synth, so it cannot be checked/],
    ["a priority spelled in capitals", "traefik.HTTP.Routers.app.Priority = 5", /router priorities are not allowed/],
    ["a TCP router", "traefik.tcp.routers.all.rule=HostSNI(`*`)", /TCP and UDP routers are not allowed: one with HostSNI\(`\*`\) takes every connection/],
    ["a UDP router", "traefik.udp.routers.dns.entrypoints=web", /TCP and UDP routers are not allowed/],
    ["a server URL", "traefik.http.services.app.loadbalancer.server.url=http://169.254.169.254/", /a server URL sends the route to an arbitrary address/],
    ["the dashboard's entry point", "traefik.http.routers.app.entrypoints=web,dashboard", /entry point "dashboard" is not one services may use; use web or websecure/],
  ])("fails for %s, naming the job, the field and the fix", (_, tag, problem) => {
    const build = synthWith({ App: { tags: routed(tag) } });
    expect(build).toThrow(/test\/App\/Job: tags of service "app" \(namespace "dev"\): tag "/);
    expect(build).toThrow(problem);
  });

  it("fails for every tag Traefik's runtime constraint drops, so the constraint never drops what synth accepted", () => {
    const dropped = FORBIDDEN_TAG_PATTERNS.length;
    const samples = [
      "traefik.tcp.routers.all.rule=HostSNI(`*`)",
      "traefik.http.routers.app.priority=1",
      "traefik.http.routers.app.service=api@internal",
      "traefik.http.services.app.loadbalancer.server.url=http://10.0.10.11:4646",
      "traefik.http.routers.app.entrypoints=dashboard",
    ];
    expect(samples).toHaveLength(dropped);
    for (const [i, tag] of samples.entries()) {
      expect(traefikMatch({ constraint: `TagRegex(\`${FORBIDDEN_TAG_PATTERNS[i]}\`)`, tagSets: [[tag]] }).matches).toEqual([true]);
      expect(synthWith({ App: { tags: routed(tag) } })).toThrow(/test\/App\/Job: tags of service "app"/);
    }
  });

  it("fails for a router without a rule, and for traefik.enable=true without a router (Traefik would route Host(`<service>`))", () => {
    expect(synthWith({ App: { tags: ["traefik.enable=true", "traefik.http.routers.web.entrypoints=web"] } })).toThrow(
      /router "web" has no rule, so Traefik would route Host\(`<service name>`\) to it; add a tag traefik\.http\.routers\.web\.rule=Host\(`<hostname>`\)/,
    );
    expect(synthWith({ App: { tags: ["traefik.enable=true"] } })).toThrow(/"traefik\.enable=true" without a router makes Traefik route Host\(`<service name>`\) to the service; expose it with exposeVia/);
  });

  it("fails for canary tags as for tags", () => {
    expect(synthWith({ App: { tags: routed(), canaryTags: routed("traefik.http.routers.app.priority=9") } })).toThrow(
      /test\/App\/Job: canaryTags of service "app" \(namespace "dev"\): tag "traefik\.http\.routers\.app\.priority=9": router priorities are not allowed/,
    );
  });

  it("fails once for the problems of every service of the stack", () => {
    const build = synthWith({
      One: { tags: routed("traefik.http.routers.app.priority=1") },
      Two: { namespace: "default", tags: ["traefik.enable=true", "traefik.http.routers.x.rule=Host(`x.dev.lab.example.com`)"] },
    });
    expect(build).toThrow(/test\/One\/Job: tags of service "one"[\s\S]*test\/Two\/Job: tags of service "two" \(namespace "default"\): tag ".*": "x\.dev\.lab\.example\.com" lies in the zone "dev\.lab\.example\.com", which belongs to namespace "dev"; namespace "default" may not route it/);
  });
});

const PEM = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const CERT_VARIABLES = {
  "nomad/jobs/traefik/certs/git_example_com": { cert: PEM("CERTIFICATE", "R2l0"), key: PEM("PRIVATE KEY", "a2V5MQ=="), domains: "git.example.com" },
  "nomad/jobs/traefik/certs/tools_example_com": { cert: PEM("CERTIFICATE", "VG9vbHM=\nMg=="), key: PEM("PRIVATE KEY", "a2V5Mg=="), domains: "tools.example.com" },
};

describe("Ingress with ACME certificates (HTTPS)", () => {
  const TOKEN_ID = "acme_cloudflare_token";
  const stack = synthJobStack((scope) => {
    new CloudflareProvider(scope, "cloudflare", {});
    const token = new TerraformVariable(scope, TOKEN_ID, { type: "string", sensitive: true });
    const ingress = new Ingress(scope, "Ingress", {
      ...INGRESS,
      instances: 3,
      publicZone: ZONE,
      publicAddresses: ["203.0.113.10", "203.0.113.11", "203.0.113.12"],
      acme: { ...ACME, staging: true, cloudflareApiToken: token },
    });
    const tools = new NomadService(scope, "ItTools", { image: "corentinth/it-tools:latest" });
    tools.exposeVia(ingress, "tools.example.com");
    tools.exposeVia(ingress, "tools.example.org", EXTERNAL);
    tools.exposeVia(ingress, "tools.lab.example.com");
  }, SEED_FACTS);

  async function job(name: string): Promise<Record<string, any>> {
    requireTool("terraform");
    const jobspec = Object.values(evaluateJobspecs(stack)).find((j) => j.startsWith(`job "${name}"`));
    return (await parseJob(jobspec!))[name][0];
  }

  it("serves routers on websecure with TLS by default, from the static configuration Traefik parses", async () => {
    const staticConfig = parseYaml(template(await traefikJob(stack), "local/traefik.yml"));
    expect(staticConfig.entryPoints.websecure).toEqual({ address: ":443", asDefault: true, http: { tls: {} } });
    expect(staticConfig.entryPoints.web).toEqual({ address: ":80", asDefault: true });
    expect(staticConfig.providers.file).toEqual({ filename: "/secrets/dynamic.yml" });
  });

  it("redirects plain HTTP to HTTPS below every other router, and sends ACME challenges on any instance to the one renewer above all", async () => {
    const dynamic = renderDynamic(template(await traefikJob(stack), "secrets/dynamic.yml"), {
      services: { "acme-challenge": [{ Address: "10.0.10.12", Port: 23456 }] },
    });
    expect(dynamic.http.routers["redirect-to-https"]).toEqual({
      rule: "PathPrefix(`/`)",
      entryPoints: ["web"],
      priority: 1,
      middlewares: ["redirect-to-https"],
      service: "noop@internal",
    });
    expect(dynamic.http.middlewares["redirect-to-https"]).toEqual({ redirectScheme: { scheme: "https", permanent: true } });
    expect(dynamic.http.routers["acme-challenge"]).toEqual({
      rule: "PathPrefix(`/.well-known/acme-challenge/`)",
      entryPoints: ["web"],
      priority: 2000000,
      service: "acme-challenge",
    });
    expect(dynamic.http.services["acme-challenge"]).toEqual({ loadBalancer: { servers: [{ url: "http://10.0.10.12:23456" }] } });
    // Still the dashboard's own entry point and middlewares.
    expect(dynamic.http.routers.dashboard.entryPoints).toEqual(["dashboard"]);
  });

  it("loads every certificate the renewer stored, cert and key inline, and none before the first one", async () => {
    const data = template(await traefikJob(stack), "secrets/dynamic.yml");
    const dynamic = renderDynamic(data, { variables: CERT_VARIABLES });
    expect(dynamic.tls.certificates).toEqual([
      { certFile: CERT_VARIABLES["nomad/jobs/traefik/certs/git_example_com"].cert, keyFile: CERT_VARIABLES["nomad/jobs/traefik/certs/git_example_com"].key },
      { certFile: CERT_VARIABLES["nomad/jobs/traefik/certs/tools_example_com"].cert, keyFile: CERT_VARIABLES["nomad/jobs/traefik/certs/tools_example_com"].key },
    ]);
    expect(renderDynamic(data).tls).toEqual({ certificates: null });
  });

  it("gives every instance the same certificates: one group of three reads the variables with a policy of its own, the file 0400 in secrets/", async () => {
    const traefik = await traefikJob(stack);
    expect(traefik.group.traefik[0].count).toBe(3);
    const dynamic = traefikTask(traefik).template.find((t: any) => t.destination === "secrets/dynamic.yml");
    expect(dynamic).toMatchObject({ perms: "0400", change_mode: "noop" });
    expect(dynamic.data).toContain('{{- range nomadVarList "nomad/jobs/traefik/certs" }}');
    const policy = Object.values<any>(resourcesOf(stack, "nomad_acl_policy")).find((p) => p.name === "traefik-certificates");
    expect(await parseHcl(policy.rules_hcl)).toMatchObject({
      namespace: { ingress: [{ variables: [{ path: { "nomad/jobs/traefik/certs/*": [{ capabilities: ["read", "list"] }] } }] }] },
    });
    expect(policy.job_acl).toEqual({ namespace: "ingress", job_id: "traefik" });
  });

  it("runs one renewer for the public names: DNS-01 in the Cloudflare zone, HTTP-01 for a name managed elsewhere, none for the lab domain", async () => {
    const acme = await job("acme");
    expect(acme.namespace).toBe("ingress");
    expect(acme.group.acme[0].count).toBe(1);
    const task = acme.group.acme[0].task.certbot[0];
    // As the task reads it: Nomad renders the file as a template first.
    const config = JSON.parse(renderNomadTemplate(task.template.find((t: any) => t.destination === "local/config.json").data, {}));
    expect(config).toEqual({
      server: "https://acme-staging-v02.api.letsencrypt.org/directory",
      email: "ops@example.com",
      namespace: "ingress",
      variablePrefix: "nomad/jobs/traefik/certs",
      intervalSeconds: 43200,
      httpPort: 8402,
      cloudflareCredentials: "/secrets/cloudflare.ini",
      certificates: [
        { name: "tools_example_com", domains: ["tools.example.com"], challenge: "dns-01" },
        { name: "tools_example_org", domains: ["tools.example.org"], challenge: "http-01" },
      ],
    });
    expect(acme.group.acme[0].service[0]).toMatchObject({ name: "acme-challenge", provider: "nomad", port: "http" });
    expect(task.config[0]).toMatchObject({ entrypoint: ["python3"], args: ["/local/acme-renew.py", "/local/config.json"] });
    expect(task.env[0]).toEqual({ NOMAD_ADDR: "unix:///secrets/api.sock" });
    const policy = Object.values<any>(resourcesOf(stack, "nomad_acl_policy")).find((p) => p.name === "acme-renewer");
    expect(await parseHcl(policy.rules_hcl)).toMatchObject({
      namespace: { ingress: [{ variables: [{ path: { "nomad/jobs/traefik/certs/*": [{ capabilities: ["read", "write", "list"] }] } }] }] },
    });
    expect(policy.job_acl).toEqual({ namespace: "ingress", job_id: "acme" });
  });

  it("keeps the Cloudflare token out of the jobspec: a sensitive variable stored in the renewer's Nomad variable, rendered 0600", async () => {
    const variable = Object.values<any>(resourcesOf(stack, "nomad_variable"))[0];
    expect(variable).toMatchObject({ path: "nomad/jobs/acme", namespace: "ingress", items: { cloudflare_api_token: `\${var.${TOKEN_ID}}` } });
    const task = (await job("acme")).group.acme[0].task.certbot[0];
    const ini = task.template.find((t: any) => t.destination === "secrets/cloudflare.ini");
    expect(ini.perms).toBe("0600");
    expect(renderNomadTemplate(ini.data, { variables: { "nomad/jobs/acme": { cloudflare_api_token: "cf-token" } } })).toBe("dns_cloudflare_api_token = cf-token\n");
  });

  it("creates no renewer while no hostname needs a certificate", () => {
    const plain = synthJobStack((scope) => {
      const ingress = new Ingress(scope, "Ingress", { ...INGRESS, acme: ACME });
      new NomadService(scope, "ItTools", { image: "corentinth/it-tools:latest" }).exposeVia(ingress, "tools.lab.example.com");
    }, SEED_FACTS);
    expect(Object.values(evaluateJobspecs(plain)).filter((j) => j.startsWith('job "acme"'))).toEqual([]);
  });

  it.each([
    ["an email that is not one", { email: "ops" }, /acme\.email "ops" is not an email address like "ops@example\.com"/],
    ["a directory that is not https", { email: "ops@example.com", directoryUrl: "http://ca/dir" }, /acme\.directoryUrl "http:\/\/ca\/dir" is not an https:\/\/ URL/],
    ["a check interval of NaN hours", { email: "ops@example.com", checkIntervalHours: NaN }, /acme\.checkIntervalHours NaN is not between 1 and 168/],
  ])("fails for %s", (_, acme, message) => {
    expect(() => new Ingress(jobStack(SEED_FACTS), "Ingress", { ...INGRESS, acme: acme as AcmeSettings })).toThrow(message);
  });

  it("fails for a Cloudflare token without a public zone to answer DNS-01 in", () => {
    const scope = jobStack(SEED_FACTS);
    const token = new TerraformVariable(scope, "t", { type: "string", sensitive: true });
    expect(() => new Ingress(scope, "Ingress", { ...INGRESS, acme: { ...ACME, cloudflareApiToken: token } })).toThrow(
      /acme\.cloudflareApiToken is set but there is no publicZone for DNS-01; set publicZone or remove the token/,
    );
  });

  it("fails for HTTPS in a namespace with a Traefik of its own, which serves plain HTTP", () => {
    const stack = jobStack(DEV_FACTS);
    const ingress = new Ingress(stack, "Ingress", { ...WITH_DEV, acme: ACME });
    expect(() => new NomadService(stack, "App", { image: "x", namespace: "dev" }).exposeVia(ingress, "tools.dev.lab.example.com", { tls: "acme" })).toThrow(
      /- namespace "dev" has a Traefik of its own, which serves plain HTTP only; pass \{ tls: "none" \}/,
    );
  });
});

describe("the review of an exposed public hostname", () => {
  it("shows each created DNS record with its name, type and content", () => {
    const after = synthEnvironment({ ...lab, cloudflare: ZONE, apps: { itTools: { hostnames: ["tools.example.com"] } } });
    const before = synthEnvironment(lab);
    const text = renderText({
      base: "main",
      stacks: compareApps({ "lab-workloads": before["lab-workloads"] }, { "lab-workloads": after["lab-workloads"] }),
      costs: [],
      prices: loadPriceTable(),
      effects: [],
    });
    const record = text.split("\n").findIndex((line) => /^ {2}\+ cloudflare_dns_record\..*ItTools\/PublicHostname-tools\.example\.com\/Record0/.test(line));
    expect(record).toBeGreaterThan(-1);
    const [content, name, type] = text.split("\n").slice(record + 1, record + 4);
    // The content is the first host's public address, read from the hosts stack at apply.
    expect(content).toMatch(/^ {6}content: \(none\) → "\$\{data\.terraform_remote_state\.cross-stack-reference-input-lab-hosts\.outputs\./);
    expect(name).toBe('      name: (none) → "tools.example.com"');
    expect(type).toBe('      type: (none) → "A"');
  });
});

describe("hostile input to HTTPS exposure", () => {
  const expose = (hostname: string, acme: AcmeSettings = ACME) => () => {
    const stack = jobStack(SEED_FACTS);
    const ingress = new Ingress(stack, "Ingress", { ...INGRESS, acme });
    new NomadService(stack, "App", { image: "x" }).exposeVia(ingress, hostname, EXTERNAL);
  };

  it("fails for a hostname whose certificate variable path Nomad would refuse as too long", () => {
    const long = `${"a".repeat(60)}.${"b".repeat(60)}.example.com`;
    expect(expose(long)).toThrow(/its certificate's Nomad variable path "nomad\/jobs\/traefik\/certs\/a+_b+_example_com" is longer than Nomad's 128 characters; use a hostname of at most 103 characters/);
    expect(expose(`${"a".repeat(60)}.${"b".repeat(30)}.example.com`)).not.toThrow();
  });

  it.each([
    ["a template action in the email", "ops{{ env \"NOMAD_TOKEN\" }}@example.com"],
    ["a quote in the email", 'ops"@example.com'],
    ["a newline in the email", "ops\n@example.com"],
  ])("fails for %s (it is rendered into the renewer's template)", (_, email) => {
    expect(() => new Ingress(jobStack(SEED_FACTS), "Ingress", { ...INGRESS, acme: { email } })).toThrow(/acme\.email .* is not an email address/);
  });

  it.each([
    ["Tools.example.com", "has upper-case letters"],
    ["*.example.com", 'has the label "*"'],
    ["tools.example.com.", "ends in a dot"],
    ["tools..example.com", "has an empty label"],
    ["${var.x}.example.com", 'has the label "${var"'],
  ])("fails for the hostname %j, saying why", (hostname, why) => {
    expect(expose(hostname)).toThrow(`- it ${why}`);
  });
});
