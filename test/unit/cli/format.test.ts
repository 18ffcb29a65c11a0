import { describe, expect, it } from 'vitest';
import type { Node, Service, Task } from '../../../src/api/index.js';
import { nodeListOutput } from '../../../src/cli/commands/node.js';
import {
  ago,
  humanDuration,
  renderInspect,
  renderList,
  renderTable,
  renderTemplate,
  shortId,
} from '../../../src/cli/format.js';
import { prettyService } from '../../../src/cli/pretty.js';
import { serviceListOutput, taskListOutput, taskRows } from '../../../src/cli/service-view.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const at = (secondsAgo: number): string => new Date(NOW - secondsAgo * 1000).toISOString();
const meta = (secondsAgo = 60) => ({
  version: { index: 1 },
  createdAt: at(secondsAgo),
  updatedAt: at(secondsAgo),
});

function service(id: string, name: string, mode: Service['spec']['mode']): Service {
  return {
    id,
    meta: meta(),
    spec: {
      name,
      mode,
      taskTemplate: { containerSpec: { image: 'nginx:1.27@sha256:abc' } },
      endpointSpec: { ports: [{ targetPort: 80, publishedPort: 8080 }] },
    },
  };
}

function task(
  id: string,
  serviceId: string,
  slot: number | undefined,
  state: Task['status']['state'],
  desired: Task['desiredState'],
  secondsAgo: number,
  extra: Partial<Task> = {},
): Task {
  return {
    id,
    meta: meta(secondsAgo),
    labels: {},
    spec: { containerSpec: { image: 'nginx:1.27' } },
    serviceId,
    ...(slot === undefined ? {} : { slot }),
    nodeId: 'node1node1node1node1node1',
    status: { timestamp: at(secondsAgo), state, message: '' },
    desiredState: desired,
    ...extra,
  };
}

describe('tables', () => {
  it("aligns columns like docker's tabwriter: widest cell plus 3, at least 10, last column unpadded", () => {
    expect(renderTable(['ID', 'NAME', 'MODE'], [['abc', 'a-long-service-name', 'global']])).toBe(
      // "a-long-service-name" is 19 characters: its column is 22 wide.
      'ID        NAME                  MODE\n' + 'abc       a-long-service-name   global\n',
    );
  });

  it('shortens ids to 12 characters', () => {
    expect(shortId('0123456789abcdefghijklmno')).toBe('0123456789ab');
  });
});

describe('relative times', () => {
  it("speaks as docker's HumanDuration", () => {
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(1_000)).toBe('1 second');
    expect(humanDuration(5_000)).toBe('5 seconds');
    expect(humanDuration(61_000)).toBe('About a minute');
    expect(humanDuration(30 * 60_000)).toBe('30 minutes');
    expect(humanDuration(60 * 60_000)).toBe('About an hour');
    expect(humanDuration(5 * 3_600_000)).toBe('5 hours');
    expect(humanDuration(3 * 86_400_000)).toBe('3 days');
    expect(humanDuration(21 * 86_400_000)).toBe('3 weeks');
    expect(humanDuration(90 * 86_400_000)).toBe('3 months');
    expect(humanDuration(800 * 86_400_000)).toBe('2 years');
    expect(ago(at(5), NOW)).toBe('5 seconds ago');
  });
});

describe('--format', () => {
  it('fills Go-like templates, matching field names without regard to case', () => {
    const s = service('svc1', 'web', { replicated: { replicas: 2 } });
    expect(
      renderTemplate('{{.ID}}\\t{{.Spec.Name}} {{json .Spec.Mode}} {{upper .Spec.Name}} {{.Nope}}', s),
    ).toBe('svc1\tweb {"replicated":{"replicas":2}} WEB <no value>');
    expect(() => renderTemplate('{{index .Spec 1}}', s)).toThrow(/unsupported template expression/);
    // Bytes (config data) show as base64, as in docker's JSON.
    expect(renderTemplate('{{.Data}} {{json .}}', { data: new Uint8Array([104, 105]) })).toBe(
      'aGk= {"data":"aGk="}',
    );
  });

  it('prints lists as a table, JSON lines, templates, a custom table or ids', () => {
    const rows = [service('svc1aaaaaaaaaaaaaaaaaaaaa', 'web', { replicated: { replicas: 2 } })];
    const tasks = [task('t1', 'svc1aaaaaaaaaaaaaaaaaaaaa', 1, 'running', 'running', 5)];
    const output = serviceListOutput(tasks);
    expect(renderList(rows, output, {})).toBe(
      'ID             NAME      MODE         REPLICAS   IMAGE        PORTS\n' +
        'svc1aaaaaaaa   web       replicated   1/2        nginx:1.27   *:8080->80/tcp\n',
    );
    expect(JSON.parse(renderList(rows, output, { format: 'json' }))).toEqual({
      ID: 'svc1aaaaaaaa',
      Name: 'web',
      Mode: 'replicated',
      Replicas: '1/2',
      Image: 'nginx:1.27',
      Ports: '*:8080->80/tcp',
    });
    expect(renderList(rows, output, { format: '{{.Name}}={{.Replicas}}' })).toBe('web=1/2\n');
    expect(renderList(rows, output, { format: 'table {{.Name}}\\t{{.Replicas}}' })).toBe(
      'NAME      REPLICAS\nweb       1/2\n',
    );
    expect(renderList(rows, output, { quiet: true })).toBe('svc1aaaaaaaa\n');
  });

  it('inspects as a JSON array with a 4-space indent, config data as base64', () => {
    expect(renderInspect([{ id: 'x', data: new Uint8Array([104, 105]) }])).toBe(
      '[\n    {\n        "id": "x",\n        "data": "aGk="\n    }\n]\n',
    );
  });
});

