// Placing a batch of identical tasks (one service, same requirements) onto the nodes of the view.
// Eligible nodes are arranged in SwarmKit's tree of placement preferences (one level per
// `spread` descriptor, one branch per label value); tasks are split between branches so their
// counts of the service even out, and within a leaf every task goes to the best node of a
// min-heap ordered by (tasks of this service, tasks overall, node id). A batch of t tasks on n
// nodes costs O(n log n) once plus O(log n) per task, not O(n) per task.

import type { ClusterView } from './cluster-view.js';
import { dynamicRejection, staticRejection } from './filters.js';
import type { NodeInfo } from './node-info.js';
import { spreadValue, type TaskRequirements } from './requirements.js';

/** Places tasks one at a time: the caller records the task's usage on the node in the view. */
export type PlaceTask = (nodeId: string) => void;

/**
 * Places up to `count` tasks and returns how many were placed; `place` is called once per task,
 * in task order, right when its node is chosen (so the view is current for the next choice).
 */
export function placeBatch(
  view: ClusterView,
  req: TaskRequirements,
  count: number,
  place: PlaceTask,
): number {
  if (count <= 0) return 0;
  const root = buildTree(view, req);
  if (root === null) return 0;
  return distribute(root, count, req, place);
}

// ---- the preference tree ------------------------------------------------------------------

interface Branch {
  /** The label value this branch stands for ('' for nodes without the label). */
  key: string;
  /** Active tasks of the service on the branch's nodes: what spreading evens out. */
  tasks: number;
  children: Branch[] | null;
  heap: NodeHeap | null;
}

interface BuildBranch {
  key: string;
  tasks: number;
  children: Map<string, BuildBranch> | null;
  entries: HeapEntry[] | null;
}

function buildTree(view: ClusterView, req: TaskRequirements): Branch | null {
  const levels = req.spread.length;
  const root: BuildBranch = newBuildBranch('', levels);
  let eligible = 0;
  for (const info of view.nodes()) {
    if (staticRejection(info, req) !== null) continue;
    const svc = info.serviceTasks(req.serviceId);
    if (dynamicRejection(info, req, svc) !== null) continue;
    eligible++;
    let branch = root;
    branch.tasks += svc;
    for (let level = 0; level < levels; level++) {
      const key = spreadValue(info.node!, req.spread[level]!);
      let child = branch.children!.get(key);
      if (!child) {
        child = newBuildBranch(key, levels - level - 1);
        branch.children!.set(key, child);
      }
      child.tasks += svc;
      branch = child;
    }
    branch.entries!.push({ info, svc });
  }
  return eligible === 0 ? null : freeze(root);
}

function newBuildBranch(key: string, levelsBelow: number): BuildBranch {
  return levelsBelow === 0
    ? { key, tasks: 0, children: null, entries: [] }
    : { key, tasks: 0, children: new Map(), entries: null };
}

function freeze(branch: BuildBranch): Branch {
  if (branch.children === null)
    return { key: branch.key, tasks: branch.tasks, children: null, heap: new NodeHeap(branch.entries!) };
  const children = [...branch.children.values()].sort((a, b) => compareStrings(a.key, b.key)).map(freeze);
  return { key: branch.key, tasks: branch.tasks, children, heap: null };
}

/**
 * Splits `n` tasks between the branch's children so that their task counts even out (water
 * filling: the least loaded branches are topped up first, the remainder goes to the least
 * loaded), recursing down to the leaves. A child that takes fewer than it was given is full
 * and leaves the game; the rest is spread again over the others. Returns how many were placed.
 */
function distribute(branch: Branch, n: number, req: TaskRequirements, place: PlaceTask): number {
  if (branch.children === null) return fillLeaf(branch.heap!, n, req, place);
  let placed = 0;
  let usable = branch.children.slice();
  // Every round places at least one task or removes at least one full child (the wanted counts
  // add up to at least what is left), so this ends within n + children rounds.
  while (placed < n && usable.length > 0) {
    usable.sort((a, b) => a.tasks - b.tasks || compareStrings(a.key, b.key));
    const total = usable.reduce((sum, child) => sum + child.tasks, 0) + (n - placed);
    const level = Math.floor(total / usable.length);
    const remainder = total % usable.length;
    const full = new Set<Branch>();
    for (let i = 0; i < usable.length && placed < n; i++) {
      const child = usable[i]!;
      const target = level + (i < remainder ? 1 : 0);
      const wanted = Math.min(target - child.tasks, n - placed);
      if (wanted <= 0) continue;
      const got = distribute(child, wanted, req, place);
      child.tasks += got;
      placed += got;
      if (got < wanted) full.add(child);
    }
    if (full.size > 0) usable = usable.filter((child) => !full.has(child));
  }
  // The caller adds `placed` to this branch's count, as done for the children above.
  return placed;
}

function fillLeaf(heap: NodeHeap, n: number, req: TaskRequirements, place: PlaceTask): number {
  let placed = 0;
  while (placed < n && heap.size > 0) {
    const best = heap.top();
    // Within a batch a node only fills up, so one that cannot take a task now never will.
    if (dynamicRejection(best.info, req, best.svc) !== null) {
      heap.pop();
      continue;
    }
    place(best.info.id);
    best.svc++;
    heap.topIncreased();
    placed++;
  }
  return placed;
}

// ---- the heap -----------------------------------------------------------------------------

interface HeapEntry {
  info: NodeInfo;
  /** The node's active tasks of the batch's service, kept here to keep comparisons cheap. */
  svc: number;
}

/** SwarmKit's nodeLess: fewer tasks of the service, then fewer tasks, then the node id. */
function better(a: HeapEntry, b: HeapEntry): boolean {
  if (a.svc !== b.svc) return a.svc < b.svc;
  const ta = a.info.activeTasks;
  const tb = b.info.activeTasks;
  if (ta !== tb) return ta < tb;
  return a.info.id < b.info.id;
}

class NodeHeap {
  constructor(private readonly items: HeapEntry[]) {
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  get size(): number {
    return this.items.length;
  }

  top(): HeapEntry {
    return this.items[0]!;
  }

  pop(): void {
    const last = this.items.pop()!;
    if (this.items.length > 0) {
      this.items[0] = last;
      this.siftDown(0);
    }
  }

  /** The top entry got worse (a task was placed on it): move it down to its place. */
  topIncreased(): void {
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const items = this.items;
    const length = items.length;
    const entry = items[start]!;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && better(items[right]!, items[left]!) ? right : left;
      if (!better(items[child]!, entry)) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = entry;
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
