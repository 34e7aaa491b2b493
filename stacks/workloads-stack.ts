import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, environmentFacts } from "../environments";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { NomadService } from "../constructs/nomad-service";
import { RaftSnapshots } from "../constructs/raft-snapshots";
import { nomadProvider } from "./cluster-providers";
import { DnsVip } from "../constructs/dns-vip";
import { Ingress } from "../constructs/ingress";
import { addDnsVip, addIngress, HostsOutputs } from "./dns-and-ingress";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";
import { addRaftSnapshots } from "./raft-snapshots";
import { useStateBackend } from "./state-backend";

export interface WorkloadsStackProps {
  readonly env: EnvironmentConfig;
  readonly endpoints: ClusterEndpoints;
  readonly credentials: ClusterCredentials;
  /** The hosts stack's network and public addresses (Hetzner environments). @default none (no hosts stack) */
  readonly hosts?: HostsOutputs;
}

/** `<env>-workloads`: the Nomad jobs. */
export class WorkloadsStack extends TerraformStack {
  /** A first test job: IT Tools (a stateless web app) behind a Nomad-checked HTTP service. */
  public readonly itTools: NomadService;
  /** Raft snapshot backups, when the environment configures a bucket. */
  public readonly raftSnapshots?: RaftSnapshots;
  /** CoreDNS for the lab domain on the DNS VIP. */
  public readonly dns: DnsVip;
  /** Traefik, the HTTP ingress. */
  public readonly ingress: Ingress;

  constructor(scope: Construct, id: string, props: WorkloadsStackProps) {
    super(scope, id);
    useStateBackend(this, props.env);
    declareClusterFacts(this, environmentFacts(props.env));
    nomadProvider(this, props.endpoints, props.credentials);
    this.raftSnapshots = addRaftSnapshots(this, props.env, props.endpoints, props.credentials);
    this.dns = addDnsVip(this, props.env, props.hosts);
    this.ingress = addIngress(this, props.env, props.hosts);

    this.itTools = new NomadService(this, "ItTools", {
      jobName: "it-tools",
      groupName: "ittools",
      taskName: "web",
      serviceName: "ittools",
      image: "corentinth/it-tools:latest",
      ports: { http: { to: 80 } },
      tags: ["app", "tools", "tech", "coding"],
      cpuMhz: 500,
      memoryMb: 1024,
    });
  }
}
