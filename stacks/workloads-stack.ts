import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, environmentFacts } from "../environments";
import { declareClusterFacts } from "../constructs/cluster-facts";
import { NomadService } from "../constructs/nomad-service";
import { RaftSnapshots } from "../constructs/raft-snapshots";
import { nomadProvider } from "./cluster-providers";
import { ClusterCredentials, ClusterEndpoints } from "./endpoints";
import { addRaftSnapshots } from "./raft-snapshots";
import { useStateBackend } from "./state-backend";

export interface WorkloadsStackProps {
  readonly env: EnvironmentConfig;
  readonly endpoints: ClusterEndpoints;
  readonly credentials: ClusterCredentials;
}

/** `<env>-workloads`: the Nomad jobs. */
export class WorkloadsStack extends TerraformStack {
  /** The seed's "basic test job" (seed 000): IT Tools behind a Nomad-checked HTTP service. */
  public readonly itTools: NomadService;
  /** Raft snapshot backups, when the environment configures a bucket. */
  public readonly raftSnapshots?: RaftSnapshots;

  constructor(scope: Construct, id: string, props: WorkloadsStackProps) {
    super(scope, id);
    useStateBackend(this, props.env);
    declareClusterFacts(this, environmentFacts(props.env));
    nomadProvider(this, props.endpoints, props.credentials);
    this.raftSnapshots = addRaftSnapshots(this, props.env, props.endpoints, props.credentials);

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
