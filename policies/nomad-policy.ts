import { attr, block, formatHcl, HclBlock, HclBodyItem, throwIfProblems } from "../constructs/core";
import {
  HOST_VOLUME_CAPABILITIES,
  HostVolumeCapability,
  NAMESPACE_CAPABILITIES,
  NODE_POOL_CAPABILITIES,
  NamespaceCapability,
  NodePoolCapability,
  PLUGIN_POLICY_LEVELS,
  POLICY_LEVELS,
  PluginPolicyLevel,
  PolicyLevel,
  VARIABLE_CAPABILITIES,
  VariableCapability,
} from "./nomad-capabilities";
import { capabilityVersionProblem, nomadVersionProblems } from "./nomad-version";
import { checkLiteral, checkOneOf } from "./validation";

/** Access to Nomad variables below a path (glob) of a namespace. */
export interface VariablePathRule {
  /** e.g. "app/dns/*" or "*"; no leading "/". */
  readonly path: string;
  readonly capabilities: readonly VariableCapability[];
}

/** A `namespace "<name>" { ... }` rule. */
export interface NamespaceRule {
  /** A namespace name or a glob such as "*" or "team-*". */
  readonly name: string;
  /** Shorthand for a set of capabilities. @default none */
  readonly policy?: PolicyLevel;
  /** Fine-grained capabilities, added to the policy's. @default none */
  readonly capabilities?: readonly NamespaceCapability[];
  /** Variables access in this namespace. @default none */
  readonly variables?: readonly VariablePathRule[];
}

/** A `host_volume "<name>" { ... }` rule. */
export interface HostVolumeRule {
  readonly name: string;
  /** @default none */
  readonly policy?: PolicyLevel;
  /** @default none */
  readonly capabilities?: readonly HostVolumeCapability[];
}

/** A `node_pool "<name>" { ... }` rule. */
export interface NodePoolRule {
  readonly name: string;
  /** @default none */
  readonly policy?: PolicyLevel;
  /** @default none */
  readonly capabilities?: readonly NodePoolCapability[];
}

/**
 * A Nomad ACL policy as data. Rules render in this order, and lists keep the order given,
 * so the rendered text is stable.
 */
export interface NomadPolicyRules {
  /** @default none */
  readonly namespaces?: readonly NamespaceRule[];
  /** @default none */
  readonly hostVolumes?: readonly HostVolumeRule[];
  /** @default none */
  readonly nodePools?: readonly NodePoolRule[];
  /** Agent APIs (/v1/agent/*). @default none */
  readonly agent?: PolicyLevel;
  /** Node APIs (/v1/nodes, drain, eligibility). @default none */
  readonly node?: PolicyLevel;
  /** Cluster operations (/v1/operator/*: raft, autopilot, scheduler). @default none */
  readonly operator?: PolicyLevel;
  /** Quota specifications (Enterprise). @default none */
  readonly quota?: PolicyLevel;
  /** CSI plugins. @default none */
  readonly plugin?: PluginPolicyLevel;
}

/** What the rules are checked against besides Nomad's own names. */
export interface NomadPolicyCheckOptions {
  /**
   * The Nomad release the policy is for, e.g. "1.10.5": capabilities its parser does not know
   * yet are rejected.
   * @default unknown: every capability some release accepts
   */
  readonly nomadVersion?: string;
  /**
   * Where the reader changes nomadVersion, named in the fix (e.g. "the environment's cluster.nomadVersion").
   * @default "the cluster's Nomad version"
   */
  readonly nomadVersionSource?: string;
}

const NAMESPACE_NAME = /^[a-zA-Z0-9*-]{1,128}$/;
const VOLUME_NAME = /^[a-zA-Z0-9*-]{1,128}$/;
const NODE_POOL_NAME = /^[a-zA-Z0-9_*-]{1,128}$/;

