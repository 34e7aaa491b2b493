#!/usr/bin/env node
// Writes `stacks=<JSON array>` (the synthesized stacks of one environment, in deploy order)
// to $GITHUB_OUTPUT for a job matrix. Run `npm run synth` first.
//   list-stacks.mjs <env>
import { appendFileSync, readFileSync } from "node:fs";

const env = process.argv[2];
const manifest = JSON.parse(readFileSync("cdktf.out/manifest.json", "utf8"));
const order = ["hosts", "acl", "platform", "workloads"];
const stacks = Object.keys(manifest.stacks)
  .filter((name) => name.startsWith(`${env}-`))
  .sort((a, b) => order.indexOf(a.slice(env.length + 1)) - order.indexOf(b.slice(env.length + 1)));
if (stacks.length === 0) {
  console.error(`no stacks of environment "${env}" in cdktf.out/manifest.json`);
  process.exit(1);
}
const line = `stacks=${JSON.stringify(stacks)}\n`;
if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, line);
process.stdout.write(line);
