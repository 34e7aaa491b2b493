import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EnvironmentConfig, lab, namespaceAdmission } from "../environments";
import { parseHcl } from "./support/hcl";
import { namespaceGrant } from "./support/nomad-acl";
import { resourcesByName, resourcesOf, synthEnvironment } from "./support/synth";

const DOC = readFileSync(join(__dirname, "..", "docs", "access.md"), "utf8");

/** The text between `<!-- name:start -->` and `<!-- name:end -->` in docs/access.md. */
function section(name: string): string {
  const match = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(DOC);
  if (!match) throw new Error(`docs/access.md has no ${name} section`);
  return match[1];
}

/** Words for what a grant allows, in a fixed order; "—" for nothing. */
const WORDS: ReadonlyArray<readonly [string, string]> = [
  ["read-job", "read jobs"],
  ["read-logs", "logs"],
  ["read-fs", "files"],
  ["alloc-exec", "exec"],
  ["alloc-node-exec", "node exec"],
  ["alloc-lifecycle", "restart"],
  ["dispatch-job", "dispatch"],
  ["scale-job", "scale"],
  ["submit-job", "**submit**"],
];

async function policiesOf(env: EnvironmentConfig): Promise<Record<string, Record<string, any>>> {
  const platform = synthEnvironment(env)["lab-platform"];
  const entries = await Promise.all(
    Object.values<any>(resourcesOf(platform, "nomad_acl_policy")).map(async (p) => [p.name, await parseHcl(p.rules_hcl)] as const),
  );
  return Object.fromEntries(entries);
}

function cell(policy: Record<string, any>, namespace: string): string {
  const grant = namespaceGrant(policy, namespace);
  const words = WORDS.filter(([capability]) => grant.capabilities.has(capability)).map(([, word]) => word);
  if (grant.variables.has("write")) words.push("variables");
  else if (grant.variables.has("read")) words.push("read variables");
  return words.join(", ") || "—";
}

const clusterCell = (policy: Record<string, any>) =>
  ["node", "agent", "operator"].map((block) => `${block} ${policy[block]?.[0]?.policy ?? "—"}`).join(", ");

describe("docs/access.md's privilege tables hold the rendered lab policies and namespaces", () => {
  it("says, for each role, what its token may do in each namespace and the cluster", async () => {
    const plain = await policiesOf(lab);
    const opted = await policiesOf({ ...lab, access: { developersMaySubmitJobs: true, operatorsMaySubmitJobs: true } });
    const namespaces = lab.namespaces.map((ns) => ns.name);
    const rows: Array<[string, Record<string, any>]> = [
      ["anonymous (no token)", plain.anonymous],
      ["developer", plain.developer],
      ["developer, `developersMaySubmitJobs`", opted.developer],
      ["operator", plain.operator],
      ["operator, `operatorsMaySubmitJobs`", opted.operator],
    ];
    const table = [
      `| Token | ${namespaces.map((ns) => `\`${ns}\``).join(" | ")} | cluster |`,
      `|---|${namespaces.map(() => "---").join("|")}|---|`,
      ...rows.map(([role, policy]) => `| ${role} | ${namespaces.map((ns) => cell(policy, ns)).join(" | ")} | ${clusterCell(policy)} |`),
    ].join("\n");
    expect(section("role-table").trim()).toBe(table);
  });

  it("says what jobs in each namespace may ask of their hosts, as the namespaces render and the admission policy checks", () => {
    const platform = synthEnvironment(lab)["lab-platform"];
    const rendered = resourcesByName(platform, "nomad_namespace");
    const table = [
      "| Namespace | Kind | Task drivers (enforced by Nomad) | Added capabilities | Host network |",
      "|---|---|---|---|---|",
      ...lab.namespaces.map((ns) => {
        const kind = ns.managementOnly ? "management-only" : ns.infrastructure ? "infrastructure" : "applications";
        const admission = namespaceAdmission(ns);
        const drivers = rendered[ns.name].capabilities.enabled_task_drivers.join(", ");
        return `| \`${ns.name}\` | ${kind} | ${drivers} | ${admission.addCapabilities.join(", ") || "—"} | ${admission.hostNetworkMode ? "yes" : "no"} |`;
      }),
    ].join("\n");
    expect(section("namespace-table").trim()).toBe(table);
  });

  it("names, for every actor's cannot, a test file that exists", () => {
    const table = DOC.split("### Who can reach what")[1].split("### Admission")[0];
    const named = [...table.matchAll(/([a-z][a-z.-]*\.test\.ts)/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((file) => !existsSync(join(__dirname, file)))).toEqual([]);
  });
});
