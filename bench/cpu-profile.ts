// Summarises a V8 .cpuprofile (as `node --cpu-prof` writes it): self time per function and per
// source file or package. The Raft benchmark uses it to say where the leader's time goes.

import { readFile } from 'node:fs/promises';

export interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, as V8 reports it. */
  lineNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  /** Node id of each sample, in time order. */
  samples: number[];
  /** Microseconds before each sample (the first is relative to startTime). */
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  /** `functionName` (or `(anonymous)`), or the file/package when grouped by module. */
  name: string;
  /** Where it is: a short file path with its line, `node:…`, or '' for V8's own entries. */
  location: string;
  selfMs: number;
  /** Share of all sampled time, idle included. */
  shareOfTotal: number;
  /** Share of the time the thread was busy (everything but `(idle)`). */
  shareOfBusy: number;
}

export interface ProfileSummary {
  /** True when only the samples inside the requested window were counted. */
  windowed: boolean;
  totalMs: number;
  idleMs: number;
  byFunction: SelfTime[];
  byModule: SelfTime[];
}

export async function readCpuProfile(path: string): Promise<CpuProfile> {
  return parseCpuProfile(JSON.parse(await readFile(path, 'utf8')) as unknown, path);
}

/** Narrows the JSON to what summarise() reads; anything else in the file is ignored. */
export function parseCpuProfile(value: unknown, source = 'cpuprofile'): CpuProfile {
  const fail = (what: string): never => {
    throw new Error(`${source}: not a V8 cpuprofile (${what})`);
  };
  if (!isRecord(value)) return fail('not an object');
  const { nodes, samples, timeDeltas, startTime, endTime } = value;
  if (!Array.isArray(nodes)) return fail('no nodes[]');
  if (typeof startTime !== 'number' || typeof endTime !== 'number') return fail('no startTime/endTime');
  const parsedNodes = nodes.map((node: unknown): ProfileNode => {
    if (!isRecord(node) || typeof node['id'] !== 'number' || !isRecord(node['callFrame']))
      return fail('bad node');
    const frame = node['callFrame'];
    return {
      id: node['id'],
      hitCount: typeof node['hitCount'] === 'number' ? node['hitCount'] : 0,
      callFrame: {
        functionName: typeof frame['functionName'] === 'string' ? frame['functionName'] : '',
        url: typeof frame['url'] === 'string' ? frame['url'] : '',
        lineNumber: typeof frame['lineNumber'] === 'number' ? frame['lineNumber'] : -1,
      },
    };
  });
  const numbers = (v: unknown): number[] =>
    Array.isArray(v) && v.every((n) => typeof n === 'number') ? v : [];
  return {
    nodes: parsedNodes,
    samples: numbers(samples),
    timeDeltas: numbers(timeDeltas),
    startTime,
    endTime,
  };
}

/** A span of the profiled process's life, in V8's clock: CLOCK_MONOTONIC microseconds on Linux,
 * the clock of `process.hrtime.bigint() / 1000n` in any process on the machine. */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

/**
 * Self time per function (functionName + url) and per module, counting only samples inside
 * `window` when given. A sample's duration is the gap to the next sample, as Chrome DevTools
 * counts it; without samples, hitCount times the mean gap (and the window cannot apply).
 */
export function summariseCpuProfile(
  profile: CpuProfile,
  projectRoot: string,
  window?: ProfileWindow,
): ProfileSummary {
  const selfUsByNode = new Map<number, number>();
  let windowed = false;
  if (profile.samples.length > 0 && profile.timeDeltas.length === profile.samples.length) {
    const meanUs = (profile.endTime - profile.startTime) / profile.samples.length;
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      at += profile.timeDeltas[i] ?? 0;
      if (window && (at < window.fromUs || at > window.toUs)) return;
      const us = profile.timeDeltas[i + 1] ?? meanUs;
      selfUsByNode.set(id, (selfUsByNode.get(id) ?? 0) + Math.max(0, us));
    });
    windowed = window !== undefined;
    if (windowed && selfUsByNode.size === 0) {
      throw new Error(
        `no samples between ${window?.fromUs} and ${window?.toUs} us; the profile spans ${profile.startTime}..${profile.endTime}`,
      );
    }
  } else {
    const hits = profile.nodes.reduce((sum, n) => sum + n.hitCount, 0);
    const meanUs = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const n of profile.nodes) selfUsByNode.set(n.id, n.hitCount * meanUs);
  }

  const byFunction = new Map<string, { name: string; location: string; us: number }>();
  const byModule = new Map<string, { name: string; location: string; us: number }>();
  let totalUs = 0;
  let idleUs = 0;
  for (const node of profile.nodes) {
    const us = selfUsByNode.get(node.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') idleUs += us;
    const file = shortUrl(url, projectRoot);
    const fnKey = `${functionName}\u0000${url}`;
    const fn = byFunction.get(fnKey) ?? {
      name: functionName === '' ? '(anonymous)' : functionName,
      location: file === '' ? '' : `${file}:${lineNumber + 1}`,
      us: 0,
    };
    fn.us += us;
    byFunction.set(fnKey, fn);
    const moduleName = moduleOf(functionName, file);
    const mod = byModule.get(moduleName) ?? { name: moduleName, location: '', us: 0 };
    mod.us += us;
    byModule.set(moduleName, mod);
  }
  const busyUs = totalUs - idleUs;
  const finish = (rows: Iterable<{ name: string; location: string; us: number }>): SelfTime[] =>
    [...rows]
      .map((r) => ({
        name: r.name,
        location: r.location,
        selfMs: r.us / 1000,
        shareOfTotal: totalUs > 0 ? r.us / totalUs : 0,
        shareOfBusy: busyUs > 0 && r.name !== '(idle)' ? r.us / busyUs : 0,
      }))
      .sort((a, b) => b.selfMs - a.selfMs);
  return {
    windowed,
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    byFunction: finish(byFunction.values()),
    byModule: finish(byModule.values()),
  };
}

/** `src/raft/node.js`, `@grpc/grpc-js/build/src/…`, `node:internal/…`; '' for V8's own entries. */
function shortUrl(url: string, projectRoot: string): string {
  if (url === '') return '';
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const nodeModules = path.lastIndexOf('/node_modules/');
  if (nodeModules >= 0) return path.slice(nodeModules + '/node_modules/'.length);
  if (path.startsWith(projectRoot + '/')) path = path.slice(projectRoot.length + 1);
  return path.startsWith('dist/') ? path.slice('dist/'.length) : path;
}

/** The package (`@grpc/grpc-js`, `msgpackr`), our own file, a `node:` file, or V8's bucket. */
function moduleOf(functionName: string, file: string): string {
  if (file === '') return functionName.startsWith('(') ? functionName : '(native builtins)';
  if (file.startsWith('node:')) return file;
  if (
    !file.startsWith('/') &&
    !file.startsWith('src/') &&
    !file.startsWith('examples/') &&
    !file.startsWith('bench/')
  ) {
    const parts = file.split('/');
    return file.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? file);
  }
  return file;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
