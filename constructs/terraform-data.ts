import { Construct } from "constructs";
import { anyToHclTerraform, anyToTerraform, hashMapper, hashMapperHcl, TerraformMetaArguments, TerraformResource } from "cdktf";

export interface TerraformDataConfig extends TerraformMetaArguments {
  /**
   * Stored in state and reflected in `output` after apply.
   * @default none
   */
  readonly input?: Record<string, unknown>;
  /**
   * Replaces the resource (re-running its provisioners) when it changes.
   * @default none
   */
  readonly triggersReplace?: Record<string, unknown>;
}

/**
 * Terraform's built-in `terraform_data` resource (Terraform 1.4+), rendered exactly as cdktf's
 * `TerraformData` renders it (cdktf 0.21.0 lib/terraform-data-resource.js: type `terraform_data`,
 * generator metadata `terraform`, `input` and `triggers_replace` through cdktf's hash mappers)
 * but without the validation `TerraformData` adds to every instance: it runs `terraform version`
 * in a shell, so synth would need Terraform on the PATH (the README promises it does not) and
 * spawn one process per instance, twice per synth (2.5 s of the app's 4 s CPU). Terraform
 * 1.5+ is a deploy prerequisite (README); an older Terraform refuses the unknown resource type
 * at plan.
 */
export class TerraformData extends TerraformResource {
  private readonly input?: Record<string, unknown>;
  private readonly triggersReplace?: Record<string, unknown>;

  constructor(scope: Construct, id: string, config: TerraformDataConfig = {}) {
    super(scope, id, {
      terraformResourceType: "terraform_data",
      terraformGeneratorMetadata: { providerName: "terraform" },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
    this.input = config.input;
    this.triggersReplace = config.triggersReplace;
  }

  get id(): string {
    return this.getStringAttribute("id");
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return {
      input: hashMapper(anyToTerraform)(this.input),
      triggers_replace: hashMapper(anyToTerraform)(this.triggersReplace),
    };
  }

  /** What `cdktf synth --hcl` (SYNTH_HCL_OUTPUT) renders instead. */
  protected synthesizeHclAttributes(): Record<string, unknown> {
    return {
      input: hashMapperHcl(anyToHclTerraform)(this.input),
      triggers_replace: hashMapperHcl(anyToHclTerraform)(this.triggersReplace),
    };
  }
}
