// `inspect --pretty`: docker's human-readable summary of a service or a node, as aligned
// "Key: value" lines with indented sections. Pure.

import type { Node, Service } from '../client/index.js';
import { formatBytes, formatDuration } from './args.js';
import { capitalize } from './format.js';
import { modeName } from './service-view.js';

type Line = [indent: number, key: string, value?: string];

function render(lines: Line[]): string {
  const width = Math.max(...lines.filter(([, , v]) => v !== undefined).map(([i, k]) => i + k.length + 1)) + 2;
  return (
    lines
      .map(([indent, key, value]) => {
        const head = `${' '.repeat(indent)}${key}:`;
        return value === undefined ? head : `${head.padEnd(width)}${value}`;
      })
      .join('\n') + '\n'
  );
}

export function prettyService(s: Service): string {
  const spec = s.spec;
  const c = spec.taskTemplate.containerSpec;
  const lines: Line[] = [
    [0, 'ID', s.id],
    [0, 'Name', spec.name],
  ];
  const labels = Object.entries(spec.labels ?? {});
  if (labels.length > 0) {
    lines.push([0, 'Labels']);
    for (const [k, v] of labels) lines.push([1, k, v]);
  }
  lines.push([0, 'Service Mode', capitalize(modeName(s))]);
  const mode = spec.mode ?? { replicated: { replicas: 1 } };
  if ('replicated' in mode) lines.push([1, 'Replicas', String(mode.replicated.replicas ?? 1)]);
  if ('replicatedJob' in mode) {
    lines.push([1, 'Max Concurrent', String(mode.replicatedJob.maxConcurrent ?? 1)]);
    lines.push([1, 'Total Completions', String(mode.replicatedJob.totalCompletions ?? 1)]);
  }
  if (s.updateStatus) {
    lines.push([0, 'UpdateStatus']);
    lines.push([1, 'State', s.updateStatus.state]);
    if (s.updateStatus.message !== '') lines.push([1, 'Message', s.updateStatus.message]);
  }
  const placement = spec.taskTemplate.placement;
  if (placement?.constraints?.length || placement?.preferences?.length) {
    lines.push([0, 'Placement']);
    if (placement.constraints?.length) lines.push([1, 'Constraints', `[${placement.constraints.join(' ')}]`]);
    for (const p of placement.preferences ?? [])
      lines.push([1, 'Preferences', `Spread=${p.spread.spreadDescriptor}`]);
  }
  for (const [title, config] of [
    ['UpdateConfig', spec.updateConfig],
    ['RollbackConfig', spec.rollbackConfig],
  ] as const) {
    if (!config) continue;
    lines.push([0, title]);
    if (config.parallelism !== undefined) lines.push([1, 'Parallelism', String(config.parallelism)]);
    if (config.delay !== undefined) lines.push([1, 'Delay', formatDuration(config.delay)]);
    if (config.failureAction !== undefined) lines.push([1, 'On failure', config.failureAction]);
    if (config.monitor !== undefined) lines.push([1, 'Monitoring Period', formatDuration(config.monitor)]);
    if (config.maxFailureRatio !== undefined)
      lines.push([1, 'Max failure ratio', String(config.maxFailureRatio)]);
    if (config.order !== undefined) lines.push([1, 'Update order', config.order]);
  }
  lines.push([0, 'ContainerSpec'], [1, 'Image', c.image]);
  if (c.command?.length) lines.push([1, 'Command', c.command.join(' ')]);
  if (c.args?.length) lines.push([1, 'Args', c.args.join(' ')]);
  if (c.env?.length) lines.push([1, 'Env', c.env.join(' ')]);
  if (c.dir) lines.push([1, 'Dir', c.dir]);
  if (c.user) lines.push([1, 'User', c.user]);
  for (const m of c.mounts ?? [])
    lines.push([1, 'Mount', `${m.type} ${m.source ?? ''}:${m.target}${m.readOnly ? ' (ro)' : ''}`]);
  for (const r of c.secrets ?? []) lines.push([1, 'Secret', `${r.secretName} → ${r.file.name}`]);
  for (const r of c.configs ?? []) lines.push([1, 'Config', `${r.configName} → ${r.file.name}`]);
  const res = spec.taskTemplate.resources;
  for (const [title, r] of [
    ['Limits', res?.limits],
    ['Reservations', res?.reservations],
  ] as const) {
    if (!r || (r.nanoCpus === undefined && r.memoryBytes === undefined)) continue;
    if (!lines.some(([, k]) => k === 'Resources')) lines.push([0, 'Resources']);
    lines.push([1, title]);
    if (r.nanoCpus !== undefined) lines.push([2, 'CPU', String(r.nanoCpus / 1e9)]);
    if (r.memoryBytes !== undefined) lines.push([2, 'Memory', formatBytes(r.memoryBytes)]);
  }
  lines.push([0, 'Endpoint Mode', spec.endpointSpec?.mode ?? 'vip']);
  const ports = s.endpoint?.ports ?? spec.endpointSpec?.ports ?? [];
  if (ports.length > 0) {
    lines.push([0, 'Ports']);
    for (const p of ports) {
      lines.push([1, 'PublishedPort', p.publishedPort === undefined ? '' : String(p.publishedPort)]);
      lines.push(
        [2, 'Protocol', p.protocol ?? 'tcp'],
        [2, 'TargetPort', String(p.targetPort)],
        [2, 'PublishMode', p.publishMode ?? 'ingress'],
      );
    }
  }
  return render(lines);
}

export function prettyNode(n: Node): string {
  const lines: Line[] = [
    [0, 'ID', n.id],
    [0, 'Hostname', n.description?.hostname ?? ''],
    [0, 'Joined at', n.meta.createdAt],
    [0, 'Status'],
    [1, 'State', capitalize(n.status.state)],
    [1, 'Availability', capitalize(n.spec.availability)],
    [1, 'Address', n.status.addr],
  ];
  const labels = Object.entries(n.spec.labels ?? {});
  if (labels.length > 0) {
    lines.push([0, 'Labels']);
    for (const [k, v] of labels) lines.push([1, k, v]);
  }
  if (n.managerStatus) {
    lines.push(
      [0, 'Manager Status'],
      [1, 'Address', n.managerStatus.addr],
      [1, 'Raft Status', capitalize(n.managerStatus.reachability)],
      [1, 'Leader', n.managerStatus.leader ? 'Yes' : 'No'],
    );
  }
  if (n.description) {
    const d = n.description;
    lines.push(
      [0, 'Platform'],
      [1, 'Operating System', d.platform.os],
      [1, 'Architecture', d.platform.architecture],
      [0, 'Resources'],
      [1, 'CPUs', String(d.resources.nanoCpus / 1e9)],
      [1, 'Memory', formatBytes(d.resources.memoryBytes)],
      [0, 'Engine Version', d.engine.engineVersion],
    );
  }
  return render(lines);
}
