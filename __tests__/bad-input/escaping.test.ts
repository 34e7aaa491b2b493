import { App, Lazy, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { NomadAclPolicy, NomadAclRole, NomadAclToken, NomadJob, NomadVariable, Task } from "../../constructs";
import { NomadProvider } from "../../constructs/providers";
import { buildCluster, VALID_CLUSTER_PROPS } from "../support/hetzner-cluster";
import { resourcesOf, StackJson } from "../support/synth";
import { blockOf, evaluateTerraformBatch, labelOf, NomadHclBody, parseJobspec, readJobspecs } from "./support-h13a";

/**
 * Class 1 of issue 13: every string that reaches HCL or Terraform is escaped by one layer,
 * values known only at apply time included. Each case synthesizes a value into a job or an ACL
 * resource; the real terraform evaluates the synthesized expression (one run for all cases,
 * variables from a .tfvars.json); HashiCorp's HCL parser reads the jobspec twice, as hcl2json
 * (wasm) and as Nomad's job parser reads it (Go, nomad-hcl/main.go); the value must be what
 * went in, byte for byte.
 */
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\"quoted\"\\slash\n${x} %{ if }\nEOH\n\tEOH\n-----END CERTIFICATE-----\n";

const stack = new TerraformStack(new App(), "escaping");
new NomadProvider(stack, "nomad", { address: "http://127.0.0.1:4646" });
const variables: Record<string, string> = {};
let counter = 0;

/** A Terraform variable that Terraform gives `value` at apply time. */
function applyTime(value: string): string {
  const name = `v${counter++}`;
  variables[name] = value;
  return new TerraformVariable(stack, name, { type: "string" }).stringValue;
}

interface Case {
  /** The Terraform expression that carries the value, from the synthesized stack. */
  readonly expression: (json: StackJson) => string;
  /** A jobspec's value, read from the parsed file; undefined: the evaluated value is the value. */
  readonly read?: (file: NomadHclBody) => string;
}
const cases = new Map<string, Case>();

const task = (extra: Partial<Task>): Task => ({ name: "t", driver: "docker", config: { image: "nginx:1.27" }, ...extra }) as Task;
const taskOf = (file: NomadHclBody) => blockOf(blockOf(blockOf(file, "job"), "group"), "task");

/** A job whose one task gets `extra`; the case reads the value back with `read` from the parsed file. */
function jobCase(id: string, extra: Partial<Task>, read: (file: NomadHclBody) => string, name = id): void {
  new NomadJob(stack, id, { name, groups: [{ name: "g", tasks: [task(extra)] }] });
  cases.set(id, { expression: (json) => resourcesOf(json, "nomad_job")[id].jobspec, read });
}
const env = (file: NomadHclBody) => blockOf(taskOf(file), "env").attrs.V;
const data = (file: NomadHclBody) => blockOf(taskOf(file), "template").attrs.data;
const arg = (file: NomadHclBody) => blockOf(taskOf(file), "config").attrs.args[0];

jobCase("quotes", { env: { V: applyTime('Welcome to "lab"') } }, env);
jobCase("pem", { env: { V: applyTime(PEM) } }, env);
jobCase("pemheredoc", { templates: [{ destination: "local/ca.pem", data: `# CA\n${applyTime(PEM)}\n` }] }, data);
jobCase("templatesyntax", { config: { image: "x", args: [applyTime("${PORT:-8080} %{ if true }x%{ endif } {{ .Data }} $${y}")] } }, arg);
jobCase("unicode", { env: { V: applyTime("Grüße 😀 \u2028 \u0000 \u007f") } }, env);
jobCase("shelldefault", { config: { image: "x", args: ["${PORT:-8080}"] } }, arg);
jobCase("unclosed", { config: { image: "x", args: ["${PORT:-" + applyTime("80\"80") + "}"] } }, arg);
jobCase("eohline", { templates: [{ destination: "local/x", data: "a\n\tEOH\nEOH \n  EOH1\nb\n" }] }, data);
jobCase("dollarbefore", { env: { V: "$" + applyTime("{x} ${y}") } }, env);
jobCase("percentbefore", { env: { V: "%" + applyTime("{ if true }") } }, env);
jobCase("dollarheredoc", { templates: [{ destination: "local/x", data: `price: $${applyTime("{5}")}\n` }] }, data);
jobCase("escapedliteral", { env: { V: "$${NOMAD_TASK_DIR} %%{ x }" } }, env);
jobCase("gotemplate", { templates: [{ destination: "local/x", data: '{{ env "NOMAD_IP_http" }}:{{ with secret "a" }}{{ .Data.b }}{{ end }}\n' }] }, data);
jobCase("runtimeref", { env: { V: "${NOMAD_TASK_DIR}/x ${attr.unique.hostname}" } }, env);
jobCase("refbrace", { env: { V: "${NOMAD_TASK_DIR}} ${attr.x} }" } }, env);
jobCase("reftoken", { env: { V: "${NOMAD_TASK_DIR}" + applyTime("}") } }, env);
jobCase("lazy", { env: { V: Lazy.stringValue({ produce: () => 'lazy "${x}"\n%{ y }' }) } }, env);
jobCase("labeltoken", {}, (file) => labelOf(file, "job"), applyTime('web "one" ${x}\n'));

/** A Terraform-only attribute: Terraform's evaluation is what the provider sends. */
function attributeCase(id: string, expression: (json: StackJson) => string): void {
  cases.set(id, { expression });
}
const policy = (id: string, description?: string) => new NomadAclPolicy(stack, id, { policyName: id, description, rules: { agent: "read" } });
const resource = (json: StackJson, type: string, id: string) => Object.entries<any>(resourcesOf(json, type)).find(([key]) => key.startsWith(`${id}_`))![1];

policy("policydescription", "Reads ${path.module} and %{ if true }x%{ endif }");
attributeCase("policydescription", (json) => resource(json, "nomad_acl_policy", "policydescription").description);
new NomadAclRole(stack, "roledescription", { roleName: "role", description: 'The "ops" role: ${var.x}', policies: [policy("p1")] });
attributeCase("roledescription", (json) => resource(json, "nomad_acl_role", "roledescription").description);
new NomadAclToken(stack, "tokenname", { tokenName: 'Alice "ops" ${x} %{', policies: [policy("p2")] });
attributeCase("tokenname", (json) => resource(json, "nomad_acl_token", "tokenname").name);
new NomadVariable(stack, "itemname", { path: "nomad/jobs/x", items: { "${x}": new TerraformVariable(stack, "secret", { type: "string", sensitive: true }) } });
attributeCase("itemname", (json) => Object.keys(resource(json, "nomad_variable", "itemname").items)[0]);

// An SSH public key's comment is free text that reaches Hetzner through Terraform.
const [operatorKey] = VALID_CLUSTER_PROPS.sshKeys;
const sshKey = `${operatorKey.publicKey.trim().split(/\s+/).slice(0, 2).join(" ")} ops \${path.module} %{ if true }`;
const clusterJson: StackJson = JSON.parse(Testing.synth(buildCluster({ sshKeys: [{ ...operatorKey, publicKey: sshKey }] }).stack));
attributeCase("sshkeycomment", () => Object.values<any>(resourcesOf(clusterJson, "hcloud_ssh_key"))[0].public_key);

const EXPECTED: Record<string, string> = {
  quotes: 'Welcome to "lab"',
  pem: PEM,
  pemheredoc: `# CA\n${PEM}\n`,
  templatesyntax: "${PORT:-8080} %{ if true }x%{ endif } {{ .Data }} $${y}",
  unicode: "Grüße 😀 \u2028 \u0000 \u007f",
  shelldefault: "${PORT:-8080}",
  unclosed: '${PORT:-80"80}',
  eohline: "a\n\tEOH\nEOH \n  EOH1\nb\n",
  dollarbefore: "${x} ${y}",
  percentbefore: "%{ if true }",
  dollarheredoc: "price: ${5}\n",
  escapedliteral: "$${NOMAD_TASK_DIR} %%{ x }",
  gotemplate: '{{ env "NOMAD_IP_http" }}:{{ with secret "a" }}{{ .Data.b }}{{ end }}\n',
  runtimeref: "${NOMAD_TASK_DIR}/x ${attr.unique.hostname}",
  refbrace: "${NOMAD_TASK_DIR}} ${attr.x} }",
  reftoken: "${NOMAD_TASK_DIR}}",
  lazy: 'lazy "${x}"\n%{ y }',
  labeltoken: 'web "one" ${x}\n',
  policydescription: "Reads ${path.module} and %{ if true }x%{ endif }",
  roledescription: 'The "ops" role: ${var.x}',
  tokenname: 'Alice "ops" ${x} %{',
  itemname: "${x}",
  sshkeycomment: sshKey,
};

let read: Record<string, string>;
let json: StackJson;

beforeAll(async () => {
  json = JSON.parse(Testing.synth(stack));
  const ids = [...cases.keys()];
  const evaluated = evaluateTerraformBatch(
    ids.map((id) => cases.get(id)!.expression(json)),
    variables,
  );
  const jobspecs = ids.map((id, i) => (cases.get(id)!.read ? evaluated[i] : undefined));
  // Both of HashiCorp's parsers take every jobspec: hcl2json, and Go's as Nomad reads it.
  await Promise.all(jobspecs.filter((text): text is string => text !== undefined).map(parseJobspec));
  const files = readJobspecs(jobspecs.map((text) => text ?? ""));
  read = Object.fromEntries(
    ids.map((id, i) => {
      const file = files[i];
      if ("error" in file) throw new Error(`${id}: ${file.error}\n${jobspecs[i]}`);
      const readBack = cases.get(id)!.read;
      return [id, readBack ? readBack(file.body) : evaluated[i]];
    }),
  );
});

describe("values reach their consumer byte-equal (terraform evaluation, then HashiCorp's HCL parser)", () => {
  it.each([
    ["an apply-time value with quotes (a token spliced into a quoted string)", "quotes"],
    ["an apply-time PEM with newlines, quotes, backslashes, ${, %{ and EOH lines", "pem"],
    ["an apply-time PEM inside a template heredoc", "pemheredoc"],
    ["an apply-time value with ${, %{, {{ and $${", "templatesyntax"],
    ["an apply-time value with non-ASCII, U+2028, NUL and DEL", "unicode"],
    ["a shell default ${PORT:-8080} in args", "shelldefault"],
    ["an apply-time value after an unclosed literal ${ (cdktf would drop its braces)", "unclosed"],
    ["template lines \\tEOH, 'EOH ' and EOH1, which would close a heredoc early", "eohline"],
    ["a literal $ right before an apply-time value starting with {", "dollarbefore"],
    ["a literal % right before an apply-time value starting with {", "percentbefore"],
    ["a literal $ right before an apply-time value in a heredoc", "dollarheredoc"],
    ["literal $${ and %%{", "escapedliteral"],
    ["a consul-template body with {{ }} and quotes", "gotemplate"],
    ["Nomad's runtime references", "runtimeref"],
    ["a runtime reference followed by } (Nomad's parser would double the brace)", "refbrace"],
    ["a runtime reference followed by an apply-time value starting with }", "reftoken"],
    ["a lazy value that is plain text at synth", "lazy"],
    ["an apply-time job name (a block label) with quotes, ${ and a newline", "labeltoken"],
    ["an ACL policy description with ${path.module} and %{ if }", "policydescription"],
    ["an ACL role description with quotes and ${var.x}", "roledescription"],
    ["an ACL token name with quotes, ${ and %{", "tokenname"],
    ["a Nomad variable item named ${x} (object keys are templates too)", "itemname"],
    ["an SSH public key whose comment holds ${path.module} and %{ if }", "sshkeycomment"],
  ])("%s", (_, id) => expect(read[id]).toBe(EXPECTED[id]));

  it("keeps Nomad's runtime references readable in the jobspec and escapes everything else", () => {
    expect(resourcesOf(json, "nomad_job").runtimeref.jobspec).toContain('V = "$${NOMAD_TASK_DIR}/x $${attr.unique.hostname}"');
    expect(resourcesOf(json, "nomad_job").shelldefault.jobspec).toContain('args  = ["$$${PORT:-8080}"]');
  });

  it("keeps a template with an apply-time value a heredoc", () => {
    expect(resourcesOf(json, "nomad_job").pemheredoc.jobspec).toMatch(/data {8}= <<EOH\n# CA\n\$\$\{"\$\{(replace\()+var\.v\d+, /);
  });
});

describe("text Terraform would change is refused", () => {
  it("fails on an ACL description not in Unicode NFC", () => {
    const scratch = new TerraformStack(new App(), "scratch");
    expect(() => new NomadAclPolicy(scratch, "P", { description: "Cafe\u0301", rules: { agent: "read" } })).toThrow(
      'scratch/P: invalid Nomad ACL policy "p":\n  - the description is not in Unicode NFC; Terraform and HCL normalize text to NFC, so it would arrive as other bytes. Use the text\'s .normalize("NFC").',
    );
  });

  it("fails on a token name with a lone UTF-16 surrogate", () => {
    const scratch = new TerraformStack(new App(), "scratch");
    const policies = [new NomadAclPolicy(scratch, "P", { rules: { agent: "read" } })];
    expect(() => new NomadAclToken(scratch, "T", { tokenName: "x\udc00", policies })).toThrow(
      "scratch/T: invalid Nomad ACL token:\n  - tokenName has a lone UTF-16 surrogate, which has no UTF-8 form. Fix the text.",
    );
  });
});
