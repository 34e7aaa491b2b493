import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { ClusterFacts } from "../constructs/cluster-facts";
import { DnsVip, DnsVipProps } from "../constructs/dns-vip";
import { LAB_LIKE_FACTS } from "./nomad-job.support";

/** Facts like the lab's, with the namespaces seed 000's dns-read-jobs policy names. */
export const SEED_FACTS: ClusterFacts = { ...LAB_LIKE_FACTS, namespaces: ["default", "dns", "ingress", "lab", "public"] };

/** Seed 000's second CoreDNS job in DnsVip's words (plus what a VIP mode needs). */
export const SEED_PROPS: DnsVipProps = {
  domain: "lab.example.com",
  mode: "lan",
  vip: "10.0.10.2",
  subnetCidr: "10.0.10.0/24",
  namespaces: ["default", "lab", "public"],
  datacenters: ["lab01"],
};

/** The seed's job on Hetzner: the token variable has a test default so Terraform can evaluate the stack. */
export function hetznerDnsVip(scope: Construct, props: Partial<DnsVipProps> = {}): DnsVip {
  const apiToken = new TerraformVariable(scope, "hcloud_dns_token", { type: "string", sensitive: true, default: "test-token" });
  return new DnsVip(scope, "Dns", {
    ...SEED_PROPS,
    mode: "hetzner",
    hostNetwork: "private",
    hostAddresses: ["10.0.10.11", "10.0.10.12", "10.0.10.13"],
    hetzner: { networkId: "4711", apiToken },
    ...props,
  });
}

/** The values consul-template would use on a sample DNS host. */
export interface SampleHost {
  readonly interface: string;
  readonly address: string;
  /** Addresses of every `coredns` registration on the dns port, this host's included. */
  readonly dnsInstances: readonly string[];
  readonly variables: Readonly<Record<string, string>>;
}

/**
 * Renders DnsVip's keepalived.conf template as consul-template would on `host`: the env,
 * sockaddr and nomadVar lookups, and the nomadService range with its `{{-` whitespace trimming
 * (one "\n        <address>" per peer, this host skipped). Any other action is left in place,
 * so a test can assert that nothing is left unrendered.
 */
export function renderKeepalivedTemplate(template: string, host: SampleHost): string {
  const peers = host.dnsInstances
    .filter((address) => address !== host.address)
    .map((address) => `\n        ${address}`)
    .join("");
  return template
    .replace(/\n\{\{- range nomadService "coredns" \}\}[\s\S]*?\{\{- end \}\}\{\{ end \}\}/, peers)
    .replace(/\{\{ sockaddr "(?:[^"\\]|\\.)*" \}\}/g, host.interface)
    .replace(/\{\{ env "NOMAD_IP_dns" \}\}/g, host.address)
    .replace(/\{\{ with nomadVar "[^"]+" \}\}\{\{ \.([A-Za-z_]+) \}\}\{\{ end \}\}/g, (_m, item: string) => host.variables[item]);
}

/** A network interface of this machine keepalived accepts (it refuses loopback and unknown ones). */
export function localInterface(): string {
  const name = readdirSync("/sys/class/net").sort().find((n) => n !== "lo");
  if (!name) throw new Error("no network interface besides lo: keepalived -t needs one");
  return name;
}

/** What the Hetzner notify script did against stubbed curl and sleep. */
export interface NotifyRun {
  readonly status: number;
  readonly stderr: string;
  /** POSTed change_alias_ips requests: the server id and the parsed body. */
  readonly changes: readonly { readonly server: string; readonly body: unknown }[];
}

/**
 * curl as the notify script calls it: answers the metadata service with SELF and API GETs with
 * $FIXTURES/<path, "/" as "_">.json, logs every request, and fails POSTs when FAIL_POSTS is set.
 */
const CURL_STUB = `#!/bin/sh
method=GET data= url=
while [ $# -gt 0 ]; do
  case $1 in
    -X) method=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    -H|--max-time) shift 2 ;;
    -*) shift ;;
    *) url=$1; shift ;;
  esac
done
printf '%s %s %s\\n' "$method" "$url" "$data" >>"$FIXTURES/requests.log"
case $url in
  */instance-id) echo "$SELF" ;;
  */actions/*) [ -z "$FAIL_POSTS" ] || { echo "curl: (22) 422" >&2; exit 22; }; echo '{}' ;;
  *) cat "$FIXTURES/$(echo "$url" | sed 's|^.*/v1/||; s|/|_|g').json" ;;
esac
`;

/**
 * Runs the notify script with sh (dash: close to the container's busybox sh), curl and sleep
 * stubbed on PATH. `api` maps API paths ("networks/4711", "servers/12") to their JSON answers.
 */
export function runNotifyScript(script: string, self: string, api: Record<string, unknown>, failPosts = false): NotifyRun {
  const dir = mkdtempSync(join(tmpdir(), "hashilab-notify-run-"));
  try {
    writeFileSync(join(dir, "notify.sh"), script);
    writeFileSync(join(dir, "curl"), CURL_STUB, { mode: 0o755 });
    writeFileSync(join(dir, "sleep"), "#!/bin/sh\n", { mode: 0o755 });
    writeFileSync(join(dir, "requests.log"), "");
    for (const [path, answer] of Object.entries(api)) writeFileSync(join(dir, `${path.replace(/\//g, "_")}.json`), JSON.stringify(answer, null, 2));
    const result = spawnSync("sh", [join(dir, "notify.sh")], {
      encoding: "utf8",
      env: { PATH: `${dir}:${process.env.PATH}`, FIXTURES: dir, SELF: self, FAIL_POSTS: failPosts ? "1" : "" },
    });
    const changes = readFileSync(join(dir, "requests.log"), "utf8")
      .split("\n")
      .map((line) => /^POST \S+\/servers\/(\d+)\/actions\/change_alias_ips (.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, server, body]) => ({ server, body: JSON.parse(body) }));
    return { status: result.status ?? -1, stderr: result.stderr, changes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
