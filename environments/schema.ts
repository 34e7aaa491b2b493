import { z } from "zod";
import type { AppSelection } from "../apps";
import { BUILT_IN_TASK_DRIVERS } from "../constructs/cluster-facts";
import type { EnvironmentConfig } from "./types";

/**
 * The environment as data: what synth checks before it builds anything, so an environment
 * written in JavaScript or loaded from JSON (which TypeScript's types never see) fails with the
 * field's path, its value and what is allowed, instead of silently falling back to a default
 * (`state.kind: "S3"` once meant local state) or crashing with a TypeError.
 *
 * One schema per section; a new field is one line in its section, a new section one line in
 * `environmentSchema`, a new cluster kind one entry in `clusterSchema`'s union. The compiler
 * holds the schema and types.ts to each other (SameType at the end): a field added to one and
 * not the other fails `tsc`. Only shapes and allowed values live here; the rules about values
 * (counts, ranges, names) stay with the construct that owns them, written once.
 */

const text = z.string();
const list = <T extends z.ZodTypeAny>(item: T) => z.array(item).readonly();
const stringMap = z.record(z.string()).readonly();
// A built-in driver or a plugin's name (TaskDriver); Nomad's driver names are lowercase.
const taskDriver = z.string().regex(/^[a-z][a-z0-9_-]*$/, {
  message: `is not a task driver name: use ${BUILT_IN_TASK_DRIVERS.join(", ")} or a plugin's name (lowercase, as its "plugin" block names it)`,
});

// --- namespaces ---
const namespaceSchema = z
  .object({
    name: text,
    description: text,
    managementOnly: z.boolean().optional(),
    infrastructure: z.boolean().optional(),
    taskDrivers: list(taskDriver).optional(),
    addCapabilities: list(text).optional(),
    hostNetworkMode: z.boolean().optional(),
    allowPrivileged: z.boolean().optional(),
  })
  .strict();

/** Namespaces are created by name: two entries of one name would be two resources for one namespace. */
const namespacesSchema = list(namespaceSchema).superRefine((namespaces, ctx) => {
  namespaces.forEach((ns, i) => {
    const first = namespaces.findIndex((other) => other.name === ns.name);
    if (first !== i) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [i, "name"],
        message: `declares namespace ${JSON.stringify(ns.name)} a second time (first at namespaces[${first}]); remove one of the two or rename it`,
      });
    }
  });
});

// --- cluster: one entry per kind ---
const sshKeySchema = z.object({ name: text, publicKey: text }).strict();

const hetznerClusterSchema = z
  .object({
    kind: z.literal("hetzner"),
    location: text.optional(),
    networkZone: text.optional(),
    image: text.optional(),
    networkCidr: text.optional(),
    subnetCidr: text.optional(),
    serverCount: z.number().optional(),
    serverType: text.optional(),
    serversAreClients: z.boolean().optional(),
    clientCount: z.number().optional(),
    clientType: text.optional(),
    bootstrapExpect: z.number().optional(),
    apiHostname: text.optional(),
    operatorCidrs: list(text),
    sshKeys: list(sshKeySchema),
    nomadVersion: text,
    consulVersion: text,
    podmanDriverVersion: text.optional(),
    drainDeadlineMinutes: z.number().optional(),
    drivers: list(taskDriver).optional(),
    chrootEnv: stringMap.optional(),
    labels: stringMap.optional(),
    newServerTypes: list(text).optional(),
    newLocations: stringMap.optional(),
    caGeneration: z.number().optional(),
    gossipKeyGeneration: z.number().optional(),
  })
  .strict();

const localClusterSchema = z
  .object({
    kind: z.literal("local"),
    nomadAddress: text,
    consulAddress: text,
    drivers: list(taskDriver).optional(),
  })
  .strict();

const sshHostSchema = z
  .object({ name: text, address: text, role: z.enum(["server", "client", "both"]), hostKey: text })
  .strict();

const hostPortSchema = z.object({ protocol: z.enum(["tcp", "udp"]), port: text, description: text }).strict();

