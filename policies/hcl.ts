/**
 * A minimal writer for the HCL subset ACL policies use: labelled blocks whose attributes
 * are strings or lists of strings. Output is canonical (`nomad fmt` style: two-space
 * indent, aligned `=`, one blank line between top-level blocks) so a policy's text only
 * changes when its rules do.
 */

export type HclValue = string | readonly string[];

export interface HclBlock {
  readonly type: string;
  readonly labels?: readonly string[];
  readonly attributes?: ReadonlyArray<readonly [string, HclValue]>;
  readonly blocks?: readonly HclBlock[];
}

/** Renders top-level blocks, separated by blank lines, with a trailing newline. */
export function renderHcl(blocks: readonly HclBlock[]): string {
  return blocks.map((block) => renderBlock(block, "").join("\n")).join("\n\n") + "\n";
}

function renderBlock(block: HclBlock, indent: string): string[] {
  const inner = `${indent}  `;
  const header = [block.type, ...(block.labels ?? []).map(quote)].join(" ");
  const attributes = block.attributes ?? [];
  const width = Math.max(0, ...attributes.map(([name]) => name.length));
  const lines = attributes.map(([name, value]) => `${inner}${name.padEnd(width)} = ${renderValue(value)}`);
  for (const child of block.blocks ?? []) {
    if (lines.length > 0) lines.push("");
    lines.push(...renderBlock(child, inner));
  }
  return [`${indent}${header} {`, ...lines, `${indent}}`];
}

function renderValue(value: HclValue): string {
  return typeof value === "string" ? quote(value) : `[${value.map(quote).join(", ")}]`;
}

/** JSON string escapes are valid HCL escapes; template sequences are rejected by the policy validators. */
function quote(text: string): string {
  return JSON.stringify(text);
}