describe('service ls and service ps rows', () => {
  it('shows REPLICAS per mode as docker does', () => {
    const global = service('g', 'agent', { global: {} });
    const job = service('j', 'batch', { replicatedJob: { maxConcurrent: 2, totalCompletions: 4 } });
    const tasks = [
      task('a', 'g', undefined, 'running', 'running', 1),
      task('b', 'g', undefined, 'starting', 'running', 1),
      task('c', 'j', 1, 'complete', 'complete', 1),
      task('d', 'j', 2, 'running', 'running', 1),
    ];
    const out = serviceListOutput(tasks);
    expect(out.fields(global).Replicas).toBe('1/2');
    expect(out.fields(job).Replicas).toBe('1/2 (1/4 completed)');
    expect(out.fields(job).Mode).toBe('replicated job');
  });

  it('lists tasks by slot, newest first, older ones as \\_ history, with the state and error as docker', () => {
    const s = service('svc', 'web', { replicated: { replicas: 2 } });
    const failed = task('old1', 'svc', 1, 'failed', 'shutdown', 30, {
      status: {
        timestamp: at(30),
        state: 'failed',
        message: 'started',
        err: 'task: non-zero exit (1): the process was killed',
      },
    });
    const tasks = [
      failed,
      task('new1', 'svc', 1, 'running', 'running', 5),
      task('new2', 'svc', 2, 'running', 'running', 120),
    ];
    const nodes = new Map<string, Node>([
      [
        'node1node1node1node1node1',
        {
          id: 'node1node1node1node1node1',
          meta: meta(),
          spec: { role: 'worker', availability: 'active' },
          status: { state: 'ready', addr: '127.0.0.1' },
          description: {
            hostname: 'host-1',
            platform: { architecture: 'x86_64', os: 'linux' },
            resources: { nanoCpus: 0, memoryBytes: 0 },
            engine: { engineVersion: '27.0', labels: {}, plugins: [] },
          },
        },
      ],
    ]);
    const rows = taskRows(tasks, new Map([['svc', s]]), nodes);
    expect(renderList(rows, taskListOutput(NOW, false), {})).toBe(
      'ID        NAME        IMAGE        NODE      DESIRED STATE   CURRENT STATE           ERROR                              PORTS\n' +
        'new1      web.1       nginx:1.27   host-1    Running         Running 5 seconds ago\n' +
        'old1       \\_ web.1   nginx:1.27   host-1    Shutdown        Failed 30 seconds ago   "task: non-zero exit (1): the …"\n' +
        'new2      web.2       nginx:1.27   host-1    Running         Running 2 minutes ago\n',
    );
  });

  it('marks the local node with * in node ls, and shows leader and reachability', () => {
    const node = (id: string, hostname: string, leader: boolean | undefined): Node => ({
      id,
      meta: meta(),
      spec: { role: leader === undefined ? 'worker' : 'manager', availability: 'active' },
      status: { state: 'ready', addr: '' },
      ...(leader === undefined ? {} : { managerStatus: { leader, reachability: 'reachable', addr: 'x:1' } }),
      description: {
        hostname,
        platform: { architecture: 'x86_64', os: 'linux' },
        resources: { nanoCpus: 0, memoryBytes: 0 },
        engine: { engineVersion: '27.0', labels: {}, plugins: [] },
      },
    });
    const nodes = [node('aaa', 'm1', true), node('bbb', 'm2', false), node('ccc', 'w1', undefined)];
    expect(renderList(nodes, nodeListOutput('bbb'), {})).toBe(
      'ID        HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n' +
        'aaa       m1         Ready     Active         Leader           27.0\n' +
        'bbb *     m2         Ready     Active         Reachable        27.0\n' +
        'ccc       w1         Ready     Active                          27.0\n',
    );
  });
});

describe('inspect --pretty', () => {
  it("summarises a service as docker's aligned key: value lines", () => {
    const s = service('svc1', 'web', { replicated: { replicas: 3 } });
    s.spec.updateConfig = { parallelism: 2, delay: 10e9 };
    s.spec.taskTemplate.resources = { limits: { nanoCpus: 5e8, memoryBytes: 256 * 1024 ** 2 } };
    const text = prettyService(s);
    // Values start two columns after the longest key ("Endpoint Mode:").
    expect(text).toContain('ID:              svc1\nName:            web\n');
    expect(text).toContain('Service Mode:    Replicated\n Replicas:       3\n');
    expect(text).toContain('UpdateConfig:\n Parallelism:    2\n Delay:          10s\n');
    expect(text).toContain('Resources:\n Limits:\n  CPU:           0.5\n  Memory:        256MiB\n');
    expect(text).toContain('Ports:\n PublishedPort:  8080\n  Protocol:      tcp\n');
  });
});