const sshClusterSchema = z
  .object({
    kind: z.literal("ssh"),
    subnetCidr: text,
    hosts: list(sshHostSchema),
    apiHostname: text.optional(),
    operatorCidrs: list(text),
    nomadVersion: text,
    consulVersion: text,
    podmanDriverVersion: text.optional(),
    drainDeadlineMinutes: z.number().optional(),
    drivers: list(taskDriver).optional(),
    chrootEnv: stringMap.optional(),
    hostFirewall: z.object({ publicPorts: list(hostPortSchema).optional() }).strict().optional(),
    caGeneration: z.number().optional(),
    gossipKeyGeneration: z.number().optional(),
  })
  .strict();

const existingClusterSchema = z
  .object({
    kind: z.literal("existing"),
    nomadAddress: text,
    consulAddress: text,
    caCertPem: text,
    clients: z
      .object({
        count: z.number(),
        drivers: list(taskDriver).optional(),
        hostNetworks: list(text).optional(),
        hostVolumes: list(text).optional(),
        nodePools: list(text).optional(),
      })
      .strict(),
    nomadVersion: text.optional(),
    operatorCidrs: list(text),
  })
  .strict();

const clusterSchema = z.discriminatedUnion("kind", [hetznerClusterSchema, sshClusterSchema, existingClusterSchema, localClusterSchema]);

// --- dns: the lab domain's VIP ---
const dnsSchema = z
  .object({
    mode: z.enum(["lan", "hetzner", "none"]),
    vip: text.optional(),
    virtualRouterId: z.number().optional(),
    upstreams: list(text).optional(),
    subnetCidr: text.optional(),
    instances: z.number().optional(),
  })
  .strict();

// --- public DNS (Cloudflare) ---
const cloudflareSchema = z.object({ zoneId: text, zoneName: text }).strict();

// --- Terraform state ---
const stateSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("local"), directory: text.optional() }).strict(),
  z
    .object({
      kind: z.literal("s3"),
      bucket: text,
      endpoint: text,
      region: text.optional(),
      keyPrefix: text.optional(),
    })
    .strict(),
]);

// --- Raft snapshots ---
const snapshotsSchema = z
  .object({
    bucket: text,
    endpoint: text,
    region: text.optional(),
    retention: z.number().optional(),
    ageRecipient: text,
    schedule: text.optional(),
    namespace: text.optional(),
  })
  .strict();

// --- apps' volume backups (restic) ---
const backupsSchema = z.object({ endpoint: text, bucket: text }).strict();

// --- certificates for public hostnames (the ingress's ACME renewer) ---
const acmeSchema = z
  .object({
    email: text,
    staging: z.boolean().optional(),
    directoryUrl: text.optional(),
    checkIntervalHours: z.number().optional(),
    image: text.optional(),
  })
  .strict();

// --- apps: key = the camelCase of apps/<file>.ts; each app checks its own settings ---
const appsSchema = z.record(z.string().regex(/^[a-z][a-zA-Z0-9]*$/, { message: 'is not an app key: the camelCase of its file\'s name, e.g. "itTools" for apps/it-tools.ts' }), z.object({}).passthrough())
  // Each app's settings are typed by its own file (AppCatalog) and checked by the app.
  .transform((apps) => apps as AppSelection);

// --- access: who gets a Nomad token ---
const accessSchema = z
  .object({
    operators: list(text).optional(),
    developers: list(text).optional(),
    developerNamespace: text.optional(),
    developersMaySubmitJobs: z.boolean().optional(),
    operatorsMaySubmitJobs: z.boolean().optional(),
  })
  .strict();

/** The environment's name is the prefix of its stacks and of every Hetzner resource. */
const environmentName = text.regex(/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/, {
  message: 'must be a lowercase DNS label (letters, digits, inner hyphens, at most 42 characters), e.g. "lab"; it prefixes the stacks and every Hetzner resource',
});

export const environmentSchema = z
  .object({
    name: environmentName,
    tier: z.enum(["dev", "lab", "production"]),
    region: text,
    datacenter: text,
    domain: text,
    namespaces: namespacesSchema,
    anonymousAccess: z.enum(["deny", "read"]),
    access: accessSchema.optional(),
    cluster: clusterSchema,
    dns: dnsSchema,
    cloudflare: cloudflareSchema.optional(),
    state: stateSchema,
    snapshots: snapshotsSchema.optional(),
    backups: backupsSchema.optional(),
    acme: acmeSchema.optional(),
    apps: appsSchema.optional(),
    tokenGenerations: z.object({ management: z.number().optional(), agents: z.number().optional() }).strict().optional(),
  })
  .strict();

