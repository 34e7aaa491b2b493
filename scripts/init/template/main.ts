import { NomadProvider } from "@cdktf/provider-nomad/lib/provider";
import { App, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { NomadService } from "hashilab";

/** Where an environment's Nomad API answers, and which apps it runs. */
interface Environment {
  readonly name: string;
  readonly nomadAddress: string;
  readonly apps: ReadonlyArray<(scope: Construct) => void>;
}

/** whoami: a tiny web server that answers with the request it got. */
function whoami(scope: Construct): void {
  new NomadService(scope, "Whoami", { image: "docker.io/traefik/whoami:v1.10.3", ports: { http: { to: 80 } } });
}

const ENVIRONMENTS: readonly Environment[] = [
  // A Nomad agent on this machine (nomad agent -dev); the token comes from NOMAD_TOKEN at deploy time.
  { name: "home", nomadAddress: "http://127.0.0.1:4646", apps: [whoami] },
];

const app = new App();
for (const env of ENVIRONMENTS) {
  const stack = new TerraformStack(app, env.name);
  new NomadProvider(stack, "nomad", { address: env.nomadAddress });
  for (const addApp of env.apps) addApp(stack);
}
app.synth();
