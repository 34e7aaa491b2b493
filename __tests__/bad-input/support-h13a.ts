import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { goProgram } from "../support/go";
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

/** A body as nomad-hcl/main.go reads it: attributes evaluated as Nomad's job parser does, and blocks. */
export interface NomadHclBody {
  readonly attrs: Record<string, any>;
  readonly blocks: readonly { readonly type: string; readonly labels: readonly string[]; readonly body: NomadHclBody }[];
}

const GOPATH = "/usr/share/gocode";

/**
 * Reads jobspecs with HashiCorp's HCL parser and evaluator in Go (Debian's
 * golang-github-hashicorp-hcl-v2-dev, HCL 2.14), the way Nomad's jobspec2 does (see
 * nomad-hcl/main.go): every string is its value as Nomad gets it. One process for all texts.
 */
export function readJobspecs(texts: readonly string[]): ({ body: NomadHclBody } | { error: string })[] {
  if (!existsSync(join(GOPATH, "src/github.com/hashicorp/hcl/v2"))) {
    throw new Error("HCL for Go is not installed: install golang-github-hashicorp-hcl-v2-dev (scripts/ci/install-validators.sh)");
  }
  const reader = goProgram("nomad-hcl", join(__dirname, "nomad-hcl", "main.go"), GOPATH);
  return JSON.parse(execFileSync(reader, [], { input: JSON.stringify(texts), encoding: "utf8", maxBuffer: 1 << 28 }));
}

/** The body of the first block of `type` (with `label`, when given) in `body`. */
export function blockOf(body: NomadHclBody, type: string, label?: string): NomadHclBody {
  const found = body.blocks.find((b) => b.type === type && (label === undefined || b.labels[0] === label));
  if (!found) throw new Error(`no ${type} block${label === undefined ? "" : ` "${label}"`} in ${JSON.stringify(body).slice(0, 300)}`);
  return found.body;
}

/** The labels of the first block of `type`. */
export function labelOf(body: NomadHclBody, type: string): string {
  const found = body.blocks.find((b) => b.type === type);
  if (!found) throw new Error(`no ${type} block`);
  return found.labels[0];
}
