// The filters a node must pass to receive a task (SwarmKit's pipeline), and the explanation a
// task gets when none passes. Static filters depend only on the node and the task's spec, so
// they are evaluated once per batch; dynamic ones change as tasks are placed and are checked
// again before every placement.

import { normalizeArchitecture, type TaskRequirements } from './requirements.js';
import type { NodeInfo } from './node-info.js';

/** Why a node was refused, in the order filters run and explanations list them. */
export type Rejection =
  'unavailable' | 'constraints' | 'platform' | 'memory' | 'cpu' | 'generic' | 'host-port' | 'max-replicas';

export const REJECTIONS: readonly Rejection[] = [
  'unavailable',
  'constraints',
  'platform',
  'memory',
  'cpu',
  'generic',
  'host-port',
  'max-replicas',
];

/** Node status and availability, constraints, platforms. */
export function staticRejection(info: NodeInfo, req: TaskRequirements): Rejection | null {
  const node = info.node;
  if (node === undefined || !info.available) return 'unavailable';
  if (!req.constraints(node)) return 'constraints';
  if (req.platforms.length > 0) {
    const platform = node.description?.platform;
    if (platform === undefined) return 'platform';
    const os = platform.os.toLowerCase();
    const architecture = normalizeArchitecture(platform.architecture);
    const supported = req.platforms.some(
      (p) => (p.os === '' || p.os === os) && (p.architecture === '' || p.architecture === architecture),
    );
    if (!supported) return 'platform';
  }
  return null;
}

/**
 * Resources left, host ports free, maxReplicas not reached. `serviceTasks` is the node's count
 * of the service's active tasks (the placement loop keeps its own copy at hand).
 */
export function dynamicRejection(
  info: NodeInfo,
  req: TaskRequirements,
  serviceTasks = info.serviceTasks(req.serviceId),
): Rejection | null {
  const { demand } = req;
  if (demand.memoryBytes > 0 && info.freeMemoryBytes() < demand.memoryBytes) return 'memory';
  if (demand.nanoCpus > 0 && info.freeNanoCpus() < demand.nanoCpus) return 'cpu';
  if (demand.generic.length > 0 && !info.hasGeneric(demand.generic)) return 'generic';
  for (const port of req.hostPorts) if (info.hostPortInUse(port)) return 'host-port';
  if (req.maxReplicas > 0 && serviceTasks >= req.maxReplicas) return 'max-replicas';
  return null;
}

export function rejection(info: NodeInfo, req: TaskRequirements): Rejection | null {
  return staticRejection(info, req) ?? dynamicRejection(info, req);
}

/**
 * SwarmKit's pipeline explanation: every node counted under the first filter it fails,
 * "no suitable node (insufficient memory on 3 nodes; scheduling constraints not satisfied on
 * 2 nodes)". Without any node at all it is just "no suitable node".
 */
export function explainNoSuitableNode(nodes: Iterable<NodeInfo>, req: TaskRequirements): string {
  const counts = new Map<Rejection, number>();
  for (const info of nodes) {
    if (info.node === undefined) continue;
    const reason = rejection(info, req);
    if (reason !== null) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return formatExplanation(counts);
}

export function formatExplanation(counts: ReadonlyMap<Rejection, number>): string {
  const parts: string[] = [];
  for (const reason of REJECTIONS) {
    const n = counts.get(reason) ?? 0;
    if (n > 0) parts.push(describe(reason, n));
  }
  return parts.length === 0 ? 'no suitable node' : `no suitable node (${parts.join('; ')})`;
}

function describe(reason: Rejection, n: number): string {
  const nodes = n === 1 ? '1 node' : `${n} nodes`;
  switch (reason) {
    case 'unavailable':
      return `${nodes} not available for new tasks`;
    case 'constraints':
      return `scheduling constraints not satisfied on ${nodes}`;
    case 'platform':
      return `unsupported platform on ${nodes}`;
    case 'memory':
      return `insufficient memory on ${nodes}`;
    case 'cpu':
      return `insufficient CPU on ${nodes}`;
    case 'generic':
      return `insufficient generic resources on ${nodes}`;
    case 'host-port':
      return `host-mode port already in use on ${nodes}`;
    case 'max-replicas':
      return `max replicas per node limit exceeded on ${nodes}`;
  }
}
