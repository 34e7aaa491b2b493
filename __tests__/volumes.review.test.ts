import { Construct } from "constructs";
import { NomadService } from "../constructs";
import type { ClusterFacts } from "../constructs/cluster-facts";
import { clusterEffects } from "../scripts/review/effects";
import { volumeRisks } from "../scripts/review/effects/volume-risks";
import { LAB_LIKE_FACTS, synthJobStack } from "./nomad-job.support";

const FACTS: ClusterFacts = { ...LAB_LIKE_FACTS, volumeProvider: { kind: "hetzner-csi", location: "nbg1" } };
const app = (volume?: { sizeGiB: number; retainOnDelete?: boolean }) => ({
  test: synthJobStack((scope: Construct) => {
    new NomadService(scope, "Gitea", { image: "gitea/gitea:1.24", persistentVolumes: volume ? { data: { mountPath: "/data", ...volume } } : undefined });
  }, FACTS),
});

describe("the review's volume risks (scripts/review/effects/volume-risks.ts)", () => {
  const ten = app({ sizeGiB: 10 });

  it("says nothing when no volume changes", () => {
    expect(volumeRisks(ten, ten)).toEqual([]);
  });

  it("shows a growth, and flags a shrink as refused", () => {
    const twenty = app({ sizeGiB: 20 });
    expect(volumeRisks(ten, twenty).map((r) => [r.severity, r.message])).toEqual([
      ["resize", expect.stringMatching(/nomad_csi_volume\.Gitea_Volumes_data_\w+ grows from 10 to 20 GiB/)],
    ]);
    expect(volumeRisks(twenty, ten)[0]).toMatchObject({ severity: "refused", message: expect.stringContaining("shrinks from 20 to 10 GiB") });
  });

  it("flags removing a volume as refused while it is retained, and as data loss, first, once retainOnDelete is false", () => {
    expect(volumeRisks(ten, app())[0]).toMatchObject({ severity: "refused", message: expect.stringContaining("prevent_destroy") });
    const unprotected = app({ sizeGiB: 10, retainOnDelete: false });
    expect(volumeRisks(ten, unprotected)[0]).toMatchObject({ severity: "data loss", message: expect.stringContaining("loses prevent_destroy") });
    const risks = volumeRisks(unprotected, app());
    expect(risks[0]).toMatchObject({ severity: "data loss", message: expect.stringContaining("is destroyed with all its data") });
  });

  it("puts destroying a volume's data first among the review's cluster effects, as a danger", () => {
    const unprotected = app({ sizeGiB: 10, retainOnDelete: false });
    const [first] = clusterEffects({ before: unprotected, after: app(), stacks: [] });
    expect(first).toMatchObject({ severity: "danger", text: expect.stringMatching(/^test: nomad_csi_volume\..* is destroyed with all its data/) });
  });
});
