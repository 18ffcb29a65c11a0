// End to end on the real Docker Engine: `service logs` of a 4-replica service spread over 2
// managers and 2 workers. The lines each container printed reach the client merged from several
// nodes (leader's broker, each node's LogSubscriptions and PublishLogs, the engine's logs); tail,
// follow and a request through the follower manager (forwarded over mTLS) are checked too.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceLogLine } from '../../src/index.js';
import { DockerCluster, sleeper } from '../support/docker-cluster.js';
import { waitUntil } from '../support/manager-cluster.js';
import { waitUntil as poll } from '../support/wait.js';

let cluster: DockerCluster;
let serviceId: string;

const REPLICAS = 4;
const LINES_PER_TASK = 3;

beforeAll(async () => {
  cluster = await DockerCluster.start({ managers: 2, workers: 2, hostBase: 170 });
  const client = await cluster.anyClient();
  // Each replica says which slot it is ({{.Task.Slot}} expanded by the worker), then waits.
  const script = `for i in 1 2 3; do echo "$SLOT line $i"; done; exec sleep 3600`;
  const base = sleeper('talker', REPLICAS);
  ({ id: serviceId } = await client.createService({
    ...base,
    taskTemplate: {
      ...base.taskTemplate,
      containerSpec: {
        ...base.taskTemplate.containerSpec,
        command: ['sh', '-c', script],
        env: ['SLOT=slot-{{.Task.Slot}}'],
      },
    },
  }));
  await waitUntil(
    `${REPLICAS} running tasks of the service`,
    async () =>
      (await client.listTasks({ services: [serviceId] })).filter((t) => t.status.state === 'running')
        .length === REPLICAS,
    60_000,
  );
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

async function collect(lines: AsyncIterable<ServiceLogLine>): Promise<ServiceLogLine[]> {
  const all: ServiceLogLine[] = [];
  for await (const l of lines) all.push(l);
  return all;
}

/** The service's logs, asked again until every replica's lines are there (they print at start). */
async function allLines(managerName: string): Promise<ServiceLogLine[]> {
  const client = cluster.client(managerName);
  let lines: ServiceLogLine[] = [];
  await poll(
    `${REPLICAS * LINES_PER_TASK} log lines through ${managerName}`,
    async () => {
      lines = await collect(client.serviceLogs('talker'));
      return lines.length >= REPLICAS * LINES_PER_TASK;
    },
    30_000,
    { intervalMs: 250, retryOnError: true },
  );
  return lines;
}

/** The manager that does not lead. */
async function follower(): Promise<string> {
  const client = await cluster.anyClient();
  const nodes = await client.listNodes();
  const leaderId = nodes.find((n) => n.managerStatus?.leader === true)?.id;
  const name = cluster.managerNames.find((m) => cluster.nodeId(m) !== leaderId);
  if (leaderId === undefined || name === undefined) throw new Error('no leader, or no follower');
  return name;
}

describe('service logs on a cluster of 2 managers and 2 workers', () => {
  it('gathers every replica’s lines, merged from several nodes', async () => {
    const lines = await allLines('m1');
    expect(lines).toHaveLength(REPLICAS * LINES_PER_TASK);
    const tasks = await (await cluster.anyClient()).listTasks({ services: [serviceId] });
    for (const l of lines) {
      const task = tasks.find((t) => t.id === l.taskId);
      expect(task, `line ${JSON.stringify(l.line)} comes from a task of the service`).toBeDefined();
      // What the container printed, tagged with the task that printed it.
      expect(l.line).toMatch(new RegExp(`^slot-${task!.slot} line [123]$`));
      expect(l.nodeId).toBe(task!.nodeId);
      expect(l.serviceId).toBe(serviceId);
      expect(l.serviceName).toBe('talker');
      expect(l.taskSlot).toBe(task!.slot);
      expect(l.stream).toBe('stdout');
      expect(Math.abs(l.timeMs - Date.now())).toBeLessThan(5 * 60_000);
    }
    const bySlot = new Map<number, string[]>();
    for (const l of lines) bySlot.set(l.taskSlot, [...(bySlot.get(l.taskSlot) ?? []), l.line]);
    expect([...bySlot.keys()].sort()).toEqual([1, 2, 3, 4]);
    // Each task's lines in the order it printed them.
    for (const [slot, own] of bySlot) expect(own).toEqual([1, 2, 3].map((i) => `slot-${slot} line ${i}`));
    expect(new Set(lines.map((l) => l.nodeId)).size).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('with tail 1, gives the last line of each replica', async () => {
    await allLines('m1');
    const stream = cluster.client('m1').serviceLogs('talker', { tail: 1 });
    const lines = await collect(stream);
    expect(lines.map((l) => l.line).sort()).toEqual([1, 2, 3, 4].map((s) => `slot-${s} line 3`));
    expect(stream.warnings).toEqual([]);
  }, 60_000);

  it('following, receives a line a container prints later, until the client stops', async () => {
    await allLines('m1');
    const [container] = await cluster.containers(serviceId);
    const taskId = container!.Labels['com.flotilla.task.id'];
    const abort = new AbortController();
    const received: ServiceLogLine[] = [];
    const deadline = setTimeout(() => abort.abort(), 30_000);
    const following = (async () => {
      for await (const l of cluster
        .client('m1')
        .serviceLogs('talker', { follow: true, signal: abort.signal })) {
        received.push(l);
        if (l.line === 'printed later') break;
      }
    })();
    // The old lines first: the subscription is open at every node.
    await waitUntil(
      'the old lines while following',
      () => received.length >= REPLICAS * LINES_PER_TASK,
      30_000,
    );
    const exec = await cluster.docker.getContainer(container!.Id).exec({
      Cmd: ['sh', '-c', 'echo "printed later" > /proc/1/fd/1'],
      AttachStdout: false,
      AttachStderr: false,
    });
    await exec.start({ Detach: true });
    await following;
    clearTimeout(deadline);
    expect(abort.signal.aborted, 'the late line arrived before the deadline').toBe(false);
    const late = received[received.length - 1]!;
    expect(late).toMatchObject({ line: 'printed later', taskId });
  }, 60_000);

  it('through the manager that does not lead, forwarded to the leader', async () => {
    const name = await follower();
    const key = (l: ServiceLogLine): string => `${l.taskId} ${l.nodeId} ${l.timeMs} ${l.line}`;
    const forwarded = (await allLines(name)).map(key).sort();
    // The same lines as asked at the leader (the follow test's late line included).
    const leaderName = cluster.managerNames.find((m) => m !== name)!;
    expect(forwarded).toEqual((await allLines(leaderName)).map(key).sort());
    expect(forwarded.length).toBeGreaterThanOrEqual(REPLICAS * LINES_PER_TASK);
  }, 60_000);

  // Last: it scales the service up.
  it('following with tail 0, skips the earlier lines and picks up a replica that starts meanwhile', async () => {
    await allLines('m1');
    const client = cluster.client('m1');
    const abort = new AbortController();
    const received: ServiceLogLine[] = [];
    const deadline = setTimeout(() => abort.abort(), 45_000);
    const stream = client.serviceLogs('talker', { follow: true, tail: 0, signal: abort.signal });
    const following = (async () => {
      for await (const l of stream) {
        received.push(l);
        if (l.line === `slot-${REPLICAS + 1} line ${LINES_PER_TASK}`) break;
      }
    })();
    // The subscription reaches the nodes before the scale-up (none of the old lines may come).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const service = await client.getService(serviceId);
    await client.updateService(serviceId, service.meta.version.index, {
      ...service.spec,
      mode: { replicated: { replicas: REPLICAS + 1 } },
    });
    await following;
    clearTimeout(deadline);
    expect(abort.signal.aborted, 'the new replica’s lines arrived before the deadline').toBe(false);
    expect(received.map((l) => l.line)).toEqual(
      Array.from({ length: LINES_PER_TASK }, (_, i) => `slot-${REPLICAS + 1} line ${i + 1}`),
    );
    expect(received.every((l) => l.taskSlot === REPLICAS + 1)).toBe(true);
  }, 90_000);
});
