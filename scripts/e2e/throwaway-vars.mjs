#!/usr/bin/env node
// For an end-to-end run on throwaway agents: prints `name=value` with a random value for
// every Terraform variable without a default in the given synthesized stacks that no
// TF_VAR_<name> in the environment sets, so `cdktf deploy` never stops to ask.
//   throwaway-vars.mjs <cdktf.out> <stack>...
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [outdir, ...stacks] = process.argv.slice(2);
const names = new Set();
for (const stack of stacks) {
  const json = JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
  for (const [name, variable] of Object.entries(json.variable ?? {})) {
    if (!("default" in variable) && process.env[`TF_VAR_${name}`] === undefined) names.add(name);
  }
}
for (const name of [...names].sort()) console.log(`${name}=${randomBytes(16).toString("hex")}`);
