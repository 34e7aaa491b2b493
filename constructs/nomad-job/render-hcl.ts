import { block, formatHcl, HclAttribute, HclBlock, HclBody, HclBodyItem, HclExpr, HclObject, isIdentifier } from "../core";
import { ConfigMap, ConfigValue, ContainerConfig, isContainerTask, Job, Task } from "./model";
import { BlockSchema, CONTAINER_CONFIG, FieldSpec, JOB } from "./schema";

/**
 * Renders a job as canonical HCL: fields in the order of its schema (schema.ts: attributes in
 * the order of the Nomad docs, then blocks), unset fields left out. The text is what Nomad
 * parses; it is not yet escaped for Terraform (see core/terraform-escape.ts).
 */
export function renderJobHcl(job: Job): string {
  return formatHcl([renderBlock("job", job, JOB)]);
}

type Fields = Readonly<Record<string, unknown>>;

/** A block of `value`'s set fields, the label from its label field. */
function renderBlock(type: string, value: object, schema: BlockSchema): HclBlock {
  const fields = value as Fields;
  const labelField = Object.keys(schema).find((f) => schema[f].kind === "label");
  const labels = labelField === undefined ? [] : [String(fields[labelField])];
  return block(
    type,
    labels,
    ...Object.entries(schema).map(([field, spec]) => (fields[field] === undefined ? undefined : renderField(spec, fields[field], value))),
  );
}

function renderField(spec: FieldSpec, value: unknown, owner: object): readonly HclBodyItem[] {
  switch (spec.kind) {
    case "label":
      return [];
    case "attr":
      // An empty list that means the same as none is left out, keeping the jobspec minimal.
      return spec.omitEmpty && Array.isArray(value) && value.length === 0 ? [] : [{ name: spec.hcl, value: value as HclExpr }];
    case "map":
      return [stringMap(spec.hcl, value as Readonly<Record<string, string | readonly string[]>>)];
    case "free":
      return [block(spec.hcl, [], configBody(value as ConfigMap))];
    case "block":
      return [renderBlock(spec.hcl, value as object, spec.schema())];
    case "blocks":
      return (value as readonly object[]).map((item) => renderBlock(spec.hcl, item, spec.schema()));
    case "extra":
      return configBody(value as ConfigMap);
    case "taskConfig": {
      const task = owner as Task;
      return [block("config", [], configBody(isContainerTask(task) ? containerConfig(task.config) : (value as ConfigMap)))];
    }
  }
}

/**
 * A string map (env, meta) as a block of attributes, or as an object attribute when a key is
 * not an HCL identifier (e.g. "discovery.type"), which Nomad's docs prescribe for such keys.
 * Keys are sorted: a map has no order worth keeping.
 */
function stringMap(name: string, map: Readonly<Record<string, string | readonly string[]>>): HclBodyItem {
  const keys = Object.keys(map).sort();
  const sorted: HclObject = Object.fromEntries(keys.map((k) => [k, map[k]]));
  if (keys.every(isIdentifier)) return block(name, [], keys.map((k) => ({ name: k, value: map[k] })));
  return { name, value: sorted };
}

/** The docker/podman options in the drivers' own (snake_case) names, typed ones first. */
function containerConfig(c: ContainerConfig): ConfigMap {
  const fields = c as unknown as Readonly<Record<string, ConfigValue | undefined>>;
  const typed = Object.entries(CONTAINER_CONFIG)
    .filter(([f]) => fields[f] !== undefined)
    .map(([f, spec]): [string, ConfigValue] => [(spec as { hcl: string }).hcl, fields[f] as ConfigValue]);
  return { ...Object.fromEntries(typed), ...c.extra };
}

/**
 * Free-form config in the structure Nomad reads it in (jobspec2 hclutil.BlocksAsAttrs turns a
 * block into a list of objects, one per block): a list of objects renders as repeated blocks,
 * an object as an object attribute (`labels = { ... }`), the rest as attributes.
 */
function configBody(config: ConfigMap): HclBody {
  const items: (HclAttribute | HclBlock)[] = [];
  for (const [name, value] of Object.entries(config)) {
    // An option set to undefined (from JavaScript, or a conditional) is an option left out.
    if (value === undefined) continue;
    if (Array.isArray(value) && value.length > 0 && value.every((v) => isConfigMap(v) && Object.keys(v).every(isIdentifier))) {
      items.push(...value.map((v) => block(name, [], configBody(v as ConfigMap))));
    } else {
      items.push({ name, value: value as HclExpr });
    }
  }
  // Attributes before blocks, each in insertion order: the layout people write.
  return [...items.filter((i) => !("body" in i)), ...items.filter((i) => "body" in i)];
}

function isConfigMap(value: ConfigValue): value is ConfigMap {
  return typeof value === "object" && !Array.isArray(value);
}
