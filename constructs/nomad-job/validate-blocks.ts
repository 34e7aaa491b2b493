import { posix } from "node:path";
import { Token } from "cdktf";
import { GO_DURATION } from "../core";
import { Check, Job, Task, Vault } from "./model";

/**
 * Nomad's own rules (nomad/structs at v2.0.5) for the blocks the full model added: what Nomad
 * would refuse at submission is refused at synth, with the fix. Nothing stricter: a rule Nomad
 * does not have would refuse a job Nomad runs. Values that are cdktf tokens are unknown until
 * apply and are not checked.
 */
export function blockProblems(job: Job): string[] {
  const problems: string[] = [];
  const jobWhere = `job "${job.name}"`;
  if (job.vault) checkVault(job.vault, (m) => problems.push(`${jobWhere}: ${m}`));
  for (const group of job.groups) {
    const where = `${jobWhere} group "${group.name}"`;
    const durations = { maxRunDuration: group.maxRunDuration, stopAfterClientDisconnect: group.stopAfterClientDisconnect, maxClientDisconnect: group.maxClientDisconnect };
    checkDurations({ ...durations, "disconnect.lostAfter": group.disconnect?.lostAfter, "disconnect.stopOnClientAfter": group.disconnect?.stopOnClientAfter }, (m) =>
      problems.push(`${where}: ${m}`),
    );
    for (const service of group.services ?? []) checkChecks(service.checks ?? [], (m) => problems.push(`${where}: ${m}`));
    for (const task of group.tasks) checkTask(task, (m) => problems.push(`${where} task "${task.name}": ${m}`));
  }
  return problems;
}

type Report = (message: string) => void;

const known = <T>(value: T | undefined): value is T => value !== undefined && !Token.isUnresolved(value);

function checkTask(task: Task, report: Report): void {
  if (task.vault) checkVault(task.vault, report);
  checkDurations(
    {
      "csiPlugin.healthTimeout": task.csiPlugin?.healthTimeout,
      ...Object.fromEntries((task.templates ?? []).map((t) => [`template "${t.destination}" vaultGrace`, t.vaultGrace])),
    },
    report,
  );
  checkChecks((task.services ?? []).flatMap((s) => s.checks ?? []), report);
  const plugin = task.csiPlugin;
  // structs.go Task.Validate, "Validate CSI Plugin Config".
  if (plugin && known(plugin.id) && plugin.id === "") report(`csiPlugin has an empty id. Name the plugin, e.g. "hcloud-volumes".`);
  if (plugin && known(plugin.type) && !["node", "controller", "monolith"].includes(plugin.type)) {
    report(`csiPlugin type "${plugin.type}" is not one of "node", "controller" or "monolith".`);
  }
  if (plugin && known(plugin.mountDir) && known(plugin.stagePublishBaseDir) && isSubdirectory(plugin.mountDir, plugin.stagePublishBaseDir)) {
    report(`csiPlugin stagePublishBaseDir "${plugin.stagePublishBaseDir}" is inside mountDir "${plugin.mountDir}"; Nomad refuses that. Use a directory outside it, e.g. "/local/csi".`);
  }
  // DispatchPayloadConfig.Validate: the file may not escape the allocation directory.
  const file = task.dispatchPayload?.file;
  if (known(file) && posix.join("task/local", file).startsWith("..")) {
    report(`dispatchPayload file "${file}" escapes the allocation directory. Name a file under local/, e.g. "input.json".`);
  }
  // Template.Validate, change mode "script".
  for (const template of task.templates ?? []) {
    if (template.changeMode === "script" && template.changeScript === undefined) {
      report(`template "${template.destination}" has changeMode "script" but no changeScript. Add changeScript: { command: "..." }.`);
    }
  }
}

/**
 * Durations of the added fields (the shared ones, such as interval and timeout, are checked by
 * validate.ts): Nomad's parser refuses what time.ParseDuration does.
 */
function checkDurations(fields: Readonly<Record<string, string | undefined>>, report: Report): void {
  for (const [name, value] of Object.entries(fields)) {
    if (known(value) && !GO_DURATION.test(value)) report(`${name} "${value}" is not a duration. Write a number with a unit, e.g. "30s", "5m", "1h".`);
  }
}

/** Vault.Validate. */
function checkVault(vault: Vault, report: Report): void {
  if (vault.changeMode === "signal" && vault.changeSignal === undefined) {
    report(`vault changeMode "signal" needs changeSignal, e.g. "SIGHUP".`);
  }
}

/** ServiceCheck.validateCommon: the initial status Consul accepts. */
function checkChecks(checks: readonly Check[], report: Report): void {
  for (const check of checks) {
    if (known(check.initialStatus) && !["passing", "warning", "critical", ""].includes(check.initialStatus)) {
      report(`check "${check.name ?? check.type}" initialStatus "${check.initialStatus}" is not "passing", "warning" or "critical".`);
    }
  }
}

/** helper.IsSubdirectory: `path` is `parent` or below it. */
function isSubdirectory(parent: string, path: string): boolean {
  return !posix.relative(parent, path).startsWith("..");
}
