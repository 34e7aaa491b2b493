import { TerraformStack } from "cdktf";
import { NomadService } from "hashilab";

/** it-tools, a web toolbox: one container, port 80 behind a Nomad-checked service. */
export function itTools(stack: TerraformStack): NomadService {
  return new NomadService(stack, "ItTools", { image: "corentinth/it-tools:latest" });
}
