/** The baseline app's entry point, as cdktf.json's "app" would run it. */
import { App } from "cdktf";
import { buildBaseline } from "./app";

const app = new App();
buildBaseline(app);
app.synth();
