/** The lab environment alone (main.ts synthesizes every environment), for the benchmarks; as main.ts does it. */
import { App } from "cdktf";
import { formatSynthProblems } from "../../constructs/core";
import { lab } from "../../environments";
import { addEnvironments } from "../../stacks/environment";

const app = new App({ skipValidation: true });
const problems = addEnvironments(app, [lab]);
if (problems.length > 0) {
  process.stderr.write(formatSynthProblems(problems));
  process.exitCode = 1;
} else {
  app.synth();
}
