// A task's lifecycle states (Docker's lower-case names) and their order. SwarmKit treats the
// state as a Lamport clock: of two observations the greater state wins, and a task only moves
// forward. The ranks are SwarmKit's enum numbers (api/types.proto), gaps included.
//
// Docker's swagger still lists `allocated`; SwarmKit merged it into `pending` long ago
// ("api: Merge Pending and Allocated states") and never reports it, so it is left out here.

export const TASK_STATES = [
  'new',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

const RANK: Readonly<Record<TaskState, number>> = {
  new: 0,
  pending: 64, // resources allocated, waiting for the scheduler
  assigned: 192,
  accepted: 256, // the worker took it
  preparing: 320,
  ready: 384,
  starting: 448,
  running: 512,
  complete: 576, // exited 0
  shutdown: 640, // stopped on the orchestrator's request
  failed: 704,
  rejected: 768, // could not run on that node
  remove: 800, // marked for deletion; the task reaper removes it once shut down
  orphaned: 832, // its node is gone for good
};

export function isTaskState(value: unknown): value is TaskState {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

/** A number that orders states: a task may move from `a` to `b` only if rank(a) <= rank(b). */
export function taskStateRank(state: TaskState): number {
  return RANK[state];
}

/** Negative, zero or positive as `a` comes before, equals or comes after `b`. */
export function compareTaskStates(a: TaskState, b: TaskState): number {
  return RANK[a] - RANK[b];
}

/** Whether a task in state `from` may be reported as `to` (states only move forward). */
export function movesForward(from: TaskState, to: TaskState): boolean {
  return RANK[to] >= RANK[from];
}

/** Past running: the container is gone or never will run (SwarmKit: state > RUNNING). */
export function isTerminal(state: TaskState): boolean {
  return RANK[state] > RANK.running;
}
