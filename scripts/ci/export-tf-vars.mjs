#!/usr/bin/env node
// Makes every repository secret named TF_VAR_<NAME> a Terraform variable for the next steps:
// appends TF_VAR_<name> (name lowercased: GitHub stores secret names in upper case, Terraform
// variable names here are lower case) to $GITHUB_ENV. Reads the secrets as JSON from
// SECRETS_JSON (`${{ toJSON(secrets) }}`); prints only the names.
import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";

const secrets = JSON.parse(process.env.SECRETS_JSON ?? "{}");
const names = [];
for (const [key, value] of Object.entries(secrets)) {
  if (!key.startsWith("TF_VAR_") || typeof value !== "string") continue;
  const name = `TF_VAR_${key.slice("TF_VAR_".length).toLowerCase()}`;
  // GitHub's multi-line syntax, with a delimiter no value can contain by chance.
  const delimiter = `EOF_${randomBytes(16).toString("hex")}`;
  appendFileSync(process.env.GITHUB_ENV ?? "/dev/null", `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
  names.push(name);
}
console.log(names.length ? `Terraform variables from secrets: ${names.sort().join(", ")}` : "no TF_VAR_* secrets");
