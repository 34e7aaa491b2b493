import { App } from "cdktf";
import { ENVIRONMENTS } from "./environments";
import { addEnvironment } from "./stacks/environment";

const app = new App();
for (const env of ENVIRONMENTS) {
  addEnvironment(app, env);
}
app.synth();
