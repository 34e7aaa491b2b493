import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseHcl } from "../support/hcl";
import { requireTool } from "../support/tools";

/**
 * Evaluates Terraform template strings (as cdktf writes them into cdk.tf.json) with the real
 * terraform binary, all in one run: one output per expression, and string variables whose
 * values come from a .tfvars.json file (literal there, never templates). Returns each value.
 */
export function evaluateTerraformBatch(expressions: readonly string[], variables: Readonly<Record<string, string>>): string[] {
  requireTool("terraform");
  const dir = mkdtempSync(join(tmpdir(), `hashilab-h13a-${process.pid}-`));
  try {
    const config = {
      variable: Object.fromEntries(Object.keys(variables).map((name) => [name, { type: "string" }])),
      output: Object.fromEntries(expressions.map((value, i) => [`o${i}`, { value }])),
    };
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config));
    writeFileSync(join(dir, "values.auto.tfvars.json"), JSON.stringify(variables));
    const env = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
    const run = (...args: string[]) => execFileSync("terraform", args, { cwd: dir, env, encoding: "utf8", stdio: "pipe", maxBuffer: 1 << 28 });
    run("init", "-input=false", "-no-color");
    run("apply", "-input=false", "-no-color", "-auto-approve");
    const values = JSON.parse(run("output", "-json", "-no-color")) as Record<string, { value: string }>;
    return expressions.map((_, i) => values[`o${i}`].value);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What Nomad's job parser makes of a string that HashiCorp's HCL parser (hcl2json) returned:
 * hcl2json writes values in HCL's JSON form, where `$${` and `%%{` stand for `${` and `%{`,
 * and keeps an interpolation it cannot evaluate as written. The only interpolations a
 * jobspec from hashilab may hold are Nomad's runtime references (`${NOMAD_TASK_DIR}`), which
 * jobspec2 keeps as written too (types.config.go, UndefinedVariable); anything else (a
 * directive, an expression) fails here, as it would break or change the job in Nomad.
 */
export function nomadValue(json: string): string {
  return json.replace(/(\$+|%+)\{/g, (run: string, signs: string, offset: number) => {
    if (signs.length > 1) return `${signs.slice(0, -1)}{`;
    const rest = json.slice(offset + 1);
    if (signs === "$" && /^\{[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*\}/.test(rest)) return run;
    throw new Error(`Nomad would evaluate ${JSON.stringify(json.slice(offset, offset + 40))} in ${JSON.stringify(json)}`);
  });
}

/** Parses an evaluated jobspec with HashiCorp's HCL parser; fails with the text when it does not parse. */
export async function parseJobspec(text: string): Promise<Record<string, any>> {
  try {
    return await parseHcl(text, "job.nomad.hcl");
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- jobspec ---\n${text}`);
  }
}

/** A small seeded PRNG (mulberry32): the same strings on every run and machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What breaks HCL, Terraform and Nomad strings, and plain text to mix with it. */
export const HOSTILE_PIECES = [
  '"', "\\", "\n", "\r\n", "\t", "${", "%{", "}", "{{", "}}", "$", "%", "$${", "%%{", "\tEOH\n", "EOH", "\nEOH\n",
  "${PORT:-8080}", "${NOMAD_TASK_DIR}", "${var.x}", "%{ if true }x%{ endif }", "\\n", "\\u0024", "é", "😀", "ü", "\u2028",
  "\u0000", "\u0007", "\u007f", " ", "a", "web", "-", "_", "/", "..", "*", "#", "'", "<<EOH", "=", "\ud800", "e\u0301",
];

/** A random string of 1-6 hostile pieces. */
export function hostileString(random: () => number): string {
  const length = 1 + Math.floor(random() * 6);
  return Array.from({ length }, () => HOSTILE_PIECES[Math.floor(random() * HOSTILE_PIECES.length)]).join("");
}

/** Whether a string can be a Terraform value at all (a variable's value): well-formed and NFC. */
export function isTerraformText(value: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value) && value === value.normalize("NFC");
}

/** The shape of every synth error (core/errors.ts throwIfProblems): path, what, then "  - " lines. */
export const CLEAR_ERROR = /^[\w./-]+: [^\n]+:\n {2}- /;
