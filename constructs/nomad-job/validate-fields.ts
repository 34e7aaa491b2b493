import { isContainerTask, Job, Task } from "./model";
import { BlockSchema, CONTAINER_CONFIG, JOB } from "./schema";

/**
 * Fields the model does not have. TypeScript's types keep them out of typed code, but
 * JavaScript, JSON and `as any` bypass the types, and a field the renderer does not know would
 * otherwise be dropped without a word. Each problem names where the field is and what the
 * block accepts.
 */
export function unknownFieldProblems(job: Job): string[] {
  const problems: string[] = [];
  checkBlock(job, JOB, `job "${job.name}"`, problems);
  return problems;
}

function checkBlock(value: unknown, schema: BlockSchema, where: string, problems: string[]): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(`${where} is ${JSON.stringify(value)}, not an object. Write it as { ... }.`);
    return;
  }
  const fields = value as Readonly<Record<string, unknown>>;
  for (const [field, fieldValue] of Object.entries(fields)) {
    const spec = schema[field];
    if (spec === undefined) {
      problems.push(`${where} has an unknown field "${field}" (known: ${Object.keys(schema).join(", ")}). Fix the name, or use extra for a block this model does not have.`);
      continue;
    }
    if (fieldValue === undefined) continue;
    if (spec.kind === "block") checkBlock(fieldValue, spec.schema(), `${where} ${spec.hcl}`, problems);
    if (spec.kind === "blocks") {
      if (!Array.isArray(fieldValue)) problems.push(`${where} ${field} is not a list. Write it as [ ... ].`);
      else fieldValue.forEach((item, i) => checkBlock(item, spec.schema(), `${where} ${spec.hcl}[${i}]`, problems));
    }
    if (spec.kind === "taskConfig" && isContainerTask(value as Task)) {
      const { extra: _extra, ...typed } = (value as Task).config as unknown as Record<string, unknown>;
      checkBlock(typed, CONTAINER_CONFIG, `${where} config`, problems);
    }
  }
}
