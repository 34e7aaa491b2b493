/**
 * The floor app's entry point (generate.ts writes what it builds), run as cdktf.json's app runs
 * main.ts: the same loader, and skipValidation as main.ts passes it.
 */
import { App } from "cdktf";

// Generated JavaScript (not type-checked), written by generate.ts before the measurement.
const { buildFloor } = require("./stacks.generated.js") as { buildFloor: (app: App) => void };

const app = new App({ skipValidation: true });
buildFloor(app);
app.synth();