/** What is wrong with `rules` (empty when Nomad's policy parser would accept them). */
export function nomadPolicyProblems(rules: NomadPolicyRules, options: NomadPolicyCheckOptions = {}): string[] {
  const nomadVersion = options.nomadVersion;
  const problems = nomadVersion === undefined ? [] : nomadVersionProblems(nomadVersion);
  const coarse = { agent: rules.agent, node: rules.node, operator: rules.operator, quota: rules.quota };
  const hasRule =
    (rules.namespaces?.length ?? 0) + (rules.hostVolumes?.length ?? 0) + (rules.nodePools?.length ?? 0) > 0 ||
    Object.values(coarse).some((level) => level !== undefined) ||
    rules.plugin !== undefined;
  if (!hasRule) problems.push("the policy has no rules; Nomad rejects empty policies");

  problems.push(...duplicateNames("namespace", rules.namespaces ?? []));
  for (const ns of rules.namespaces ?? []) {
    const where = `namespace "${ns.name}"`;
    problems.push(...checkName(where, ns.name, NAMESPACE_NAME));
    problems.push(...checkPolicyAndCapabilities(where, ns, NAMESPACE_CAPABILITIES, "namespace capability"));
    if (nomadVersion !== undefined) {
      for (const capability of ns.capabilities ?? []) {
        const problem = capabilityVersionProblem(where, capability, nomadVersion, options.nomadVersionSource);
        if (problem) problems.push(problem);
      }
    }
    if (ns.variables !== undefined) problems.push(...variablesProblems(where, ns.variables));
  }
  problems.push(...duplicateNames("host_volume", rules.hostVolumes ?? []));
  for (const volume of rules.hostVolumes ?? []) {
    const where = `host_volume "${volume.name}"`;
    problems.push(...checkName(where, volume.name, VOLUME_NAME));
    problems.push(...checkPolicyAndCapabilities(where, volume, HOST_VOLUME_CAPABILITIES, "host volume capability"));
  }
  problems.push(...duplicateNames("node_pool", rules.nodePools ?? []));
  for (const pool of rules.nodePools ?? []) {
    const where = `node_pool "${pool.name}"`;
    problems.push(...checkName(where, pool.name, NODE_POOL_NAME));
    problems.push(...checkPolicyAndCapabilities(where, pool, NODE_POOL_CAPABILITIES, "node pool capability"));
  }
  for (const [block, level] of Object.entries(coarse)) {
    if (level !== undefined) problems.push(...checkOneOf(block, "policy", level, POLICY_LEVELS));
  }
  if (rules.plugin !== undefined) problems.push(...checkOneOf("plugin", "policy", rules.plugin, PLUGIN_POLICY_LEVELS));
  return problems;
}

/** Canonical HCL for `rules`; throws if they are invalid. */
export function renderNomadPolicy(rules: NomadPolicyRules): string {
  const problems = nomadPolicyProblems(rules);
  throwIfProblems(undefined, "invalid Nomad ACL policy", problems);
  const blocks: HclBlock[] = [
    ...(rules.namespaces ?? []).map((ns) =>
      labelledRule("namespace", ns, [
        ns.variables ? block("variables", [], ns.variables.map((v) => block("path", [v.path], [attr("capabilities", v.capabilities)]))) : undefined,
      ]),
    ),
    ...(rules.hostVolumes ?? []).map((volume) => labelledRule("host_volume", volume)),
    ...(rules.nodePools ?? []).map((pool) => labelledRule("node_pool", pool)),
  ];
  for (const type of ["agent", "node", "operator", "quota", "plugin"] as const) {
    const level = rules[type];
    if (level !== undefined) blocks.push(block(type, [], [attr("policy", level)]));
  }
  return formatHcl(blocks);
}

interface LabelledRule {
  readonly name: string;
  readonly policy?: string;
  readonly capabilities?: readonly string[];
}

function labelledRule(type: string, rule: LabelledRule, blocks: readonly HclBodyItem[] = []): HclBlock {
  return block(type, [rule.name], [
    rule.policy !== undefined ? attr("policy", rule.policy) : undefined,
    rule.capabilities !== undefined ? attr("capabilities", rule.capabilities) : undefined,
    ...blocks,
  ]);
}

function checkName(where: string, name: string, pattern: RegExp): string[] {
  return pattern.test(name) ? [] : [`${where}: invalid name; use 1-128 characters matching ${pattern.source}`];
}

function checkPolicyAndCapabilities(where: string, rule: LabelledRule, allowed: readonly string[], what: string): string[] {
  const problems: string[] = [];
  if (rule.policy === undefined && (rule.capabilities?.length ?? 0) === 0 && !("variables" in rule && rule.variables)) {
    problems.push(`${where}: grants nothing; set policy, capabilities or variables`);
  }
  if (rule.policy !== undefined) problems.push(...checkOneOf(where, "policy", rule.policy, POLICY_LEVELS));
  for (const capability of rule.capabilities ?? []) problems.push(...checkOneOf(where, what, capability, allowed));
  return problems;
}

function variablesProblems(where: string, paths: readonly VariablePathRule[]): string[] {
  if (paths.length === 0) return [`${where}: variables has no paths; Nomad rejects an empty variables block`];
  const problems = duplicateNames(`${where} variables path`, paths.map((p) => ({ name: p.path })));
  for (const rule of paths) {
    const at = `${where} variables path "${rule.path}"`;
    if (rule.path === "") problems.push(`${at}: the path is empty; use "*" for every path`);
    if (rule.path.startsWith("/")) problems.push(`${at}: paths cannot start with "/"`);
    problems.push(...checkLiteral(at, rule.path));
    if (rule.capabilities.length === 0) problems.push(`${at}: grants nothing; list at least one capability`);
    for (const capability of rule.capabilities) problems.push(...checkOneOf(at, "variables capability", capability, VARIABLE_CAPABILITIES));
  }
  return problems;
}

function duplicateNames(what: string, rules: readonly { readonly name: string }[]): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const { name } of rules) {
    if (seen.has(name)) problems.push(`${what} "${name}" appears twice; merge the two rules`);
    seen.add(name);
  }
  return problems;
}
