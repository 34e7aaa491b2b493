import { TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import {
  backupRepository,
  ClusterOutputs,
  csiPluginsProps,
  dnsNeedsHetznerToken,
  dnsVipProps,
  EnvironmentConfig,
  environmentFacts,
  ingressProps,
  raftSnapshotsProps,
  volumeProvider,
} from "../environments";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { collectProblems, throwCollected } from "../constructs/core";
import { DnsVip } from "../constructs/dns-vip";
import { Ingress } from "../constructs/ingress";
import { CloudflareProvider } from "../constructs/providers";
import { RaftSnapshots } from "../constructs/raft-snapshots";
import { HetznerCsiPlugins } from "../constructs/volumes";
import type { BackupRepository } from "../constructs/backups";
import { AppContext, deployApps } from "../apps";
import { consulProvider, nomadProvider } from "./cluster-providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";
import { useStateBackend } from "./state-backend";

export interface WorkloadsStackProps {
  readonly env: EnvironmentConfig;
  readonly endpoints: ClusterEndpoints;
  /** The acl stack's management tokens. @default sensitive variables nomad_token and consul_token (a cluster someone else runs) */
  readonly credentials?: ClusterCredentials;
  /** The hosts stack's cluster: its network and addresses (Hetzner environments). @default none (no hosts stack) */
  readonly cluster?: ClusterOutputs;
}

/**
 * `<env>-workloads`: the Nomad jobs: the cluster's own (DNS, ingress, snapshots) and the
 * environment's apps. Secrets come from sensitive variables set at deploy time:
 * the snapshot bucket's keys (TF_VAR_snapshots_s3_*), the Hetzner token that moves the DNS VIP
 * (TF_VAR_hcloud_dns_token), the ACME renewer's Cloudflare token (TF_VAR_acme_cloudflare_token);
 * the Cloudflare provider's token from CLOUDFLARE_API_TOKEN.
 */
export class WorkloadsStack extends TerraformStack {
  /** Raft snapshot backups, when the environment configures a bucket. */
  public readonly raftSnapshots?: RaftSnapshots;
  /** CoreDNS for the lab domain on the DNS VIP. */
  public readonly dns: DnsVip;
  /** Traefik, the HTTP ingress. */
  public readonly ingress: Ingress;
  /** The Hetzner CSI plugins, where the environment provides Hetzner Cloud Volumes. */
  public readonly csiPlugins?: HetznerCsiPlugins;

  constructor(scope: Construct, id: string, props: WorkloadsStackProps) {
    super(scope, id);
    const { env, cluster } = props;
    useStateBackend(this, env);
    declareClusterFacts(this, environmentFacts(env));
    nomadProvider(this, props.endpoints, props.credentials);

    // Bad input in one part does not hide another's: each independent part is built, and the
    // problems of all of them are thrown together at the end.
    const reports: string[] = [];
    const { snapshots } = env;
    if (snapshots) {
      // The job's own Consul token is created through the Consul provider.
      consulProvider(this, props.endpoints, props.credentials);
      this.raftSnapshots = collectProblems(
        reports,
        () =>
          new RaftSnapshots(
            this,
            "RaftSnapshots",
            raftSnapshotsProps(env, snapshots, {
              s3AccessKeyId: this.variable("snapshots_s3_access_key_id", "Access key id of the Raft snapshot bucket").stringValue,
              s3SecretAccessKey: this.variable("snapshots_s3_secret_access_key", "Secret key of the Raft snapshot bucket").stringValue,
            }),
          ),
      );
    }

    const volumes = volumeProvider(env);
    if (volumes?.kind === "hetzner-csi") {
      const token = this.variable("hcloud_csi_token", "Hetzner Cloud API token (read/write) the CSI controller creates and attaches volumes with");
      this.csiPlugins = collectProblems(reports, () => new HetznerCsiPlugins(this, "CsiPlugins", csiPluginsProps(env, volumes.location, token)));
    }

    const hetznerToken = dnsNeedsHetznerToken(env, cluster)
      ? this.variable("hcloud_dns_token", "Hetzner Cloud API token (read/write) keepalived uses to move the DNS VIP between hosts")
      : undefined;
    const dns = collectProblems(reports, () => new DnsVip(this, "Dns", dnsVipProps(env, cluster, hetznerToken)));

    if (env.cloudflare) new CloudflareProvider(this, "cloudflare", {});
    // DNS-01 for names in the zone: a token of its own, so the renewer cannot touch other zones.
    const acmeToken =
      env.acme && env.cloudflare
        ? this.variable("acme_cloudflare_token", "Cloudflare API token (Zone → DNS → Edit on the public zone) the ACME renewer answers DNS-01 challenges with")
        : undefined;
    const ingress = collectProblems(reports, () => new Ingress(this, "Ingress", ingressProps(env, cluster, acmeToken)));
    // Apps are exposed through the ingress: without it they cannot be built.
    if (!dns || !ingress) throwCollected(reports);
    this.dns = dns!;
    this.ingress = ingress!;

    // The environment's apps, each from apps/<kebab-case key>.ts (docs/apps.md).
    let repository: BackupRepository | undefined;
    const context: AppContext = {
      ingress: this.ingress,
      environment: env.name,
      domain: env.domain,
      secret: (id, description) => this.variable(id, description),
      // The bucket's keys and the restic password are variables only when an app backs up.
      backupRepository: () =>
        env.backups
          ? (repository ??= backupRepository(env, env.backups, {
              s3AccessKeyId: this.variable("backups_s3_access_key_id", "Access key id of the volume backup bucket"),
              s3SecretAccessKey: this.variable("backups_s3_secret_access_key", "Secret key of the volume backup bucket"),
              password: this.variable("backups_restic_password", "Password of the restic repositories of apps' volumes"),
            }))
          : undefined,
    };
    collectProblems(reports, () => deployApps(this, env.apps ?? {}, context, (module) => require(`../apps/${module}`)));
    throwCollected(reports);
  }

  /** A sensitive variable without a default: its value comes from TF_VAR_<id> at deploy time. */
  private variable(id: string, description: string): TerraformVariable {
    return new TerraformVariable(this, id, { type: "string", sensitive: true, description });
  }
}
