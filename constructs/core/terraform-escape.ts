import { stringPieces } from "./hcl";

/** Where Terraform starts an interpolation (`${`) or a directive (`%{`) in a .tf.json string. */
export const TERRAFORM_TEMPLATE_START = /[$%]\{/;

/**
 * Terraform evaluates every string in a .tf.json file as a template: `${...}` interpolates and
 * `%{...}` is a directive. cdktf writes plain strings unchanged, so text meant for Nomad
 * (`${NOMAD_TASK_DIR}`, `${attr.unique.hostname}`, a literal `%{`) must be written as `$${`
 * and `%%{` to reach Nomad as written. Tokens (cdktf references to variables and other
 * resources) are left alone: Terraform must resolve those.
 *
 * `$${X}` in the input becomes `$$${X}`, which Terraform evaluates back to `$${X}`.
 */
export function escapeTerraformTemplate(value: string): string {
  const pieces = stringPieces(value);
  return pieces
    .map((piece, i) => {
      if (piece.isToken) return piece.text;
      // (A function replacement: in a replacement string "$$" would mean "$".)
      const escaped = piece.text.replace(/([$%])\{/g, (_, sign: string) => `${sign}${sign}{`);
      // A `$` or `%` right before a token's `${` would turn it into an escape (`$${`):
      // spell that last character as an interpolation of itself.
      const beforeToken = pieces[i + 1]?.isToken === true;
      return beforeToken ? escaped.replace(/([$%])$/, '${"$1"}') : escaped;
    })
    .join("");
}