/** What is wrong with `env` as data, each naming the field's path, its value and what is allowed. */
export function environmentSchemaProblems(env: unknown): string[] {
  const result = environmentSchema.safeParse(env);
  return result.success ? [] : result.error.issues.map((issue) => describeIssue(issue, env));
}

function describeIssue(issue: z.ZodIssue, input: unknown): string {
  const path = fieldPath(issue.path) || "the environment";
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      return value === undefined
        ? `${path} is missing; it is required (${kind(issue.expected)}): see EnvironmentConfig in environments/types.ts`
        : `${path} is ${showWithType(value, issue.received)}; it must be ${kind(issue.expected)}`;
    case z.ZodIssueCode.invalid_enum_value:
      return `${path} is ${show(value)}; allowed: ${issue.options.map(show).join(", ")}`;
    case z.ZodIssueCode.invalid_union_discriminator:
      return `${path} is ${show(value)}; allowed: ${issue.options.map(show).join(", ")}`;
    case z.ZodIssueCode.invalid_literal:
      return `${path} is ${show(value)}; it must be ${show(issue.expected)}`;
    case z.ZodIssueCode.unrecognized_keys:
      return `${path} has no field ${issue.keys.map(show).join(", ")} (a typo, or a field of another cluster kind?): see EnvironmentConfig in environments/types.ts`;
    default:
      return `${path} is ${show(value)}: it ${issue.message}`;
  }
}

/** `cluster.sshKeys[0].name`, as the field is written in the environment. */
function fieldPath(path: readonly (string | number)[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((value, key) => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined), input);
}

/** zod's type names in the words of the environment file. */
function kind(type: string): string {
  const words: Record<string, string> = { array: "a list", object: "an object", undefined: "missing", null: "null", nan: "NaN", integer: "a whole number" };
  return words[type] ?? `a ${type}`;
}

/** `"3" (a string)`; lists, objects and NaN say what they are already. */
function showWithType(value: unknown, type: string): string {
  const shown = show(value);
  return typeof value === "object" || shown === kind(type) ? shown : `${shown} (${kind(type)})`;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? "a list" : "an object";
}

/** True when A and B are assignable both ways: the schema and types.ts describe the same data. */
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/**
 * Optional fields pass SameType whether or not both sides have them, so the keys are compared
 * too, section by section: a field added to types.ts and not here (or the reverse) fails tsc.
 */
type SameKeys<A, B> = SameType<keyof NonNullable<A>, keyof NonNullable<B>>;
type Item<T> = T extends readonly (infer I)[] ? I : never;
type Env = z.infer<typeof environmentSchema>;
type Kind<C, K> = Extract<C, { kind: K }>;
const schemaMatchesTypes: [
  SameType<Env, EnvironmentConfig>,
  SameKeys<Env, EnvironmentConfig>,
  SameKeys<Item<Env["namespaces"]>, Item<EnvironmentConfig["namespaces"]>>,
  SameKeys<Kind<Env["cluster"], "hetzner">, Kind<EnvironmentConfig["cluster"], "hetzner">>,
  SameKeys<Kind<Env["cluster"], "ssh">, Kind<EnvironmentConfig["cluster"], "ssh">>,
  SameKeys<Kind<Env["cluster"], "existing">, Kind<EnvironmentConfig["cluster"], "existing">>,
  SameKeys<Kind<Env["cluster"], "local">, Kind<EnvironmentConfig["cluster"], "local">>,
  SameKeys<Env["dns"], EnvironmentConfig["dns"]>,
  SameKeys<Env["snapshots"], EnvironmentConfig["snapshots"]>,
  SameKeys<Env["backups"], EnvironmentConfig["backups"]>,
  SameKeys<Env["access"], EnvironmentConfig["access"]>,
  SameKeys<Env["acme"], EnvironmentConfig["acme"]>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];
void schemaMatchesTypes;
