// The scheduler's in-memory view of the cluster: one NodeInfo per node, and where every task
// that uses a node's resources is placed. The driver keeps it current from the store's watch;
// a scheduling pass places tasks into it as it decides, so later decisions see earlier ones.

import type { Node } from '../../api/index.js';
import type { DeepReadonly } from '../store/index.js';
import { NodeInfo, type TaskUsage } from './node-info.js';

export class ClusterView {
  private readonly infos = new Map<string, NodeInfo>();
  /** taskId → the node its usage is recorded on. */
  private readonly placedOn = new Map<string, string>();

  /** The nodes the store has (not the placeholders of tasks on deleted nodes). */
  *nodes(): IterableIterator<NodeInfo> {
    for (const info of this.infos.values()) if (info.node !== undefined) yield info;
  }

  get nodeCount(): number {
    let count = 0;
    for (const info of this.infos.values()) if (info.node !== undefined) count++;
    return count;
  }

  node(id: string): NodeInfo | undefined {
    const info = this.infos.get(id);
    return info?.node === undefined ? undefined : info;
  }

  setNode(node: DeepReadonly<Node>): void {
    this.info(node.id).setNode(node);
  }

  /**
   * The node left the store. Usage recorded on it is kept until its tasks are gone, so a node
   * that comes back (or a late event) finds the books balanced.
   */
  deleteNode(id: string): void {
    const info = this.infos.get(id);
    if (!info) return;
    info.setNode(undefined);
    if (info.taskCount === 0) this.infos.delete(id);
  }

  /** Records the task's use of `nodeId`, moving it from another node if needed. */
  placeTask(taskId: string, nodeId: string, usage: TaskUsage): void {
    const previous = this.placedOn.get(taskId);
    if (previous !== undefined && previous !== nodeId) this.removeTask(taskId);
    this.info(nodeId).addTask(taskId, usage);
    this.placedOn.set(taskId, nodeId);
  }

  /** Forgets the task's usage; true if it had any (resources were freed). */
  removeTask(taskId: string): boolean {
    const nodeId = this.placedOn.get(taskId);
    if (nodeId === undefined) return false;
    this.placedOn.delete(taskId);
    const info = this.infos.get(nodeId);
    if (!info) return false;
    const removed = info.removeTask(taskId);
    if (info.node === undefined && info.taskCount === 0) this.infos.delete(nodeId);
    return removed;
  }

  nodeOf(taskId: string): string | undefined {
    return this.placedOn.get(taskId);
  }

  usageOf(taskId: string): TaskUsage | undefined {
    const nodeId = this.placedOn.get(taskId);
    return nodeId === undefined ? undefined : this.infos.get(nodeId)?.usage(taskId);
  }

  private info(id: string): NodeInfo {
    let info = this.infos.get(id);
    if (!info) {
      info = new NodeInfo(id);
      this.infos.set(id, info);
    }
    return info;
  }
}
