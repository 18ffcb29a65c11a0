// bench:mesh — the routing mesh against a direct connection and HAProxy on loopback. Two keep-alive
// Node HTTP backends (each its own process) and two busybox httpd serving a 1 GiB sparse file;
// two meshes as two nodes (each its own process, TLS tunnels); HAProxy in TCP mode, one thread,
// round robin over the same backends. wrk (32 connections, 15 s) and curl (the 1 GiB transfer)
// load each path 3 times, interleaved; figures are medians of the runs. Prints a table and writes
// bench/results/mesh.json. Asserts nothing; the targets are printed beside the figures.
// Run: npm run bench:mesh

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Node, Service, Task } from '../src/api/index.js';
import {
  createCsr,
  createRootCA,
  generateNodeKey,
  issueNodeCertificate,
  type TlsIdentity,
} from '../src/ca/index.js';
import { computeEndpointTable, defaultDataPlaneWorkers } from '../src/mesh/index.js';
import { findProjectRoot, sleep } from './support.js';
import type { MeshNodeConfig } from './support/mesh-node.js';

const RUNS = Number(process.env.MESH_BENCH_RUNS ?? 3);
/** Data-plane workers per mesh node (default: what the daemon runs on this machine). */
const WORKERS = Number(process.env.MESH_BENCH_WORKERS ?? defaultDataPlaneWorkers());
const CONNECTIONS = 32;
const DURATION_S = Number(process.env.MESH_BENCH_SECONDS ?? 15);
const BULK_BYTES = 1024 ** 3;

const MESH_A = '127.0.0.241';
const MESH_B = '127.0.0.242';
const BACKENDS = '127.0.0.243';
const HAPROXY = '127.0.0.244';
const HTTP_PORTS = [18300, 18301];
const BULK_PORTS = [18310, 18311];
const TUNNEL_PORT = 18290;
const MESH_PORTS = { httpLocal: 18280, httpRemote: 18281, bulkLocal: 18282, bulkRemote: 18283 };
const HAPROXY_PORTS = { http: 18380, bulk: 18381 };

const children: ChildProcess[] = [];
const stderrOf = new WeakMap<ChildProcess, string>();

// ---- Tools ----

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** wrk, haproxy and curl from Debian's packages, installed when missing. */
function ensureTools(): void {
  const missing = [
    ['wrk', 'wrk'],
    ['haproxy', 'haproxy'],
    ['curl', 'curl'],
  ].filter(([tool]) => !has(tool as string));
  if (missing.length > 0) {
    const packages = missing.map(([, pkg]) => pkg as string);
    console.log(`installing ${packages.join(', ')} with apt-get …`);
    const install = (): boolean => {
      try {
        execFileSync('apt-get', ['install', '-y', ...packages], { stdio: 'ignore', timeout: 300_000 });
        return true;
      } catch {
        return false;
      }
    };
    if (!install()) {
      try {
        execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 });
      } catch {
        // Reported below with the install failure.
      }
      if (!install())
        throw new Error(
          `bench:mesh needs ${packages.join(', ')} (Debian packages) and could not install them with apt-get ` +
            `(not root, or no package source?). Install them and run again.`,
        );
    }
  }
  if (!has('busybox'))
    throw new Error('bench:mesh needs busybox (its httpd serves the bulk file): apt-get install busybox');
}

// ---- Processes ----

