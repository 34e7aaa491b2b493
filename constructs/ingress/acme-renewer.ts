import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { NomadAclPolicy } from "../acl";
import { NomadJob, Template } from "../nomad-job";
import { NomadVariable } from "../nomad-variable";
import { SERVICE_RESTART_DEFAULTS } from "../nomad-service";

/**
 * The ingress's one ACME client: a service job that obtains and renews every public hostname's
 * certificate and keeps it in a Nomad variable that every Traefik instance renders (see
 * docs/dns-and-ingress.md, "HTTPS"). Its script is acme-renew.py, run by the official certbot
 * image (certbot/dns-cloudflare: certbot, its Cloudflare DNS plugin and Python in one image).
 */

/** Let's Encrypt's production and staging directories. */
export const LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";
export const LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";
/** Where certificates live: below the Traefik job's own path, in the ingress namespace. */
export const CERTIFICATES_PREFIX = "nomad/jobs/traefik/certs";
export const ACME_JOB = "acme";
/** The service the HTTP-01 challenge requests are routed to (by every Traefik). */
export const ACME_CHALLENGE_SERVICE = "acme-challenge";
/** certbot's standalone server inside the container. */
const CHALLENGE_PORT = 8402;
const SCRIPT = readFileSync(join(__dirname, "acme-renew.py"), "utf8");
const CLOUDFLARE_TOKEN_ITEM = "cloudflare_api_token";

/** How the CA checks that a certificate's names are ours. */
export type AcmeChallenge = "http-01" | "dns-01";

export interface AcmeSettings {
  /** The ACME account's contact address (Let's Encrypt mails expiry warnings there). */
  readonly email: string;
  /**
   * Let's Encrypt's staging CA: untrusted certificates, much higher rate limits. Use it until
   * the first certificates arrive, then switch.
   * @default false
   */
  readonly staging?: boolean;
  /** Another ACME CA's directory URL; overrides `staging`. @default Let's Encrypt */
  readonly directoryUrl?: string;
  /**
   * A Cloudflare API token (Zone → DNS → Edit on the public zone) as a sensitive Terraform
   * variable: names in the ingress's public zone are then validated by DNS-01 (a TXT record),
   * which needs no inbound connection. Without it every name uses HTTP-01 on port 80.
   * @default none: HTTP-01 only
   */
  readonly cloudflareApiToken?: TerraformVariable;
  /** How often the renewer checks every certificate. @default 12 */
  readonly checkIntervalHours?: number;
  /** @default "docker.io/certbot/dns-cloudflare:v4.0.0" */
  readonly image?: string;
}

/** One certificate: its hostname and how the CA validates it. */
export interface AcmeCertificate {
  readonly hostname: string;
  readonly challenge: AcmeChallenge;
}

/** The script's configuration file (acme-renew.py). */
export interface AcmeRenewerConfig {
  readonly server: string;
  readonly email: string;
  readonly namespace: string;
  readonly variablePrefix: string;
  readonly intervalSeconds: number;
  readonly httpPort: number;
  readonly cloudflareCredentials: string;
  readonly certificates: readonly { readonly name: string; readonly domains: readonly string[]; readonly challenge: AcmeChallenge }[];
}

/** A hostname's variable name: Nomad variable paths allow no dots (structs.validVariablePath), DNS names no "_". */
export function certificateName(hostname: string): string {
  return hostname.replace(/\./g, "_");
}

/** Where a hostname's certificate is kept. */
export function certificateVariablePath(hostname: string): string {
  return `${CERTIFICATES_PREFIX}/${certificateName(hostname)}`;
}

export function acmeRenewerConfig(s: {
  readonly server: string;
  readonly email: string;
  readonly certificates: readonly AcmeCertificate[];
  readonly namespace?: string;
  readonly checkIntervalHours?: number;
}): AcmeRenewerConfig {
  return {
    server: s.server,
    email: s.email,
    namespace: s.namespace ?? "ingress",
    variablePrefix: CERTIFICATES_PREFIX,
    intervalSeconds: (s.checkIntervalHours ?? 12) * 3600,
    httpPort: CHALLENGE_PORT,
    cloudflareCredentials: "/secrets/cloudflare.ini",
    certificates: s.certificates.map((c) => ({ name: certificateName(c.hostname), domains: [c.hostname], challenge: c.challenge })),
  };
}

