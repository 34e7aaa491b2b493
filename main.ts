import { App } from "cdktf";
import { formatSynthProblems } from "./constructs/core";
import { ENVIRONMENTS } from "./environments";
import { addEnvironments } from "./stacks/environment";

// addEnvironments runs every construct's validation (all stacks, every report); cdktf's own
// pass in synth() would run them all again, plus a `terraform version` probe for stacks with
// moved resources (cdktf 0.21.0 lib/synthesize/synthesizer.js), and synth needs no Terraform.
const app = new App({ skipValidation: true });
const problems = addEnvironments(app, ENVIRONMENTS);
if (problems.length > 0) {
  // Printed, not thrown: the cdktf CLI would repeat a thrown error with its stack trace.
  process.stderr.write(formatSynthProblems(problems));
  process.exitCode = 1;
} else {
  app.synth();
}
