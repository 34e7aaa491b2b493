/**
 * Writes the floor app (stacks.generated.js) from a synth of the whole app: the same stacks
 * with the same resources, data sources, outputs, variables, locals, providers, backends,
 * moved blocks and cross-stack references, declared straight through cdktf. What the app costs
 * beyond the floor's synth is hashilab's own work; the floor is what cdktf needs for that output.
 *
 * - Each resource and data source is cdktf's generic block (blocks.ts) at the app's construct
 *   path (plain Constructs as scopes), so its logical id is the app's; its arguments are the
 *   cdk.tf.json body as object literals.
 * - Every plain reference (`${type.name.attribute}`, `${data.…}`, `${var.…}`, `${local.…}`) is
 *   a cdktf reference token, as a hand-written app would write it; depends_on holds the blocks
 *   themselves. So cdktf resolves as many references as for the app.
 * - A cross-stack reference (the consumer's `terraform_remote_state` read) is the producer's
 *   token, so cdktf's prepareStack creates the outputs and remote states again, as for the app.
 * - Other expressions (function calls, `each.…`, `self.…`) stay literal strings.
 * - Providers are the providers' own classes by deep import, as constructs/providers.ts loads
 *   them; backends are cdktf's LocalBackend.
 *
 * Generated before the measurement, so the floor's figure has no JSON reading or translating in it.
 *
 *   node --require ./scripts/build/ts-loader.cjs bench/floor/generate.ts <synth outdir>
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Block = Record<string, Json>;

interface StackJson {
  readonly terraform: { readonly backend: Record<string, Block> };
  readonly provider?: Record<string, Block[]>;
  readonly resource?: Record<string, Record<string, Block>>;
  readonly data?: Record<string, Record<string, Block>>;
  readonly output?: Record<string, Block>;
  readonly variable?: Record<string, Block>;
  readonly locals?: Record<string, Json>;
  readonly moved?: { from: string; to: string }[];
}

export const GENERATED = join(__dirname, "stacks.generated.js");

/** Where each provider's class is, as constructs/providers.ts imports it. */
const PROVIDERS: Readonly<Record<string, { module: string; name: string }>> = {
  nomad: { module: "@cdktf/provider-nomad/lib/provider", name: "NomadProvider" },
  consul: { module: "@cdktf/provider-consul/lib/provider", name: "ConsulProvider" },
  random: { module: "@cdktf/provider-random/lib/provider", name: "RandomProvider" },
  tls: { module: "@cdktf/provider-tls/lib/provider", name: "TlsProvider" },
  hcloud: { module: "../../.gen/providers/hcloud/provider", name: "HcloudProvider" },
  cloudflare: { module: "@cdktf/provider-cloudflare/lib/provider", name: "CloudflareProvider" },
};

/** Set on the construct, not in the body: cdktf renders them (and drops body keys of the same name). */
const META_ARGUMENTS = new Set(["//", "depends_on", "lifecycle", "connection", "count", "for_each", "provisioner", "provider"]);
const CROSS_STACK_INPUT = "cross-stack-reference-input-";
const CROSS_STACK_OUTPUT = "cross-stack-output-";
/** `${…}` not escaped as `$${…}`. */
const INTERPOLATION = /(?<!\$)\$\{([^{}]*)\}/g;
/** A reference inside an expression: an address and its attribute path (`var.x`, `local.x`, `type.name.attr…`, `data.type.name.attr…`). */
const EMBEDDED_REFERENCE = /(?<![\w.-])(?:(?:var|local)\.\w+|(?:data\.)?[a-z][a-z0-9_]*\.[\w-]+(?:\.[\w-]+)*)/g;

const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const str = (s: string) => JSON.stringify(s);

export function readStacks(outdir: string): Map<string, StackJson> {
  const dir = join(outdir, "stacks");
  return new Map(readdirSync(dir).sort().map((name) => [name, JSON.parse(readFileSync(join(dir, name, "cdk.tf.json"), "utf8")) as StackJson]));
}

/** Blocks of each kind in one stack: resources, data sources, outputs, variables, locals. */
export function countBlocks(json: StackJson): Record<string, number> {
  const nested = (blocks?: Record<string, Record<string, Block>>) => Object.values(blocks ?? {}).reduce((sum, named) => sum + Object.keys(named).length, 0);
  const flat = (blocks?: object) => Object.keys(blocks ?? {}).length;
  return { resources: nested(json.resource), dataSources: nested(json.data), outputs: flat(json.output), variables: flat(json.variable), locals: flat(json.locals) };
}

/** The same Terraform configuration, apart from cdktf's `//` metadata on the stack (its record of the construct tree). */
export function sameConfiguration(a: StackJson, b: StackJson): boolean {
  const withoutMetadata = (json: StackJson) => Object.fromEntries(Object.entries(json).filter(([key]) => key !== "//"));
  return isDeepStrictEqual(withoutMetadata(a), withoutMetadata(b));
}

