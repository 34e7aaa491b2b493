import { TerraformStack } from "cdktf";
import { NomadJob } from "hashilab";

/** A nightly restic backup: a periodic batch job whose group is added after construction. */
export function resticBackup(stack: TerraformStack): NomadJob {
  const job = new NomadJob(stack, "Restic", {
    name: "restic",
    type: "batch",
    periodic: { crons: ["0 3 * * *"], timeZone: "Europe/Berlin", prohibitOverlap: true },
  });
  job.addGroup({
    name: "restic",
    // A host volume "homelab", read-only: containers may not bind host paths themselves
    // (docs/access.md "Admission"). The clients must define it (a client.host_volume block or a
    // dynamic host volume); HetznerCluster's define none, so in an environment synth refuses
    // this job until the cluster's facts list it (ClusterFacts.hostVolumes).
    volumes: [{ name: "homelab", type: "host", source: "homelab", readOnly: true }],
    tasks: [
      {
        name: "backup",
        driver: "docker",
        config: { image: "docker.io/restic/restic:0.17.3", args: ["backup", "/data"] },
        volumeMounts: [{ volume: "homelab", destination: "/data", readOnly: true }],
        templates: [
          {
            destination: "secrets/restic.env",
            env: true,
            data: '{{ with nomadVar "restic/repository" }}RESTIC_REPOSITORY={{ .url }}\nRESTIC_PASSWORD={{ .password }}{{ end }}\n',
          },
        ],
        resources: { cpuMhz: 200, memoryMb: 256 },
      },
    ],
  });
  // restic/... is outside the job's own nomad/jobs/restic: the job needs a policy to read it.
  job.attachPolicy("Repository", {
    namespaces: [{ name: "default", variables: [{ path: "restic/*", capabilities: ["read"] }] }],
  });
  return job;
}
