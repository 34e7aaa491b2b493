import { ITerraformDependable, FileProvisioner, LocalBackend, RemoteExecProvisioner, TerraformIterator, TerraformLocal, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { escapeTerraformTemplate } from "../core";
import { TerraformData } from "../providers";
import type { ConfiguredHost } from "./host-configuration";
import { shippedFile } from "./host-files";
import { remoteCommand } from "./shell";
import { SshHost, sshConnection } from "./ssh-host-key";

/** The leave script, shipped beside this module (shellcheck and a sandbox run in tests). */
export const LEAVE_SCRIPT = "hashilab-leave.sh";
/** Where the destroy step uploads it (tmpfs, root only). */
export const LEAVE_UPLOAD_DIR = "/run/hashilab-leave";
/**
 * How long the destroy step tries to reach a removed host: a dead host fails the apply after
 * this instead of holding it (docs/operations.md "A dead host" is the way on).
 */
export const LEAVE_CONNECT_TIMEOUT = "2m";

/** A host as the membership needs it: its place in the cluster, where Terraform reaches it, and its configuration's delivery. */
export interface MemberHost {
  readonly spec: Pick<ConfiguredHost, "name" | "isServer" | "isClient" | "privateIp">;
  readonly sshHost: SshHost;
  readonly delivery: { readonly resource: ITerraformDependable };
}

export interface ClusterMembershipProps {
  /** Every host of the cluster (HetznerCluster's `hosts`, SshCluster's `members`). */
  readonly hosts: readonly MemberHost[];
  /**
   * The environment field that lists or counts the servers, named in the plan's refusal, e.g.
   * "cluster.serverCount" or "cluster.hosts".
   */
  readonly serversField: string;
}

/** What each host's destroy step reads from its own state (destroy-time provisioners see only `self`). */
const INPUT = { name: "name", address: "address", hostKey: "host_key", role: "role", privateIp: "private_ip" } as const;

/** `self.input.<field>` as one shell word: single-quoted by Terraform's replace(), whatever the value holds. */
function quotedInput(field: string): string {
  return `'\${replace(self.input.${field}, "'", "'\\\\''")}'`;
}

/** cdktf types `when` on local-exec only, and writes every provisioner's keys as given (TerraformResource.toTerraform). */
function atDestroy<P extends FileProvisioner | RemoteExecProvisioner>(provisioner: P): P {
  return { ...provisioner, when: "destroy" };
}

function roleOf(host: MemberHost): "server" | "client" | "both" {
  return host.spec.isServer ? (host.spec.isClient ? "both" : "server") : "client";
}

/**
 * Each host's membership of the cluster, so that removing a host from the environment drains
 * and leaves it before Terraform forgets it, and a plan that removes more servers than the
 * Raft quorum allows fails.
 *
 * Leaving: one `terraform_data` with `for_each` over the hosts, keyed by host name. A
 * destroy-time provisioner runs only while its resource block is in the configuration
 * (Terraform "Destroy-Time Provisioners"), so one block for every host keeps the removed
 * host's instance runnable, and its step reads only `self` (its address, pinned host key,
 * role and private address stay in its `input`). It runs hashilab-leave.sh on the host:
 * Nomad drains and leaves, then Consul leaves, then both units are disabled. The membership
 * depends on every host's delivery, so Terraform destroys a removed host's instance first:
 * before the host itself (its server or its install), and before the remaining hosts'
 * deliveries re-run for the shorter server list (a replaced delivery is destroyed, then
 * created, after the instances that depend on it).
 *
 * The quorum: synth cannot know how many servers the running cluster has, the plan can. The
 * stack outputs its servers' names, and a guard reads the stack's own previous state
 * (`terraform_remote_state` with the stack's backend) and fails the plan unless a majority of
 * the previous servers stay servers. A first deploy has no previous state: a local state file
 * that does not exist yet, or is still empty, is not read; a remote backend must hold a state
 * (docs/operations.md "Removing a server"). Set the stack's backend before building the
 * cluster: the guard reads through it, and a stack without one gets cdktf's default local
 * backend here.
 */
export class ClusterMembership extends Construct {
  /** One instance per host, keyed by host name. */
  readonly resource: TerraformData;
  /** Fails the plan of a deploy that removes more servers than the quorum allows. */
  readonly guard: TerraformData;
  /** The servers' names, which the next deploy's guard reads from this deploy's state. */
  readonly servers: TerraformOutput;

  constructor(scope: Construct, id: string, props: ClusterMembershipProps) {
    super(scope, id);
    const serverNames = props.hosts.filter((h) => h.spec.isServer).map((h) => h.spec.name).sort();
    // The output is declared first: the guard reads it by name from the previous deploy's state.
    this.servers = new TerraformOutput(this, "Servers", {
      description: "The Nomad and Consul servers' names; the next deploy's quorum guard reads them",
      value: [],
    });
    this.guard = this.quorumGuard(serverNames, props.serversField);

    // for_each over a map keyed by host name (validated names, known at synth; the values may be references).
    const members = TerraformIterator.fromMap(
      Object.fromEntries(
        props.hosts.map((h) => [
          h.spec.name,
          {
            [INPUT.name]: h.spec.name,
            [INPUT.address]: h.sshHost.address,
            [INPUT.hostKey]: h.sshHost.hostKey,
            [INPUT.role]: roleOf(h),
            [INPUT.privateIp]: h.spec.privateIp,
          },
        ]),
      ),
    );
    const script = escapeTerraformTemplate(shippedFile(LEAVE_SCRIPT));
    this.resource = new TerraformData(this, "Member", {
      forEach: members,
      input: members.value,
      // The guard too, so that `-target` of the members cannot leave the guard out of the plan.
      dependsOn: [...props.hosts.map((h) => h.delivery.resource), this.guard],
      connection: {
        ...sshConnection({ address: `\${self.input.${INPUT.address}}`, hostKey: `\${self.input.${INPUT.hostKey}}` }),
        timeout: LEAVE_CONNECT_TIMEOUT,
      },
      provisioners: [
        atDestroy<RemoteExecProvisioner>({ type: "remote-exec", inline: [remoteCommand("install", "-d", "-m", "0700", LEAVE_UPLOAD_DIR)] }),
        atDestroy<FileProvisioner>({ type: "file", content: script, destination: `${LEAVE_UPLOAD_DIR}/${LEAVE_SCRIPT}` }),
        atDestroy<RemoteExecProvisioner>({
          type: "remote-exec",
          inline: [`${remoteCommand("bash", `${LEAVE_UPLOAD_DIR}/${LEAVE_SCRIPT}`)} ${quotedInput(INPUT.role)} ${quotedInput(INPUT.privateIp)}`],
        }),
      ],
    });
    // What the next deploy's guard compares with: recorded only once every removed host has
    // left. A constant output would be written at the start of an apply whose leaves then
    // fail, and the next plan would judge against servers that are still peers.
    const record = new TerraformData(this, "ServerRecord", { input: { servers: serverNames }, dependsOn: [this.resource] });
    this.servers.value = record.getListAttribute("output.servers");
  }

  /** A resource whose precondition compares this deploy's servers with the previous deploy's. */
  private quorumGuard(serverNames: readonly string[], field: string): TerraformData {
    const stack = TerraformStack.of(this);
    const backend = stack.ensureBackendExists();
    const previous = backend.getRemoteStateDataSource(this, "PreviousState", stack.node.id);
    // Named by its construct path like every resource (cdktf writes no metadata for remote states).
    previous.addOverride("//", { metadata: { path: previous.node.path, uniqueId: previous.friendlyUniqueId } });
    if (backend instanceof LocalBackend) {
      const path: string = backend.toTerraform().terraform.backend.local.path;
      // A data source's arguments are templates, unlike the backend block's: the same file either way.
      const statePath = new TerraformLocal(this, "StatePath", escapeTerraformTemplate(path));
      previous.addOverride("config.path", escapeTerraformTemplate(path));
      // A first deploy has no state yet (Terraform's lock creates the file empty before the
      // plan), and reading a missing state is an error (data_source_state.go "Unable to find
      // remote state"). HCL reports only the chosen branch's errors, so file() of a missing file is not one.
      const file = `local.${statePath.friendlyUniqueId}`;
      previous.addOverride("count", `\${fileexists(${file}) ? (length(file(${file})) > 0 ? 1 : 0) : 0}`);
    }
    // Names are validated DNS labels: JSON's quoting is HCL's.
    const previousServers = new TerraformLocal(
      this,
      "PreviousServers",
      `\${try(one(data.terraform_remote_state.${previous.friendlyUniqueId}[*].outputs).${this.servers.friendlyUniqueId}, [])}`,
    );
    const before = `local.${previousServers.friendlyUniqueId}`;
    const after = `[${serverNames.map((n) => JSON.stringify(n)).join(", ")}]`;
    const staying = `length(setintersection(${before}, ${after}))`;
    const quorum = `floor(length(${before}) / 2) + 1`;
    return new TerraformData(this, "QuorumGuard", {
      lifecycle: {
        precondition: [
          {
            condition: `\${length(${before}) == 0 || ${staying} >= ${quorum}}`,
            errorMessage:
              `${escapeTerraformTemplate(this.node.path)}: this deploy removes the servers \${join(", ", sort(setsubtract(${before}, ${after})))} of \${length(${before})} ` +
              `at once, and only \${${staying}} stay: fewer than the Raft quorum of \${${quorum}}, so Nomad and Consul would stop electing a leader. ` +
              `Change ${escapeTerraformTemplate(field)} to remove at most \${length(${before}) - (${quorum})} server(s) per deploy (one at a time is safest), ` +
              `deploy, and remove the next in another deploy (docs/operations.md "Removing a host").`,
          },
        ],
      },
    });
  }
}
