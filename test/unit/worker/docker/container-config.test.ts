// The task → container mapping: what `docker service create` would ask of the engine for the
// same spec (command replaces the entrypoint, templates expanded, task labels, no engine restarts).

import { describe, expect, it } from 'vitest';
import type { ContainerSpec, Task, TaskSpec } from '../../../../src/api/index.js';
import {
  containerCreateBody,
  hasHealthcheck,
  publishedHostPorts,
  TASK_LABELS,
} from '../../../../src/worker/docker/container-config.js';
import type { TaskContext } from '../../../../src/worker/executor.js';

function context(containerSpec: Partial<ContainerSpec>, taskSpec: Partial<TaskSpec> = {}): TaskContext {
  const task: Task = {
    id: 'task1',
    meta: { version: { index: 1 }, createdAt: '', updatedAt: '' },
    name: 'web.3',
    labels: {},
    spec: { containerSpec: { image: 'nginx:1.27', ...containerSpec }, ...taskSpec },
    serviceId: 'svc1',
    slot: 3,
    nodeId: 'node1',
    status: { state: 'assigned', timestamp: '', message: '' },
    desiredState: 'running',
  };
  return {
    task,
    service: { id: 'svc1', name: 'web', labels: { tier: 'front' } },
    node: { id: 'node1', hostname: 'host-a', platform: { os: 'linux', architecture: 'amd64' } },
    secrets: new Map(),
    configs: new Map(),
  };
}

describe('containerCreateBody', () => {
  it('names the container <service>.<slot>.<task id> and labels it with the task, service and node', () => {
    const body = containerCreateBody(context({ labels: { 'com.example.role': 'api' } }), [], {
      'com.test': 'run1',
    });
    expect(body.name).toBe('web.3.task1');
    expect(body.Labels).toEqual({
      'com.example.role': 'api',
      'com.test': 'run1',
      [TASK_LABELS.serviceId]: 'svc1',
      [TASK_LABELS.serviceName]: 'web',
      [TASK_LABELS.taskId]: 'task1',
      [TASK_LABELS.taskName]: 'web.3.task1',
      [TASK_LABELS.nodeId]: 'node1',
    });
  });

  it('lets a spec label not override the task labels adoption relies on', () => {
    const body = containerCreateBody(context({ labels: { [TASK_LABELS.taskId]: 'forged' } }), [], {});
    expect(body.Labels[TASK_LABELS.taskId]).toBe('task1');
  });

  it('replaces the entrypoint only when a command is given, and the cmd with args', () => {
    expect(containerCreateBody(context({ args: ['-g', 'daemon off;'] }), [], {})).toMatchObject({
      Cmd: ['-g', 'daemon off;'],
    });
    expect(containerCreateBody(context({ args: ['x'] }), [], {}).Entrypoint).toBeUndefined();
    expect(
      containerCreateBody(context({ command: ['/bin/sh', '-c'], args: ['echo hi'] }), [], {}),
    ).toMatchObject({
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo hi'],
    });
  });

  it('expands templates in env values, the hostname and mount sources', () => {
    const body = containerCreateBody(
      context({
        env: ['SLOT={{.Task.Slot}}', 'PLAIN=x'],
        hostname: '{{.Service.Name}}-{{.Task.Slot}}',
        mounts: [{ type: 'volume', source: 'data-{{.Task.Slot}}', target: '/data' }],
      }),
      [],
      {},
    );
    expect(body.Env).toEqual(['SLOT=3', 'PLAIN=x']);
    expect(body.Hostname).toBe('web-3');
    expect(body.HostConfig.Mounts).toEqual([{ Type: 'volume', Source: 'data-3', Target: '/data' }]);
  });

  it('maps resources, healthcheck, stop settings, kernel settings and DNS as the engine names them', () => {
    const body = containerCreateBody(
      context(
        {
          user: 'nobody',
          dir: '/srv',
          groups: ['video'],
          readOnly: true,
          tty: true,
          stopSignal: 'SIGQUIT',
          stopGracePeriod: 2_500_000_000,
          healthcheck: { test: ['CMD', 'true'], interval: 1_000_000_000, retries: 2 },
          init: true,
          sysctls: { 'net.core.somaxconn': '1024' },
          capabilityAdd: ['NET_ADMIN'],
          capabilityDrop: ['MKNOD'],
          ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
          dnsConfig: { nameservers: ['10.0.0.2'], search: ['example.com'], options: ['ndots:2'] },
        },
        {
          resources: {
            limits: { nanoCpus: 500_000_000, memoryBytes: 1 << 26, pids: 64 },
            reservations: { memoryBytes: 1 << 25 },
          },
          logDriver: { name: 'json-file', options: { 'max-size': '1m' } },
        },
      ),
      [{ source: '/data/secrets/task1/secret-0', target: '/run/secrets/db' }],
      {},
    );
    expect(body).toMatchObject({
      User: 'nobody',
      WorkingDir: '/srv',
      Tty: true,
      StopSignal: 'SIGQUIT',
      StopTimeout: 3,
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1_000_000_000, Retries: 2 },
    });
    expect(body.HostConfig).toEqual({
      Mounts: [
        { Type: 'bind', Source: '/data/secrets/task1/secret-0', Target: '/run/secrets/db', ReadOnly: true },
      ],
      RestartPolicy: { Name: 'no' },
      ReadonlyRootfs: true,
      GroupAdd: ['video'],
      NanoCpus: 500_000_000,
      Memory: 1 << 26,
      PidsLimit: 64,
      MemoryReservation: 1 << 25,
      Init: true,
      Sysctls: { 'net.core.somaxconn': '1024' },
      CapAdd: ['NET_ADMIN'],
      CapDrop: ['MKNOD'],
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
      Dns: ['10.0.0.2'],
      DnsSearch: ['example.com'],
      DnsOptions: ['ndots:2'],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
    });
  });

  it('gives the default 10 s grace period as StopTimeout', () => {
    expect(containerCreateBody(context({}), [], {}).StopTimeout).toBe(10);
  });

  it('maps mount options per type', () => {
    const body = containerCreateBody(
      context({
        mounts: [
          {
            type: 'bind',
            source: '/var/log',
            target: '/logs',
            readOnly: true,
            bindOptions: { propagation: 'rslave', nonRecursive: true },
          },
          {
            type: 'volume',
            target: '/cache',
            volumeOptions: { noCopy: true, driverConfig: { name: 'local' } },
          },
          { type: 'tmpfs', target: '/tmp', tmpfsOptions: { sizeBytes: 65536, mode: 0o1777 } },
        ],
      }),
      [],
      {},
    );
    expect(body.HostConfig.Mounts).toEqual([
      {
        Type: 'bind',
        Source: '/var/log',
        Target: '/logs',
        ReadOnly: true,
        BindOptions: { Propagation: 'rslave', NonRecursive: true },
      },
      {
        Type: 'volume',
        Target: '/cache',
        VolumeOptions: { NoCopy: true, DriverConfig: { Name: 'local', Options: {} } },
      },
      { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 65536, Mode: 0o1777 } },
    ]);
  });
});

