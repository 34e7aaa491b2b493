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
      if (pieces[i + 1]?.isToken !== true) return escaped;
      // A `$` or `%` right before a token's `${` would turn it into an escape (`$${`):
      // spell that last character as an interpolation of itself.
      return closeOpenEscape(escaped).replace(/([$%])$/, '${"$1"}');
    })
    .join("");
}

/**
 * cdktf reads any `${` in a string as the start of a Terraform expression until the next `}`
 * (tokens/private/encoding.js, nextEscapeToken), and renders a token inside one as a bare
 * expression, without its `${ }`: after `$${PORT:-` a token would reach Terraform as plain
 * text. An escaped `$…${` after the literal's last `}` is therefore written as an
 * interpolation of the dollars, `${"$…"}{`, which closes itself.
 */
function closeOpenEscape(escaped: string): string {
  const tail = escaped.lastIndexOf("}") + 1;
  const rewritten = escaped.slice(tail).replace(/(\$+)\{/g, (_, dollars: string) => `\${"${dollars.slice(1)}"}{`);
  return escaped.slice(0, tail) + rewritten;
}

/**
 * Why Terraform cannot carry `value` unchanged, or undefined: Terraform (cty.StringVal) and HCL
 * normalize every string to Unicode NFC, and a lone UTF-16 surrogate has no UTF-8 form.
 * `where` names the field for the message.
 */
export function terraformTextProblem(where: string, value: string): string | undefined {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
    return `${where} has a lone UTF-16 surrogate, which has no UTF-8 form. Fix the text.`;
  }
  if (value !== value.normalize("NFC")) {
    return `${where} is not in Unicode NFC; Terraform and HCL normalize text to NFC, so it would arrive as other bytes. Use the text's .normalize("NFC").`;
  }
  return undefined;
}