export interface AcmeRenewerProps {
  readonly settings: AcmeSettings;
  /** The namespace of the ingress (and of this job, and of the certificates' variables). */
  readonly namespace: string;
  readonly datacenters?: readonly string[];
}

/**
 * The renewer job (child "Job", policy "WriteCertificates"), and the Cloudflare token's
 * variable (child "CloudflareToken") when DNS-01 is configured. Certificates are added with
 * `addCertificate` until synth; the job's configuration lists them then.
 */
export class AcmeRenewer extends Construct {
  public readonly job: NomadJob;
  public readonly policy: NomadAclPolicy;
  private readonly certificates: AcmeCertificate[] = [];

  constructor(scope: Construct, id: string, props: AcmeRenewerProps) {
    super(scope, id);
    const { settings, namespace } = props;
    const certificates = this.certificates;
    const config = (): string =>
      JSON.stringify(
        acmeRenewerConfig({
          server: settings.directoryUrl ?? (settings.staging ? LETS_ENCRYPT_STAGING : LETS_ENCRYPT),
          email: settings.email,
          certificates,
          namespace,
          checkIntervalHours: settings.checkIntervalHours,
        }),
        null,
        2,
      );
    const templates: Template[] = [
      { destination: "local/acme-renew.py", data: SCRIPT, changeMode: "restart" },
      // Read at synth, after every exposeVia added its hostname: the jobspec is rendered then.
      {
        destination: "local/config.json",
        changeMode: "restart",
        get data() {
          return config();
        },
      },
    ];
    if (settings.cloudflareApiToken) {
      new NomadVariable(this, "CloudflareToken", {
        path: `nomad/jobs/${ACME_JOB}`,
        namespace,
        items: { [CLOUDFLARE_TOKEN_ITEM]: settings.cloudflareApiToken },
      });
      // certbot-dns-cloudflare's credentials file; certbot warns unless only its owner reads it.
      templates.push({
        destination: "secrets/cloudflare.ini",
        perms: "0600",
        changeMode: "restart",
        data: `{{ with nomadVar "nomad/jobs/${ACME_JOB}" }}dns_cloudflare_api_token = {{ .${CLOUDFLARE_TOKEN_ITEM} }}{{ end }}\n`,
      });
    }
    this.job = new NomadJob(this, "Job", {
      name: ACME_JOB,
      namespace,
      datacenters: props.datacenters,
      type: "service",
      groups: [
        {
          name: ACME_JOB,
          count: 1,
          network: { mode: "bridge", ports: [{ label: "http", to: CHALLENGE_PORT }] },
          restart: SERVICE_RESTART_DEFAULTS,
          // No check: certbot's standalone server listens only while a challenge is pending.
          services: [{ name: ACME_CHALLENGE_SERVICE, provider: "nomad", port: "http" }],
          tasks: [
            {
              name: "certbot",
              driver: "docker",
              config: {
                image: settings.image ?? "docker.io/certbot/dns-cloudflare:v4.0.0",
                entrypoint: ["python3"],
                args: ["/local/acme-renew.py", "/local/config.json"],
                ports: ["http"],
              },
              env: { NOMAD_ADDR: "unix:///secrets/api.sock" },
              // NOMAD_TOKEN: the workload identity the policy below is bound to.
              identities: [{ env: true }],
              templates,
              resources: { cpuMhz: 100, memoryMb: 256 },
            },
          ],
        },
      ],
    });
    this.policy = this.job.attachPolicy(
      "WriteCertificates",
      { namespaces: [{ name: namespace, variables: [{ path: `${CERTIFICATES_PREFIX}/*`, capabilities: ["read", "write", "list"] }] }] },
      { policyName: "acme-renewer", description: "The ACME renewer: read and write the ingress's certificates" },
    );
  }

  /** Adds a certificate for `hostname`; once per hostname. */
  public addCertificate(certificate: AcmeCertificate): void {
    if (!this.certificates.some((c) => c.hostname === certificate.hostname)) this.certificates.push(certificate);
  }
}
