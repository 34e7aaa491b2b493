import { App } from "cdktf";
import { collectProblems, formatSynthProblems, validationProblems } from "./constructs/core";
import { ENVIRONMENTS } from "./environments";
import { addEnvironment } from "./stacks/environment";

const app = new App();
// Every problem of every environment in one run: an environment with bad input does not stop
// the next one, and the validations of every stack that was built run before any synth.
const reports: string[] = [];
const built = ENVIRONMENTS.map((env) => collectProblems(reports, () => addEnvironment(app, env)));
for (const stacks of built) {
  for (const stack of stacks ? Object.values(stacks) : []) if (stack) reports.push(...validationProblems(stack));
}
if (reports.length > 0) {
  // Printed, not thrown: the cdktf CLI repeats a thrown error with its stack trace.
  process.stderr.write(formatSynthProblems(reports));
  process.exitCode = 1;
} else {
  app.synth();
}
