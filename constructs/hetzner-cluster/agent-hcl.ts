import { HclAttribute, HclBlock, HclBody, HclExpr } from "../core";

/** Shorthands for agent configuration bodies; `undefined` items (absent options) are dropped. */
export type AgentBodyItem = HclAttribute | HclBlock | undefined;

export function attr(name: string, value: HclExpr): HclAttribute {
  return { name, value };
}

export function block(type: string, labels: readonly string[], body: readonly AgentBodyItem[]): HclBlock {
  return { type, labels, body: present(body) };
}

export function present(items: readonly AgentBodyItem[]): HclBody {
  return items.filter((item): item is HclAttribute | HclBlock => item !== undefined);
}
