#!/usr/bin/env node
// Prints one output of a deployed stack from `cdktf deploy --outputs-file` JSON:
//   read-output.mjs <outputs.json> <stack> <output>
import { readFileSync } from "node:fs";

const [file, stack, name] = process.argv.slice(2);
const outputs = JSON.parse(readFileSync(file, "utf8"));
const value = outputs[stack]?.[name];
if (typeof value !== "string" || value === "") {
  console.error(`no output ${name} of stack ${stack} in ${file}`);
  process.exit(1);
}
process.stdout.write(value);
