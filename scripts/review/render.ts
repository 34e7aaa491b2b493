import { CostEstimate, euros } from "../cost/estimate";
import { PriceTable } from "../cost/prices";
import { Finding } from "./effects";
import { Action, IgnoredChange, ResourceChange, StackReview, summarize } from "./plan";

/** The cost of one environment before and after the change. */
export interface CostDelta {
  readonly environment: string;
  readonly before: CostEstimate;
  readonly after: CostEstimate;
}

export interface ReviewReport {
  readonly base: string;
  readonly stacks: readonly StackReview[];
  readonly costs: readonly CostDelta[];
  readonly prices: PriceTable;
  /** What the change does to the running cluster, the most serious first. */
  readonly effects: readonly Finding[];
}

const SYMBOL: Record<Action, string> = { create: "+", update: "~", replace: "-/+", delete: "-" };
const ORDER: readonly Action[] = ["update", "create", "replace", "delete"];

/** Terraform's plan notation: `+/-` creates the replacement before destroying the old object. */
function symbol(c: ResourceChange): string {
  return c.createBeforeDestroy ? "+/-" : SYMBOL[c.action];
}

function summaryLine(stacks: readonly StackReview[]): string {
  const counts = summarize(stacks);
  const others = stacks.reduce((n, s) => n + s.otherChanges.length, 0);
  const ignored = stacks.reduce((n, s) => n + s.ignored.length, 0);
  const parts = [ORDER.map((a) => `${counts[a]} to ${a}`).join(", ")];
  if (others > 0) parts.push(`${others} other block(s) changed`);
  if (ignored > 0) parts.push(`${ignored} configuration change(s) Terraform does not apply`);
  return parts.join("; ");
}

/** Why Terraform leaves a resource whose configuration changed as it is. */
function ignoredNote(i: IgnoredChange): string {
  if (i.reason === "meta-arguments only") return "only meta-arguments changed (lifecycle, depends_on, provisioners): nothing to apply";
  return `${i.paths.join(", ")} changed but lifecycle.ignore_changes keeps the existing value (resources created later get it)`;
}

const MARK: Record<Finding["severity"], string> = { danger: "DANGER:", warning: "warning:", info: "note:" };

function stackCounts(stack: StackReview): string {
  const counts = ORDER.map((a) => [a, stack.changes.filter((c) => c.action === a).length] as const)
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${n} to ${a}`);
  if (stack.otherChanges.length > 0) counts.push(`${stack.otherChanges.length} other block(s) changed`);
  if (stack.ignored.length > 0) counts.push(`${stack.ignored.length} not applied`);
  return counts.join(", ");
}

/** Why a resource is replaced, or the hint that a delete/create pair is a renamed construct. */
function note(c: ResourceChange): string {
  if (c.replacedBecause.length) return `  replaced because: ${c.replacedBecause.join(", ")}${c.createBeforeDestroy ? " (create_before_destroy: the new one first)" : ""}`;
  if (c.updatedBecause.length) return `  updated because: ${c.updatedBecause.join(", ")}`;
  const other = c.renamedFrom ?? c.renamedTo;
  if (!other) return "";
  return `  same configuration as ${other}: a construct id changed? Terraform will destroy and re-create it unless it is moved (moveTo / moveFromId)`;
}

function delta(c: CostDelta): string {
  const d = c.after.total - c.before.total;
  const sign = d > 0 ? "+" : d < 0 ? "−" : "±";
  const unpriced = c.after.unpriced.length > 0 ? ` (${c.after.unpriced.length} item(s) unpriced)` : "";
  return `${c.environment}: ${euros(c.before.total)} → ${euros(c.after.total)} per month (${sign}${euros(Math.abs(d))})${unpriced}`;
}

function changedCosts(report: ReviewReport): CostDelta[] {
  return report.costs.filter((c) => JSON.stringify(c.before.lines) !== JSON.stringify(c.after.lines));
}

function indent(text: string, by: string): string {
  return text
    .split("\n")
    .map((l) => by + l)
    .join("\n");
}

/** Plain text for a terminal. */
export function renderText(report: ReviewReport): string {
  const out: string[] = [`hashilab review: ${report.base} → working tree`, ""];
  if (report.effects.length > 0) {
    out.push("Effect on the cluster:");
    for (const f of report.effects) out.push(`  ${MARK[f.severity]} ${f.text}`);
    out.push("");
  }
  for (const stack of report.stacks) {
    if (stack.changes.length === 0 && stack.otherChanges.length === 0 && stack.ignored.length === 0) continue;
    const status = stack.status === "present" ? "" : ` (stack ${stack.status})`;
    out.push(`${stack.stack}${status}: ${stackCounts(stack)}`);
    for (const c of stack.changes) {
      out.push(`  ${symbol(c)} ${c.address}${c.constructPath ? `  (${c.constructPath})` : ""}${note(c)}`);
      for (const a of c.attributes) {
        if (a.textDiff !== undefined) out.push(`      ${a.path}:`, indent(a.textDiff, "        "));
        else out.push(`      ${a.path}: ${a.before ?? "(none)"} → ${a.after ?? "(none)"}`);
      }
    }
    for (const b of stack.otherChanges) out.push(`  ${SYMBOL[b.action]} ${b.address}`);
    for (const i of stack.ignored) out.push(`  = ${i.address}${i.constructPath ? `  (${i.constructPath})` : ""}  ${ignoredNote(i)}`);
    out.push("");
  }
  const costs = changedCosts(report);
  if (costs.length > 0) {
    out.push(`Cost (${report.prices.currency}, VAT ${report.prices.vat}, prices of ${report.prices.date}):`);
    for (const c of costs) out.push(`  ${delta(c)}`);
    out.push("");
  }
  out.push(`${summaryLine(report.stacks)}.`);
  return out.join("\n");
}

/** GitHub's comment size limit is 65536 characters; stay well below it. */
const MAX_MARKDOWN_CHARS = 60000;

function code(text: string): string {
  return `\`${text.replace(/`/g, "ˋ")}\``;
}

