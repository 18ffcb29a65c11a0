// How services and tasks look in `service ls` and `service ps`: docker's columns (MODE,
// REPLICAS as running/desired, PORTS as `*:8080->80/tcp`, task names `web.1` with older tasks of
// a slot as ` \_ web.1`, CURRENT STATE "Running 5 seconds ago", ERROR quoted and cut). Pure.

import type { Node, PortConfig, Service, Task } from '../client/index.js';
import { ago, capitalize, ellipsis, shortId, type ListOutput } from './format.js';

export function modeName(service: Service): string {
  const mode = service.spec.mode ?? { replicated: {} };
  if ('replicated' in mode) return 'replicated';
  if ('global' in mode) return 'global';
  if ('replicatedJob' in mode) return 'replicated job';
  return 'global job';
}

/** docker's REPLICAS: `2/3`, `1/1 (max 1 per node)`, jobs `1/2 (3/4 completed)`. */
export function replicasColumn(service: Service, tasks: readonly Task[]): string {
  const mine = tasks.filter((t) => t.serviceId === service.id);
  const running = mine.filter((t) => t.status.state === 'running' && t.desiredState === 'running').length;
  const mode = service.spec.mode ?? { replicated: { replicas: 1 } };
  const maxPerNode = service.spec.taskTemplate.placement?.maxReplicas;
  const perNode = maxPerNode ? ` (max ${maxPerNode} per node)` : '';
  if ('replicated' in mode) return `${running}/${mode.replicated.replicas ?? 1}${perNode}`;
  if ('global' in mode) return `${running}/${mine.filter((t) => t.desiredState === 'running').length}`;
  const iteration = service.jobStatus?.jobIteration.index;
  const current = mine.filter((t) => iteration === undefined || t.jobIteration?.index === iteration);
  const completed = current.filter((t) => t.status.state === 'complete').length;
  if ('replicatedJob' in mode) {
    const total = mode.replicatedJob.totalCompletions ?? mode.replicatedJob.maxConcurrent ?? 1;
    return `${running}/${mode.replicatedJob.maxConcurrent ?? 1} (${completed}/${total} completed)`;
  }
  return `${running}/${current.filter((t) => t.desiredState !== 'shutdown').length} (${completed}/${current.length} completed)`;
}

export function portsColumn(ports: readonly PortConfig[] | undefined): string {
  return (ports ?? [])
    .filter((p) => p.publishedPort !== undefined)
    .map((p) => `*:${p.publishedPort}->${p.targetPort}/${p.protocol ?? 'tcp'}`)
    .join(', ');
}

/** The image without its digest, as docker's service ls shows it. */
export function imageColumn(image: string): string {
  const at = image.indexOf('@');
  return at < 0 ? image : image.slice(0, at);
}

export function serviceListOutput(tasks: readonly Task[]): ListOutput<Service> {
  const row = (s: Service): Record<string, string> => ({
    ID: shortId(s.id),
    Name: s.spec.name,
    Mode: modeName(s),
    Replicas: replicasColumn(s, tasks),
    Image: imageColumn(s.spec.taskTemplate.containerSpec.image),
    Ports: portsColumn(s.endpoint?.ports ?? s.spec.endpointSpec?.ports),
  });
  return {
    header: ['ID', 'NAME', 'MODE', 'REPLICAS', 'IMAGE', 'PORTS'],
    cells: (s) => Object.values(row(s)),
    fields: row,
    id: (s) => shortId(s.id),
  };
}

export interface TaskRow {
  task: Task;
  /** `web.1`, or ` \_ web.1` for an older task of the slot. */
  name: string;
  node: string;
}

/** Tasks grouped by slot (or node), newest first within a group, history marked as docker does. */
export function taskRows(
  tasks: readonly Task[],
  services: ReadonlyMap<string, Service>,
  nodes: ReadonlyMap<string, Node>,
): TaskRow[] {
  const baseName = (t: Task): string => {
    const service = services.get(t.serviceId)?.spec.name ?? t.serviceId;
    return t.slot !== undefined && t.slot > 0 ? `${service}.${t.slot}` : `${service}.${t.nodeId ?? t.id}`;
  };
  const sorted = [...tasks].sort((a, b) => {
    const sa = services.get(a.serviceId)?.spec.name ?? a.serviceId;
    const sb = services.get(b.serviceId)?.spec.name ?? b.serviceId;
    if (sa !== sb) return sa < sb ? -1 : 1;
    if ((a.slot ?? 0) !== (b.slot ?? 0)) return (a.slot ?? 0) - (b.slot ?? 0);
    const na = a.nodeId ?? '';
    const nb = b.nodeId ?? '';
    if (na !== nb && a.slot === undefined) return na < nb ? -1 : 1;
    return b.meta.createdAt.localeCompare(a.meta.createdAt);
  });
  let previous = '';
  return sorted.map((task) => {
    const name = baseName(task);
    const row = { task, name: name === previous ? ` \\_ ${name}` : name, node: nodeName(task.nodeId, nodes) };
    previous = name;
    return row;
  });
}

function nodeName(id: string | undefined, nodes: ReadonlyMap<string, Node>): string {
  if (id === undefined || id === '') return '';
  const node = nodes.get(id);
  return node?.spec.name || node?.description?.hostname || id;
}

export function currentState(task: Task, nowMs: number): string {
  return `${capitalize(task.status.state)} ${ago(task.status.timestamp, nowMs)}`;
}

export function taskListOutput(nowMs: number, noTrunc: boolean): ListOutput<TaskRow> {
  const row = (r: TaskRow): Record<string, string> => {
    const err = r.task.status.err ?? '';
    return {
      ID: noTrunc ? r.task.id : shortId(r.task.id),
      Name: r.name,
      Image: imageColumn(r.task.spec.containerSpec.image),
      Node: r.node,
      DesiredState: capitalize(r.task.desiredState),
      CurrentState: currentState(r.task, nowMs),
      Error: err === '' ? '' : `"${noTrunc ? err : ellipsis(err, 30)}"`,
      Ports: portsColumn(r.task.status.portStatus?.ports),
    };
  };
  return {
    header: ['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR', 'PORTS'],
    cells: (r) => Object.values(row(r)),
    fields: row,
    id: (r) => (noTrunc ? r.task.id : shortId(r.task.id)),
  };
}
