export { RaftSnapshots, RAFT_SNAPSHOTS_NAMESPACE, RAFT_SNAPSHOTS_TASK_USER } from "./raft-snapshots";
export type { RaftSnapshotsProps } from "./raft-snapshots";
