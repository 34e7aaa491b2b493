/** The lab environment alone (main.ts synthesizes every environment), for the benchmarks. */
import { App } from "cdktf";
import { lab } from "../../environments";
import { addEnvironment } from "../../stacks/environment";

const app = new App();
addEnvironment(app, lab);
app.synth();