describe('host-mode ports', () => {
  const ports = [
    { protocol: 'tcp' as const, targetPort: 80, publishedPort: 8080, publishMode: 'host' as const },
    { protocol: 'udp' as const, targetPort: 53, publishMode: 'host' as const },
    { protocol: 'tcp' as const, targetPort: 80, publishMode: 'host' as const },
    { protocol: 'tcp' as const, targetPort: 443, publishedPort: 30443, publishMode: 'ingress' as const },
  ];
  function withEndpoint(): TaskContext {
    const c = context({});
    c.task.endpoint = { spec: { ports }, ports, virtualIps: [] };
    return c;
  }

  it('binds only the host-mode ports, on the node’s address, at the published port or one the engine picks', () => {
    const body = containerCreateBody(withEndpoint(), [], {}, '127.0.0.7');
    expect(body.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
    expect(body.HostConfig.PortBindings).toEqual({
      '80/tcp': [
        { HostIp: '127.0.0.7', HostPort: '8080' },
        { HostIp: '127.0.0.7', HostPort: '' },
      ],
      '53/udp': [{ HostIp: '127.0.0.7', HostPort: '' }],
    });
    const none = containerCreateBody(context({}), [], {});
    expect(none.ExposedPorts).toBeUndefined();
    expect(none.HostConfig.PortBindings).toBeUndefined();
  });

  it('reports the ports as the engine published them, once per port whatever the address families', () => {
    const engine = {
      '80/tcp': [
        { HostIp: '0.0.0.0', HostPort: '8080' },
        { HostIp: '::', HostPort: '8080' },
        { HostIp: '0.0.0.0', HostPort: '32768' },
        { HostIp: '::', HostPort: '32768' },
      ],
      '53/udp': [{ HostIp: '0.0.0.0', HostPort: '32769' }],
    };
    expect(publishedHostPorts(withEndpoint().task, engine)).toEqual([
      { protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'host' },
      { protocol: 'udp', targetPort: 53, publishedPort: 32769, publishMode: 'host' },
      { protocol: 'tcp', targetPort: 80, publishedPort: 32768, publishMode: 'host' },
    ]);
    // Not published (yet): the spec's port when it names one.
    expect(publishedHostPorts(withEndpoint().task, {})[0]?.publishedPort).toBe(8080);
    expect(publishedHostPorts(withEndpoint().task, {})[1]?.publishedPort).toBeUndefined();
  });
});

describe('hasHealthcheck', () => {
  it("uses the spec's test, or the image's when the spec has none, and NONE turns it off", () => {
    expect(hasHealthcheck({ image: 'x' }, undefined)).toBe(false);
    expect(hasHealthcheck({ image: 'x' }, ['CMD-SHELL', 'true'])).toBe(true);
    expect(hasHealthcheck({ image: 'x', healthcheck: { interval: 1 } }, ['CMD-SHELL', 'true'])).toBe(true);
    expect(hasHealthcheck({ image: 'x', healthcheck: { test: ['NONE'] } }, ['CMD-SHELL', 'true'])).toBe(
      false,
    );
    expect(hasHealthcheck({ image: 'x', healthcheck: { test: ['CMD', 'true'] } }, undefined)).toBe(true);
  });
});
