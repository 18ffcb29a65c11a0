// `npm run demo`: a local Flotilla cluster driven by the `flotilla` command, as an operator would
// drive one on VMs. Three managers and two workers run as separate processes on 127.0.0.211-215
// (data in a temporary directory); a web service is deployed from a compose file with the
// convergence view and answers on port 8080 of every node (the routing mesh); then the leader is killed with SIGKILL and another manager takes over, and a
// worker is killed and its tasks are rescheduled on the nodes left. Everything it started is
// stopped and its containers removed at the end, unless --keep (then it says how to use the CLI
// on the cluster it leaves running).
//
// Tasks run on the local Docker Engine when one answers (scripts/demo.sh tries to set one up),
// otherwise as plain processes (--executor process).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const composeFile = join(root, 'examples', 'demo', 'compose.yml');
/** Merged over it for plain processes, which share the host's ports. */
const processOverride = join(root, 'examples', 'demo', 'compose.process.yml');
const STACK = 'demo';
const SERVICE = `${STACK}_web`;

interface DemoNode {
  name: string;
  addr: string;
  dataDir: string;
  process: ChildProcess | null;
}

const keep = process.argv.includes('--keep');
const executor = process.argv.includes('--process') ? 'process' : dockerAnswers() ? 'docker' : 'process';

function dockerAnswers(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
}

function say(line = ''): void {
  console.log(line);
}