/** Starts a process of ours; resolves once it printed `ready` (or at once with readyLine null). */
async function start(command: string, args: string[], readyLine: string | null): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
    stderrOf.set(child, stderr);
  });
  if (readyLine === null) {
    child.stdout?.resume();
    return child;
  }
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`${command} did not start within 20 s: ${stderr}`)),
      20_000,
    );
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(readyLine)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}: ${stderr}`));
    });
  });
  return child;
}

async function waitForPort(host: string, port: number, what: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (child !== undefined && child.exitCode !== null)
      throw new Error(`${what} exited with ${child.exitCode}: ${stderrOf.get(child) ?? ''}`);
    if (Date.now() > deadline) throw new Error(`${what} (${host}:${port}) did not open within 10 s`);
    await sleep(50);
  }
}

/** Stops only the processes this bench started, by their pid. */
async function stopChildren(): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

// ---- Loads ----

interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function toMs(text: string): number {
  const m = /([\d.]+)(us|ms|s|m)/.exec(text);
  if (m === null) return Number.NaN;
  const value = Number(m[1]);
  return m[2] === 'us' ? value / 1000 : m[2] === 'ms' ? value : m[2] === 's' ? value * 1000 : value * 60_000;
}

function wrk(url: string, seconds: number, connections = CONNECTIONS): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s', url],
      { timeout: (seconds + 30) * 1000 },
      (err, stdout) => {
        if (err) return reject(new Error(`wrk ${url}: ${err.message}`));
        const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
        const p50 = /\s50%\s+(\S+)/.exec(stdout);
        const p99 = /\s99%\s+(\S+)/.exec(stdout);
        const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
        const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
        if (!rps || !p50 || !p99) return reject(new Error(`unreadable wrk output:\n${stdout}`));
        resolve({
          rps: Number(rps[1]),
          p50Ms: toMs(p50[1] as string),
          p99Ms: toMs(p99[1] as string),
          errors:
            (errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0) +
            (non2xx ? Number(non2xx[1]) : 0),
        });
      },
    );
  });
}

/** Bytes per second of one download of the 1 GiB file. */
function download(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      ['-s', '-o', '/dev/null', '--max-time', '120', '-w', '%{size_download} %{time_total}', url],
      { timeout: 130_000 },
      (err, stdout) => {
        if (err) return reject(new Error(`curl ${url}: ${err.message}`));
        const [size, seconds] = stdout.trim().split(' ').map(Number);
        if (size !== BULK_BYTES)
          return reject(new Error(`curl ${url}: got ${size} bytes, expected ${BULK_BYTES}`));
        resolve(size / (seconds as number));
      },
    );
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

// ---- Cluster objects for the table ----

const T0 = '2026-01-01T00:00:00.000Z';
const meta = { version: { index: 1 }, createdAt: T0, updatedAt: T0 };

function service(id: string, publishedPort: number): Service {
  return {
    id,
    meta,
    spec: {
      name: id,
      taskTemplate: { containerSpec: { image: 'bench' } },
      endpointSpec: { ports: [{ targetPort: 80, publishedPort }] },
    },
  };
}

function task(id: string, serviceId: string, nodeId: string): Task {
  return {
    id,
    meta,
    labels: {},
    spec: { containerSpec: { image: 'bench' } },
    serviceId,
    nodeId,
    status: { timestamp: T0, state: 'running', message: '' },
    desiredState: 'running',
  };
}

function node(id: string, addr: string): Node {
  return { id, meta, spec: { role: 'worker', availability: 'active' }, status: { state: 'ready', addr } };
}

async function identity(ca: Awaited<ReturnType<typeof createRootCA>>, nodeId: string): Promise<TlsIdentity> {
  const keyPem = await generateNodeKey();
  const certPem = await issueNodeCertificate(ca, await createCsr(keyPem), {
    nodeId,
    role: 'worker',
    clusterId: 'benchcluster00000000000001',
  });
  return { keyPem, certChainPem: certPem, rootsPem: ca.certPem };
}

// ---- Main ----

async function main(): Promise<void> {
  const root = findProjectRoot();
  const dist = join(root, 'dist', 'bench', 'support');
  ensureTools();
  const load = loadavg();
  console.log(
    `bench:mesh on ${HTTP_PORTS.length} backends, ${CONNECTIONS} connections, ${DURATION_S} s × ${RUNS} runs per path; load average at start ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-mesh-'));
  try {
    // The bulk file: sparse, so it costs no disk.
    const file = await open(join(dir, 'big.bin'), 'w');
    await file.truncate(BULK_BYTES);
    await file.close();

    for (const [i, port] of HTTP_PORTS.entries())
      await start('node', [join(dist, 'mesh-http-backend.js'), BACKENDS, String(port), `b${i + 1}`], 'ready');
    for (const port of BULK_PORTS) {
      const httpd = await start('busybox', ['httpd', '-f', '-p', `${BACKENDS}:${port}`, '-h', dir], null);
      await waitForPort(BACKENDS, port, 'busybox httpd', httpd);
    }

    const ca = await createRootCA();
    const services = [
      service('http-local', MESH_PORTS.httpLocal),
      service('http-remote', MESH_PORTS.httpRemote),
      service('bulk-local', MESH_PORTS.bulkLocal),
      service('bulk-remote', MESH_PORTS.bulkRemote),
    ];
    const tasks = [
      task('hl1', 'http-local', 'nodeA'),
      task('hl2', 'http-local', 'nodeA'),
      task('hr1', 'http-remote', 'nodeB'),
      task('hr2', 'http-remote', 'nodeB'),
      task('bl1', 'bulk-local', 'nodeA'),
      task('bl2', 'bulk-local', 'nodeA'),
      task('br1', 'bulk-remote', 'nodeB'),
      task('br2', 'bulk-remote', 'nodeB'),
    ];
    const table = computeEndpointTable(services, tasks, [node('nodeA', MESH_A), node('nodeB', MESH_B)], {
      tunnelPort: TUNNEL_PORT,
      version: 1,
    });
    const taskAddresses = {
      hl1: { host: BACKENDS, port: HTTP_PORTS[0] as number },
      hl2: { host: BACKENDS, port: HTTP_PORTS[1] as number },
      hr1: { host: BACKENDS, port: HTTP_PORTS[0] as number },
      hr2: { host: BACKENDS, port: HTTP_PORTS[1] as number },
      bl1: { host: BACKENDS, port: BULK_PORTS[0] as number },
      bl2: { host: BACKENDS, port: BULK_PORTS[1] as number },
      br1: { host: BACKENDS, port: BULK_PORTS[0] as number },
      br2: { host: BACKENDS, port: BULK_PORTS[1] as number },
    };
    for (const [nodeId, host] of [
      ['nodeA', MESH_A],
      ['nodeB', MESH_B],
    ] as const) {
      const config: MeshNodeConfig = {
        nodeId,
        host,
        tunnelPort: TUNNEL_PORT,
        tls: await identity(ca, nodeId),
        table,
        tasks: taskAddresses,
        dataPlaneWorkers: WORKERS,
      };
      const path = join(dir, `${nodeId}.json`);
      await writeFile(path, JSON.stringify(config), { mode: 0o600 });
      await start('node', [join(dist, 'mesh-node.js'), path], 'ready');
    }

    const cfg = [
      'global',
      '  nbthread 1',
      '  maxconn 4096',
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      `frontend http`,
      `  bind ${HAPROXY}:${HAPROXY_PORTS.http}`,
      '  default_backend http',
      'backend http',
      '  balance roundrobin',
      ...HTTP_PORTS.map((p, i) => `  server b${i + 1} ${BACKENDS}:${p}`),
      `frontend bulk`,
      `  bind ${HAPROXY}:${HAPROXY_PORTS.bulk}`,
      '  default_backend bulk',
      'backend bulk',
      '  balance roundrobin',
      ...BULK_PORTS.map((p, i) => `  server b${i + 1} ${BACKENDS}:${p}`),
      '',
    ].join('\n');
    await writeFile(join(dir, 'haproxy.cfg'), cfg);
    const haproxy = await start('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], null);
    await waitForPort(HAPROXY, HAPROXY_PORTS.http, 'haproxy', haproxy);

    const paths = {
      direct: `http://${BACKENDS}:${HTTP_PORTS[0]}/`,
      mesh_local: `http://${MESH_A}:${MESH_PORTS.httpLocal}/`,
      mesh_remote: `http://${MESH_A}:${MESH_PORTS.httpRemote}/`,
      haproxy: `http://${HAPROXY}:${HAPROXY_PORTS.http}/`,
    };
    const bulkPaths = {
      direct: `http://${BACKENDS}:${BULK_PORTS[0]}/big.bin`,
      mesh_local: `http://${MESH_A}:${MESH_PORTS.bulkLocal}/big.bin`,
      mesh_remote: `http://${MESH_A}:${MESH_PORTS.bulkRemote}/big.bin`,
      haproxy: `http://${HAPROXY}:${HAPROXY_PORTS.bulk}/big.bin`,
    };
    type PathName = keyof typeof paths;
    const names = Object.keys(paths) as PathName[];

    // Warm up every path (JIT, tunnels dialed, connection pools).
    for (const name of names) await wrk(paths[name], 2);

    const runs: Record<PathName, WrkResult[]> = { direct: [], mesh_local: [], mesh_remote: [], haproxy: [] };
    for (let run = 1; run <= RUNS; run++) {
      for (const name of names) {
        const result = await wrk(paths[name], DURATION_S);
        runs[name].push(result);
        console.log(
          `  run ${run} ${name.padEnd(11)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms${result.errors > 0 ? `  errors ${result.errors}` : ''}`,
        );
      }
    }
    const bulkRuns: Record<PathName, number[]> = { direct: [], mesh_local: [], mesh_remote: [], haproxy: [] };
    for (let run = 1; run <= RUNS; run++) {
      for (const name of names) {
        const bps = await download(bulkPaths[name]);
        bulkRuns[name].push(bps);
        console.log(`  bulk run ${run} ${name.padEnd(11)} ${(bps / 2 ** 20).toFixed(0).padStart(6)} MiB/s`);
      }
    }

    const rps = (n: PathName): number => median(runs[n].map((r) => r.rps));
    const p50 = (n: PathName): number => median(runs[n].map((r) => r.p50Ms));
    const p99 = (n: PathName): number => median(runs[n].map((r) => r.p99Ms));
    const bulk = (n: PathName): number => median(bulkRuns[n]);
    const direct = rps('direct');
    const results = {
      direct_rps: direct,
      mesh_local_rps: rps('mesh_local'),
      mesh_remote_rps: rps('mesh_remote'),
      haproxy_rps: rps('haproxy'),
      ratio_local: rps('mesh_local') / direct,
      ratio_remote: rps('mesh_remote') / direct,
      haproxy_ratio: rps('haproxy') / direct,
      added_p50_ms: p50('mesh_local') - p50('direct'),
      added_p99_ms: p99('mesh_local') - p99('direct'),
      added_p50_remote_ms: p50('mesh_remote') - p50('direct'),
      added_p99_remote_ms: p99('mesh_remote') - p99('direct'),
      haproxy_added_p99_ms: p99('haproxy') - p99('direct'),
      bulk_direct_mib_s: bulk('direct') / 2 ** 20,
      bulk_ratio: bulk('mesh_local') / bulk('direct'),
      bulk_remote_ratio: bulk('mesh_remote') / bulk('direct'),
      haproxy_bulk_ratio: bulk('haproxy') / bulk('direct'),
      conditions: {
        connections: CONNECTIONS,
        seconds: DURATION_S,
        runs: RUNS,
        statistic: 'median of runs',
        tunnel: 'TLS 1.3 (AES-128-GCM), 2 sessions per node pair, shared out among its processes',
        processes: 'each backend, each mesh node and haproxy (nbthread 1) in its own process',
        mesh_data_plane_workers: WORKERS,
        cpus: 2,
        load_average_at_start: load,
        note: 'wrk, the backends, the meshes and HAProxy share the 2 cores: a path is as fast as the CPU the others leave it',
      },
      runs,
      bulk_runs_bytes_per_s: bulkRuns,
    };

    const row = (name: string, value: string, target = ''): string =>
      `  ${name.padEnd(22)} ${value.padStart(12)}  ${target}`;
    console.log('\nbench:mesh results (medians)');
    console.log(row('direct req/s', direct.toFixed(0)));
    console.log(row('mesh local req/s', results.mesh_local_rps.toFixed(0)));
    console.log(row('mesh remote req/s', results.mesh_remote_rps.toFixed(0)));
    console.log(row('haproxy req/s', results.haproxy_rps.toFixed(0)));
    console.log(
      row(
        'ratio_local',
        results.ratio_local.toFixed(3),
        `target ≥ ${(0.8 * results.haproxy_ratio).toFixed(3)} (0.8 × haproxy_ratio)`,
      ),
    );
    console.log(
      row(
        'ratio_remote',
        results.ratio_remote.toFixed(3),
        `target ≥ ${(0.6 * results.haproxy_ratio).toFixed(3)} (0.6 × haproxy_ratio)`,
      ),
    );
    console.log(row('haproxy_ratio', results.haproxy_ratio.toFixed(3)));
    console.log(row('added_p50_ms', results.added_p50_ms.toFixed(3)));
    console.log(row('added_p99_ms', results.added_p99_ms.toFixed(3), 'target < 2'));
    console.log(row('bulk direct MiB/s', results.bulk_direct_mib_s.toFixed(0)));
    console.log(
      row(
        'bulk_ratio',
        results.bulk_ratio.toFixed(3),
        `target ≥ ${results.haproxy_bulk_ratio.toFixed(3)} (haproxy_bulk_ratio)`,
      ),
    );
    console.log(row('bulk_remote_ratio', results.bulk_remote_ratio.toFixed(3)));
    console.log(row('haproxy_bulk_ratio', results.haproxy_bulk_ratio.toFixed(3)));

    const out = join(root, 'bench', 'results');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'mesh.json'), JSON.stringify(results, null, 2) + '\n');
    console.log(`\nwrote ${join('bench', 'results', 'mesh.json')}`);
  } finally {
    await stopChildren();
    await rm(dir, { recursive: true, force: true });
  }
}

process.on('SIGINT', () => {
  void stopChildren().finally(() => process.exit(130));
});

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  await stopChildren();
  process.exit(1);
});
