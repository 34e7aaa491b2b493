import { App } from "cdktf";
import { formatSynthProblems } from "./constructs/core";
import { ENVIRONMENTS } from "./environments";
import { addEnvironments } from "./stacks/environment";

const app = new App();
const problems = addEnvironments(app, ENVIRONMENTS);
if (problems.length > 0) {
  // Printed, not thrown: the cdktf CLI would repeat a thrown error with its stack trace.
  process.stderr.write(formatSynthProblems(problems));
  process.exitCode = 1;
} else {
  app.synth();
}
