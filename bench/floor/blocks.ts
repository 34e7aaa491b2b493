/**
 * cdktf's generic blocks for the floor app (generate.ts): a resource or data source of any type
 * whose arguments are Terraform JSON already, so nothing stands between the configuration and
 * cdktf. A typed binding would do the same plus one mapping call per argument.
 */
import { IResolvable, IResolveContext, TerraformDataSource, TerraformResource } from "cdktf";
import { Construct } from "constructs";

type Body = Record<string, unknown>;

export class FloorResource extends TerraformResource {
  /** The arguments and meta-arguments other than depends_on, as in cdk.tf.json; set after every block exists, since they reference each other. */
  public body: Body = {};

  constructor(scope: Construct, id: string, type: string) {
    super(scope, id, { terraformResourceType: type });
  }

  protected synthesizeAttributes(): Body {
    return this.body;
  }
}

export class FloorDataSource extends TerraformDataSource {
  public body: Body = {};

  constructor(scope: Construct, id: string, type: string) {
    super(scope, id, { terraformResourceType: type });
  }

  protected synthesizeAttributes(): Body {
    return this.body;
  }
}

/**
 * An HCL expression with references in it, e.g. `sha256(join(",", [a.result, b.result]))`,
 * resolved as cdktf's own expressions (Fn, Op) resolve their arguments: each reference without
 * its braces (a cross-stack one through the remote state cdktf adds). Stands for the Fn calls a
 * hand-written app would make, with the same references to resolve. The braces around it are
 * the enclosing string's, as text.
 */
export class FloorExpression implements IResolvable {
  public readonly creationStack: string[] = [];

  /** @param parts HCL text and reference tokens, alternating: text at even indices. */
  constructor(private readonly parts: readonly string[]) {}

  public resolve(context: IResolveContext): string {
    return this.parts
      .map((part, i) => {
        if (i % 2 === 0) return part;
        context.suppressBraces = true;
        return String(context.resolve(part));
      })
      .join("");
  }
}