export function generate(stacks: ReadonlyMap<string, StackJson>): string {
  /** Pass 1: what every reference needs to exist. Then the locals (blocks read them), then the rest. */
  const lines: string[] = [];
  const locals: string[] = [];
  const later: string[] = [];
  /** Per stack: Terraform address (`type.name`, `data.type.name`, `var.x`, `local.x`) → JavaScript variable. */
  const addresses = new Map<string, Map<string, string>>();
  let n = 0;
  const fresh = (prefix: string) => `${prefix}${n++}`;
  const providerTypes = new Set<string>();

  const reference = (stack: string, expression: string): string | undefined => {
    if (expression.startsWith(`data.terraform_remote_state.${CROSS_STACK_INPUT}`)) {
      const [, , input, outputs, output] = expression.split(".");
      const producer = input.slice(CROSS_STACK_INPUT.length);
      const value = stacks.get(producer)?.output?.[output]?.value;
      const whole = typeof value === "string" ? /^\$\{([^{}]*)\}$/.exec(value) : null;
      if (outputs !== "outputs" || !whole) throw new Error(`${stack}: cannot follow the cross-stack reference ${expression}`);
      return reference(producer, whole[1]);
    }
    const index = addresses.get(stack)!;
    const parts = expression.split(".");
    if (parts[0] === "var" || parts[0] === "local") {
      const target = index.get(parts.slice(0, 2).join("."));
      return target && parts.length === 2 ? `${target}.${parts[0] === "var" ? "stringValue" : "asString"}` : undefined;
    }
    const base = parts[0] === "data" ? 3 : 2;
    const target = index.get(parts.slice(0, base).join("."));
    const attribute = parts.slice(base).join(".");
    if (!target || !/^[\w.-]*$/.test(attribute)) return undefined;
    return attribute ? `${target}.getStringAttribute(${str(attribute)})` : `${target}.fqn`;
  };

  /** An expression with references in it (function calls, operators) as a FloorExpression, or undefined if it has none. */
  const expression = (stack: string, text: string): string | undefined => {
    const parts: string[] = [];
    let last = 0;
    for (const m of text.matchAll(EMBEDDED_REFERENCE)) {
      const token = reference(stack, m[0]);
      if (!token) continue;
      parts.push(str(text.slice(last, m.index)), token);
      last = m.index! + m[0].length;
    }
    if (parts.length === 0) return undefined;
    parts.push(str(text.slice(last)));
    return `"\${" + Token.asString(new FloorExpression([${parts.join(", ")}])) + "}"`;
  };

  const value = (stack: string, v: Json): string => {
    if (typeof v === "string") {
      const pieces: string[] = [];
      let last = 0;
      for (const m of v.matchAll(INTERPOLATION)) {
        const token = reference(stack, m[1]) ?? expression(stack, m[1]);
        if (!token) continue;
        if (m.index! > last) pieces.push(str(v.slice(last, m.index)));
        pieces.push(token);
        last = m.index! + m[0].length;
      }
      if (last < v.length || pieces.length === 0) pieces.push(str(v.slice(last)));
      return pieces.join(" + ");
    }
    if (Array.isArray(v)) return `[${v.map((e) => value(stack, e)).join(", ")}]`;
    if (v !== null && typeof v === "object") return `{${Object.entries(v).map(([k, e]) => `${str(k)}: ${value(stack, e)}`).join(", ")}}`;
    return JSON.stringify(v);
  };
  const camelKeys = (v: Json): Json =>
    Array.isArray(v) ? v.map(camelKeys) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, e]) => [camel(k), camelKeys(e)])) : v;

  // Pass 1: stacks, backends, variables and every block, so that any can be referenced (providers, which may reference blocks, go later).
  const stackVars = new Map<string, string>();
  const blocks: { stack: string; variable: string; block: Block; address: string }[] = [];
  for (const [name, json] of stacks) {
    const s = fresh("s");
    stackVars.set(name, s);
    const index = new Map<string, string>();
    addresses.set(name, index);
    lines.push(`  const ${s} = new TerraformStack(app, ${str(name)});`);
    const [[backend, backendConfig]] = Object.entries(json.terraform.backend);
    if (backend !== "local") throw new Error(`${name}: backend ${backend} is not handled`);
    lines.push(`  new LocalBackend(${s}, ${JSON.stringify(camelKeys(backendConfig))});`);
    for (const [type, configs] of Object.entries(json.provider ?? {})) {
      const provider = PROVIDERS[type];
      if (!provider || configs.length !== 1) throw new Error(`${name}: provider ${type} is not handled`);
      providerTypes.add(type);
      later.push(`  new ${provider.name}(${s}, ${str(type)}, ${value(name, camelKeys(configs[0]))});`);
    }
    for (const [variable, config] of Object.entries(json.variable ?? {})) {
      const v = fresh("v");
      index.set(`var.${variable}`, v);
      lines.push(`  const ${v} = new TerraformVariable(${s}, ${str(variable)}, ${JSON.stringify(camelKeys(config))});`);
    }
    for (const [local] of Object.entries(json.locals ?? {})) index.set(`local.${local}`, fresh("l"));
    const all = [
      ...Object.entries(json.resource ?? {}).flatMap(([type, named]) => Object.entries(named).map(([id, block]) => ({ type, id, block, data: false }))),
      ...Object.entries(json.data ?? {}).flatMap(([type, named]) =>
        Object.entries(named)
          .filter(([id]) => !(type === "terraform_remote_state" && id.startsWith(CROSS_STACK_INPUT)))
          .map(([id, block]) => ({ type, id, block, data: true })),
      ),
    ];
    const pathOf = (b: { type: string; id: string; block: Block }) => {
      const metadata = (b.block["//"] as { metadata?: { path?: string } } | undefined)?.metadata;
      if (!metadata?.path) throw new Error(`${name}: ${b.type}.${b.id} has no construct path`);
      return metadata.path;
    };
    // Parents before children: a block can be the scope of another.
    const depth = (b: { type: string; id: string; block: Block }) => pathOf(b).split("/").length;
    const scopes = new Map<string, string>([[name, s]]);
    const scopeOf = (path: string): string => {
      const known = scopes.get(path);
      if (known) return known;
      const cut = path.lastIndexOf("/");
      const c = fresh("c");
      lines.push(`  const ${c} = new Construct(${scopeOf(path.slice(0, cut))}, ${str(path.slice(cut + 1))});`);
      scopes.set(path, c);
      return c;
    };
    for (const b of all.sort((x, y) => depth(x) - depth(y))) {
      const path = pathOf(b);
      const cut = path.lastIndexOf("/");
      const r = fresh(b.data ? "d" : "r");
      lines.push(`  const ${r} = new ${b.data ? "FloorDataSource" : "FloorResource"}(${scopeOf(path.slice(0, cut))}, ${str(path.slice(cut + 1))}, ${str(b.type)});`);
      scopes.set(path, r);
      const address = `${b.data ? "data." : ""}${b.type}.${b.id}`;
      index.set(address, r);
      blocks.push({ stack: name, variable: r, block: b.block, address });
    }
  }

  // Pass 2: what references other blocks.
  for (const { stack, variable: r, block } of blocks) {
    const body = Object.fromEntries(Object.entries(block).filter(([k]) => !META_ARGUMENTS.has(k)));
    later.push(`  ${r}.body = ${value(stack, body)};`);
    const index = addresses.get(stack)!;
    if (block.depends_on) {
      const targets = (block.depends_on as string[]).map((d) => {
        const target = index.get(d);
        if (!target) throw new Error(`${stack}: depends_on names ${d}, which is not in the stack`);
        return target;
      });
      later.push(`  ${r}.dependsOn = [${targets.map((t) => `dependable(${t})`).join(", ")}];`);
    }
    if (block.count !== undefined) later.push(`  ${r}.count = ${value(stack, block.count)};`);
    if (block.for_each !== undefined) later.push(`  ${r}.forEach = TerraformIterator.fromMap(${value(stack, block.for_each)});`);
    if (block.lifecycle) later.push(`  ${r}.lifecycle = ${value(stack, camelKeys(block.lifecycle))};`);
    if (block.connection) later.push(`  ${r}.connection = ${value(stack, block.connection)};`);
    if (block.provisioner) {
      const provisioners = (block.provisioner as Block[]).map((p) => {
        const [[type, props]] = Object.entries(p);
        return { type, ...(props as Block) };
      });
      later.push(`  ${r}.provisioners = ${value(stack, provisioners)};`);
    }
  }
  for (const [name, json] of stacks) {
    const s = stackVars.get(name)!;
    const index = addresses.get(name)!;
    for (const [local, expression] of Object.entries(json.locals ?? {})) {
      locals.push(`  const ${index.get(`local.${local}`)} = new TerraformLocal(${s}, ${str(local)}, ${value(name, expression)});`);
    }
    for (const [output, config] of Object.entries(json.output ?? {})) {
      if (output.startsWith(CROSS_STACK_OUTPUT)) continue;
      const { value: v, ...rest } = config as Record<string, Json>;
      later.push(`  new TerraformOutput(${s}, ${str(output)}, { ...${JSON.stringify(camelKeys(rest))}, value: ${value(name, v)} });`);
    }
    for (const { from, to } of json.moved ?? []) later.push(`  ${index.get(to)}.moveFromId(${str(from)});`);
  }
  return [
    '"use strict";',
    "// Generated by bench/floor/generate.ts from a synth of the whole app. Do not edit.",
    'const { LocalBackend, TerraformIterator, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable, Token, dependable } = require("cdktf");',
    'const { Construct } = require("constructs");',
    'const { FloorDataSource, FloorExpression, FloorResource } = require("./blocks");',
    ...[...providerTypes].sort().map((t) => `const { ${PROVIDERS[t].name} } = require(${str(PROVIDERS[t].module)});`),
    "exports.buildFloor = (app) => {",
    ...lines,
    ...locals,
    ...later,
    "};",
    "",
  ].join("\n");
}

if (require.main === module) {
  const outdir = process.argv[2];
  if (!outdir) throw new Error("usage: generate.ts <synth outdir>");
  writeFileSync(GENERATED, generate(readStacks(outdir)));
}
