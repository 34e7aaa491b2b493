/** The baseline test suite: one test that synthesizes the baseline app (bench only). */
import { Testing } from "cdktf";
import { buildBaseline } from "./app";

test("the baseline app synthesizes one namespace", () => {
  const app = Testing.app();
  buildBaseline(app);
  const stack = app.node.findChild("baseline") as Parameters<typeof Testing.synth>[0];
  expect(JSON.parse(Testing.synth(stack)).resource.nomad_namespace.namespace.name).toBe("baseline");
});