/** Runs `flotilla ARGS` against `node`'s admin socket; its output is shown unless quiet. */
function flotilla(node: DemoNode, args: string[], options: { quiet?: boolean } = {}): string {
  const result = spawnSync(process.execPath, [cli, ...args, '--data-dir', node.dataDir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) throw new Error(`flotilla ${args.join(' ')}: ${result.stderr.trim()}`);
  if (!options.quiet) process.stdout.write(indent(result.stdout));
  return result.stdout;
}

/** The same, in the foreground with the terminal: the convergence view draws itself. */
function flotillaLive(node: DemoNode, args: string[]): void {
  const result = spawnSync(process.execPath, [cli, ...args, '--data-dir', node.dataDir], {
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`flotilla ${args.join(' ')} failed (exit ${result.status})`);
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '    ');
}

/** Starts a node daemon (`flotilla init|join …`) in the background, its output in its data dir. */
function daemon(node: DemoNode, args: string[]): void {
  const log = openSync(join(dirname(node.dataDir), `${node.name}.log`), 'a');
  node.process = spawn(
    process.execPath,
    [
      cli,
      ...args,
      '--data-dir',
      node.dataDir,
      '--listen-addr',
      `${node.addr}:2377`,
      '--hostname',
      `demo-${node.name}`,
      '--executor',
      executor,
    ],
    { stdio: ['ignore', log, log], detached: keep },
  );
  if (keep) node.process.unref();
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    try {
      if (check()) return Date.now() - start;
    } catch {
      // Not answering yet: a node still starting, or an election under way.
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** One request to port 8080 of `host` on a connection of its own (so the mesh balances it). */
function get(host: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ host, port: 8080, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Requests to port 8080 of every node: the routing mesh answers on each from any replica. */
async function showMesh(nodes: DemoNode[]): Promise<void> {
  say('$ curl http://<every node>:8080/   (the routing mesh balances each request over the replicas)');
  for (const node of nodes) {
    const deadline = Date.now() + 30_000;
    let answers: Array<string | null> = [];
    do {
      answers = [];
      for (let i = 0; i < 4; i++) answers.push(await get(node.addr));
      if (answers.every((a) => a !== null)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } while (Date.now() < deadline);
    if (answers.some((a) => a === null))
      throw new Error(`port 8080 of ${node.name} (${node.addr}) does not answer`);
    say(`    ${node.name} ${node.addr}:8080 → ${answers.join(' | ')}`);
  }
}

function readyNodes(via: DemoNode): number {
  return flotilla(via, ['node', 'ls', '--format', '{{.Status}}'], { quiet: true })
    .split('\n')
    .filter((s) => s.trim() === 'Ready').length;
}

function leaderName(via: DemoNode): string {
  const line = flotilla(via, ['node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}'], { quiet: true })
    .split('\n')
    .find((l) => l.endsWith(' Leader'));
  return line === undefined ? '' : line.split(' ')[0]!.replace(/^demo-/, '');
}

function runningTasks(via: DemoNode): Array<{ name: string; node: string }> {
  return flotilla(
    via,
    [
      'service',
      'ps',
      SERVICE,
      '-f',
      'desired-state=running',
      '--format',
      '{{.Name}} {{.Node}} {{.CurrentState}}',
    ],
    {
      quiet: true,
    },
  )
    .split('\n')
    .filter((l) => / Running /.test(l))
    .map((l) => {
      const [name, node] = l.split(' ');
      return { name: name!, node: node!.replace(/^demo-/, '') };
    });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-demo-'));
  const nodes: DemoNode[] = ['m1', 'm2', 'm3', 'w1', 'w2'].map((name, i) => ({
    name,
    addr: `127.0.0.${211 + i}`,
    dataDir: join(dir, name),
    process: null,
  }));
  const [m1, m2, m3, w1, w2] = nodes as [DemoNode, DemoNode, DemoNode, DemoNode, DemoNode];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  let failed = false;
  try {
    say(
      `Flotilla demo: 3 managers and 2 workers on 127.0.0.211-215, tasks as ${executor === 'docker' ? 'Docker containers' : 'plain processes (no Docker Engine answers)'}; data in ${dir}`,
    );
    say();
    say(`$ flotilla init --listen-addr ${m1.addr}:2377`);
    daemon(m1, ['init']);
    await until('the first manager', () => readyNodes(m1) === 1);
    const managerToken = flotilla(m1, ['join-token', '-q', 'manager'], { quiet: true }).trim();
    const workerToken = flotilla(m1, ['join-token', '-q', 'worker'], { quiet: true }).trim();
    say(
      `$ flotilla join --token ${workerToken.slice(0, 22)}… ${m1.addr}:2377   (on m2, m3 with the manager token; w1, w2)`,
    );
    for (const node of [m2, m3]) daemon(node, ['join', '--token', managerToken, `${m1.addr}:2377`]);
    for (const node of [w1, w2]) daemon(node, ['join', '--token', workerToken, `${m1.addr}:2377`]);
    await until('5 ready nodes', () => readyNodes(m1) === 5);
    say();
    say('$ flotilla node ls');
    flotilla(m1, ['node', 'ls']);

    say();
    say(
      `$ flotilla stack deploy -c examples/demo/compose.yml${executor === 'docker' ? '' : ' -c examples/demo/compose.process.yml'} ${STACK}`,
    );
    const files = executor === 'docker' ? [composeFile] : [composeFile, processOverride];
    flotillaLive(m1, ['stack', 'deploy', ...files.flatMap((f) => ['-c', f]), STACK]);
    await until('4 running tasks', () => runningTasks(m1).length === 4);
    say();
    say(`$ flotilla service ps ${SERVICE}`);
    flotilla(m1, ['service', 'ps', SERVICE]);
    // Plain processes share the host's network and serve no page (compose.process.yml).
    if (executor === 'docker') {
      say();
      await showMesh(nodes);
    }

    const oldLeader = byName.get(leaderName(m1))!;
    const survivor = [m1, m2, m3].find((m) => m !== oldLeader)!;
    say();
    say(`Killing the leader, ${oldLeader.name}, with SIGKILL …`);
    oldLeader.process?.kill('SIGKILL');
    oldLeader.process = null;
    const tookMs = await until('a new leader', () => {
      const name = leaderName(survivor);
      return name !== '' && name !== oldLeader.name;
    });
    say(`  ${leaderName(survivor)} leads after ${(tookMs / 1000).toFixed(1)} s`);
    await until(`${oldLeader.name} to show as unreachable`, () =>
      flotilla(survivor, ['node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}'], {
        quiet: true,
      }).includes(`demo-${oldLeader.name} Unreachable`),
    );
    say('$ flotilla node ls');
    flotilla(survivor, ['node', 'ls']);

    const victim = runningTasks(survivor).some((t) => t.node === w1.name) ? w1 : w2;
    say();
    say(`Killing the worker ${victim.name} with SIGKILL …`);
    victim.process?.kill('SIGKILL');
    victim.process = null;
    const rescheduledMs = await until(
      `${victim.name}'s tasks running elsewhere`,
      () => {
        const tasks = runningTasks(survivor);
        return tasks.length === 4 && tasks.every((t) => t.node !== victim.name);
      },
      90_000,
    );
    say(
      `  its tasks run on the nodes left after ${(rescheduledMs / 1000).toFixed(1)} s (it was marked down first)`,
    );
    say(`$ flotilla service ps ${SERVICE}`);
    flotilla(survivor, ['service', 'ps', SERVICE]);
    if (executor === 'docker') {
      say();
      await showMesh(nodes.filter((n) => n.process !== null));
    }
  } catch (err) {
    failed = true;
    console.error(`demo: ${err instanceof Error ? err.message : String(err)} (node logs in ${dir})`);
  }
  if (keep && !failed) {
    const alive = nodes.find((n) => n.process !== null && n.name.startsWith('m'))!;
    say();
    say(`The cluster keeps running (--keep). Try:`);
    say(`  node dist/src/cli/main.js --data-dir ${alive.dataDir} service ls`);
    say(`  node dist/src/cli/main.js --data-dir ${alive.dataDir} service scale ${SERVICE}=6`);
    say(
      `Stop it with: kill ${nodes.flatMap((n) => (n.process?.pid === undefined ? [] : [n.process.pid])).join(' ')}`,
    );
    return;
  }
  say();
  say('Stopping everything the demo started …');
  await cleanUp(nodes, dir);
  if (failed) process.exitCode = 1;
}

/**
 * Stops every node process the demo started (SIGTERM, all at once so the managers keep their
 * quorum while they go; SIGKILL after 15 s), then what their tasks left: the service's
 * containers, or the process executor's task process groups (found by the demo's data directory
 * on their command line), and the data.
 */
async function cleanUp(nodes: DemoNode[], dir: string): Promise<void> {
  await Promise.all(nodes.map((node) => stopProcess(node.process)));
  if (executor === 'docker') {
    const list = spawnSync(
      'docker',
      ['ps', '-aq', '--filter', `label=com.flotilla.service.name=${SERVICE}`],
      {
        encoding: 'utf8',
      },
    );
    const ids = list.stdout.split('\n').filter((id) => id !== '');
    if (ids.length > 0) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
    say(`  removed ${ids.length} container(s)`);
  } else {
    let groups = 0;
    for (const pid of processesMentioning(dir)) {
      try {
        process.kill(-pid, 'SIGKILL'); // the task wrapper leads its own process group
        groups++;
      } catch {
        // Gone meanwhile.
      }
    }
    say(`  stopped ${groups} task process group(s)`);
  }
  await rm(dir, { recursive: true, force: true });
  say('  done');
}

function stopProcess(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Pids whose command line names `dir` (the process executor's task wrappers). */
function processesMentioning(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return pids;
}

await main();
