import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONSUL_PORTS } from "../constructs/hetzner-cluster/consul-config";
import { shippedFile } from "../constructs/hetzner-cluster/host-files";
import { DELIVERED_SCRIPTS, HOST_PATHS } from "../constructs/hetzner-cluster/host-paths";
import { NOMAD_PORTS } from "../constructs/hetzner-cluster/nomad-config";
import { lab } from "../environments";
import { commandStubs } from "./support/install-secrets";
import { resourcesOf, synthEnvironment } from "./support/synth";
import { evaluateWithTerraform } from "./support/terraform";

const CONSUL_HEALTH = `https://127.0.0.1:${CONSUL_PORTS.https}/v1/status/leader`;
const NOMAD_HEALTH = `https://127.0.0.1:${NOMAD_PORTS.http}/v1/agent/health`;

/**
 * Runs the real hashilab-wait-healthy.sh with stand-ins: `curl` prints the HTTP codes of
 * `answers` in turn (000: nothing answered), `systemctl is-active` prints `unitState`, and
 * `sleep` and `journalctl` only record that they ran.
 */
function waitFor(agents: string[], { answers, unitState = "active", attempts = 5 }: { answers: string[]; unitState?: string; attempts?: number }) {
  const dir = mkdtempSync(join(tmpdir(), "hashilab-wait-"));
  try {
    const stubs = commandStubs(join(dir, "bin"));
    const log = join(dir, "calls.log");
    stubs.stub(
      "curl",
      [
        `echo "curl $*" >> "${log}"`,
        `n=$(grep -c '^curl .*--write-out' "${log}")`,
        `answers=(${answers.join(" ")})`,
        'answer=${answers[$((n - 1))]:-${answers[-1]}}',
        // Like curl --silent: the reason only with --show-error.
        'if [ "$answer" = 000 ]; then [[ "$*" == *--show-error* ]] && echo "curl: (7) Failed to connect to 127.0.0.1" >&2; [[ "$*" == *--write-out* ]] && echo 000; exit 7; fi',
        'echo "$answer"',
      ].join("\n"),
    );
    stubs.stub("systemctl", `echo "systemctl $*" >> "${log}"; [ "$1" = is-active ] && echo ${unitState}; [ ${unitState} = active ]`);
    stubs.stub("journalctl", `echo "journalctl $*" >> "${log}"; echo "the agent's last log lines"`);
    stubs.stub("sleep", `echo "sleep $*" >> "${log}"`);
    const script = join(dir, DELIVERED_SCRIPTS.waitHealthy);
    writeFileSync(script, shippedFile(DELIVERED_SCRIPTS.waitHealthy));
    const run = spawnSync("bash", [script, ...agents], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${stubs.dir}:${process.env.PATH}`, HASHILAB_WAIT_ATTEMPTS: String(attempts) },
    });
    const calls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    return { code: run.status, stdout: run.stdout, stderr: run.stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("hashilab-wait-healthy", () => {
  it("returns once each agent answers its local API over TLS with the cluster CA", () => {
    const run = waitFor(["consul", "nomad"], { answers: ["000", "000", "200", "200"] });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`consul answers ${CONSUL_HEALTH} (HTTP 200)`);
    expect(run.stdout).toContain(`nomad answers ${NOMAD_HEALTH} (HTTP 200)`);
    const curls = run.calls.filter((c) => c.startsWith("curl"));
    expect(curls).toHaveLength(4);
    for (const call of curls) expect(call).toContain(`--cacert ${HOST_PATHS.caCert}`);
    expect(run.calls.filter((c) => c.startsWith("sleep"))).toEqual(["sleep 2", "sleep 2"]);
  });

  it("counts any HTTP answer: a Nomad server answers 500 until its cluster has a leader", () => {
    const run = waitFor(["nomad"], { answers: ["500"] });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("(HTTP 500)");
  });

  it("fails after a bounded number of attempts when the agent never answers, naming it and showing its log", () => {
    const run = waitFor(["nomad"], { answers: ["000"], attempts: 3 });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`nomad did not answer ${NOMAD_HEALTH} after 3 attempts (curl: (7) Failed to connect to 127.0.0.1); is it crashing?`);
    expect(run.stderr).toContain("the agent's last log lines");
    expect(run.calls.filter((c) => c.startsWith("sleep"))).toHaveLength(2);
  });

  it.each(["inactive", "failed"])("fails at once when the unit is %s (a start condition unmet, or systemd gave up restarting it)", (state) => {
    const run = waitFor(["consul"], { answers: ["200"], unitState: state });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`consul is ${state} after the delivery (re)started it`);
    expect(run.calls.filter((c) => c.startsWith("curl"))).toEqual([]);
  });

  it("fails on an agent it knows no endpoint for", () => {
    const run = waitFor(["vault"], { answers: ["200"] });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("no health endpoint known for agent 'vault'");
  });
});

describe("the deliveries that restart agents", () => {
  it("upload the script exactly as shipped (the hosts' secrets delivery and the Nomad agents' Consul token delivery)", () => {
    const stacks = synthEnvironment(lab);
    const uploads = ["lab-hosts", "lab-acl"].flatMap((stack) =>
      Object.values<any>(resourcesOf(stacks[stack], "terraform_data"))
        .flatMap((resource) => resource.provisioner ?? [])
        .filter((p: any) => p.file?.destination.endsWith(`/${DELIVERED_SCRIPTS.waitHealthy}`))
        .map((p: any) => p.file.content as string),
    );
    // Three hosts, each with both deliveries.
    expect(uploads).toHaveLength(6);
    const evaluated = evaluateWithTerraform(Object.fromEntries(uploads.map((content, i) => [`upload_${i}`, content])));
    for (const content of Object.values(evaluated)) expect(content).toBe(shippedFile(DELIVERED_SCRIPTS.waitHealthy));
  });
});