/** Lines of one text diff a comment shows, so one new server's user-data cannot fill it. */
const MAX_DIFF_LINES = 150;

function clip(diff: string, base: string): string {
  const lines = diff.split("\n");
  if (lines.length <= MAX_DIFF_LINES) return diff;
  const rest = lines.length - MAX_DIFF_LINES;
  return [...lines.slice(0, MAX_DIFF_LINES), `… ${rest} more lines: npm run review -- ${base}`].join("\n");
}

/** Inline code inside HTML (a <summary>), where Markdown backticks do not render. */
function html(text: string): string {
  return `<code>${text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}</code>`;
}

/** Markdown for a pull-request comment: a table per stack, text diffs in collapsible blocks. */
export function renderMarkdown(report: ReviewReport): string {
  const out: string[] = [`### hashilab review against ${code(report.base)}`, "", `**${summaryLine(report.stacks)}**`, ""];
  if (report.effects.length > 0) {
    out.push("#### Effect on the cluster", "");
    for (const f of report.effects) out.push(`- ${f.severity === "danger" ? "**Danger:** " : f.severity === "warning" ? "**Warning:** " : ""}${f.text}`);
    out.push("");
  }
  for (const stack of report.stacks) {
    if (stack.changes.length === 0 && stack.otherChanges.length === 0 && stack.ignored.length === 0) continue;
    const status = stack.status === "present" ? "" : ` (stack ${stack.status})`;
    out.push(`#### ${code(stack.stack)}${status}: ${stackCounts(stack)}`, "");
    out.push("| | Resource | Construct path | Changed attributes |", "|---|---|---|---|");
    for (const c of stack.changes) {
      const attrs = c.attributes.map((a) => code(a.path)).join(", ");
      out.push(`| ${symbol(c)} ${c.action} | ${code(c.address)} | ${c.constructPath ? code(c.constructPath) : ""} | ${attrs}${note(c)} |`);
    }
    for (const b of stack.otherChanges) out.push(`| ${SYMBOL[b.action]} ${b.action} | ${code(b.address)} | | |`);
    for (const i of stack.ignored) out.push(`| = not applied | ${code(i.address)} | ${i.constructPath ? code(i.constructPath) : ""} | ${ignoredNote(i)} |`);
    out.push("");
    for (const c of stack.changes) {
      const plain = c.attributes.filter((a) => a.textDiff === undefined);
      if (plain.length > 0) {
        out.push(`${code(c.address)}:`);
        for (const a of plain) out.push(`- ${code(a.path)}: ${code(a.before ?? "(none)")} → ${code(a.after ?? "(none)")}`);
        out.push("");
      }
      for (const a of c.attributes.filter((x) => x.textDiff !== undefined)) {
        out.push(`<details><summary>${html(c.address)} ${html(a.path)}</summary>`, "", "```diff", clip(a.textDiff!, report.base), "```", "", "</details>", "");
      }
    }
  }
  const costs = changedCosts(report);
  if (costs.length > 0) {
    out.push(`#### Cost (${report.prices.currency}, VAT ${report.prices.vat}, prices of ${report.prices.date})`, "");
    for (const c of costs) out.push(`- ${delta(c)}`);
    out.push("");
  }
  const text = out.join("\n");
  if (text.length <= MAX_MARKDOWN_CHARS) return text;
  return `${text.slice(0, MAX_MARKDOWN_CHARS)}\n\n… truncated: run \`npm run review -- ${report.base}\` for the full output.`;
}
