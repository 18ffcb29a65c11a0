// The shapes every orchestration loop shares: stored objects as the store hands them out (frozen),
// the operations they propose, and a write unit — operations that must commit together or not at
// all (a task shut down and its replacement, say), so a conflict never leaves half a decision.

import type { Cluster, Node, Service, Task } from '../../api/index.js';
import type { ApiObjectTypes } from '../control/index.js';
import type { DeepReadonly, StoreOperation } from '../store/index.js';

export type StoredTask = DeepReadonly<Task>;
export type StoredService = DeepReadonly<Service>;
export type StoredNode = DeepReadonly<Node>;
export type StoredCluster = DeepReadonly<Cluster>;
export type ApiOperation = StoreOperation<ApiObjectTypes>;

/** Operations committed in one transaction; `reason` names the decision in logs. */
export interface WriteUnit {
  reason: string;
  ops: ApiOperation[];
}

/** What one pass of a loop decided: the writes, and when time alone would change a decision. */
export interface Plan {
  units: WriteUnit[];
  /** Clock time (ms) at which to look again even if nothing in the store changes. */
  wakeAt?: number;
}
