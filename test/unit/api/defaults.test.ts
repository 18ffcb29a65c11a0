// SwarmKit's defaults: filled where a spec is silent, never over what it says, never into the input.

import { describe, expect, it } from 'vitest';
import {
  HOUR,
  SECOND,
  validateServiceSpec,
  withClusterDefaults,
  withServiceDefaults,
  type ServiceSpec,
} from '../../../src/api/index.js';

const minimal: ServiceSpec = { name: 'web', taskTemplate: { containerSpec: { image: 'nginx' } } };

describe('withServiceDefaults', () => {
  it('fills what `docker service inspect` shows for a bare `docker service create nginx`', () => {
    expect(withServiceDefaults(minimal)).toEqual({
      name: 'web',
      taskTemplate: {
        containerSpec: { image: 'nginx', stopGracePeriod: 10 * SECOND },
        restartPolicy: { condition: 'any', delay: 5 * SECOND, maxAttempts: 0, window: 0 },
      },
      mode: { replicated: { replicas: 1 } },
      updateConfig: {
        parallelism: 1,
        delay: 0,
        failureAction: 'pause',
        monitor: 5 * SECOND,
        maxFailureRatio: 0,
        order: 'stop-first',
      },
      rollbackConfig: {
        parallelism: 1,
        delay: 0,
        failureAction: 'pause',
        monitor: 5 * SECOND,
        maxFailureRatio: 0,
        order: 'stop-first',
      },
      endpointSpec: { mode: 'vip', ports: [] },
    });
  });

  it('keeps every value the spec gives, zeros and explicit undefined included', () => {
    const spec: ServiceSpec = {
      ...minimal,
      taskTemplate: {
        containerSpec: { image: 'nginx', stopGracePeriod: 0 },
        restartPolicy: { condition: 'none', delay: undefined, maxAttempts: 3 },
      },
      mode: { replicated: { replicas: 0 } },
      updateConfig: { parallelism: 0, order: 'start-first', failureAction: 'rollback' },
      endpointSpec: { mode: 'dnsrr', ports: [{ targetPort: 53, protocol: 'udp', publishMode: 'host' }] },
    };
    const filled = withServiceDefaults(spec);
    expect(filled.taskTemplate.containerSpec.stopGracePeriod).toBe(0);
    expect(filled.taskTemplate.restartPolicy).toEqual({
      condition: 'none',
      delay: 5 * SECOND,
      maxAttempts: 3,
      window: 0,
    });
    expect(filled.mode).toEqual({ replicated: { replicas: 0 } });
    expect(filled.updateConfig).toMatchObject({
      parallelism: 0,
      order: 'start-first',
      failureAction: 'rollback',
      monitor: 5 * SECOND,
    });
    expect(filled.endpointSpec).toEqual({
      mode: 'dnsrr',
      ports: [{ targetPort: 53, protocol: 'udp', publishMode: 'host' }],
    });
  });

  it('defaults ports to tcp through the routing mesh, leaving the published port to the cluster', () => {
    const filled = withServiceDefaults({ ...minimal, endpointSpec: { ports: [{ targetPort: 80 }] } });
    expect(filled.endpointSpec.ports).toEqual([{ targetPort: 80, protocol: 'tcp', publishMode: 'ingress' }]);
  });

  it('gives a replicated job one task at a time and as many completions as it runs at once', () => {
    expect(withServiceDefaults({ ...minimal, mode: { replicatedJob: {} } }).mode).toEqual({
      replicatedJob: { maxConcurrent: 1, totalCompletions: 1 },
    });
    expect(withServiceDefaults({ ...minimal, mode: { replicatedJob: { maxConcurrent: 4 } } }).mode).toEqual({
      replicatedJob: { maxConcurrent: 4, totalCompletions: 4 },
    });
  });

  it('gives jobs no update or rollback config, so the result still validates', () => {
    for (const mode of [{ globalJob: {} }, { replicatedJob: {} }] as const) {
      const filled = withServiceDefaults({ ...minimal, mode });
      expect(filled).not.toHaveProperty('updateConfig');
      expect(filled).not.toHaveProperty('rollbackConfig');
      expect(() => validateServiceSpec(filled)).not.toThrow();
    }
    expect(withServiceDefaults({ ...minimal, mode: { global: {} } }).updateConfig?.parallelism).toBe(1);
  });

  it('gives secret and config files root ownership and mode 0444 unless set', () => {
    const filled = withServiceDefaults({
      ...minimal,
      taskTemplate: {
        containerSpec: {
          image: 'nginx',
          secrets: [{ file: { name: 'key', mode: 0o400 }, secretId: 'a', secretName: 'key' }],
          configs: [{ file: { name: '/etc/app.conf' }, configId: 'b', configName: 'app' }],
        },
      },
    });
    expect(filled.taskTemplate.containerSpec.secrets?.[0]?.file).toEqual({
      name: 'key',
      uid: '0',
      gid: '0',
      mode: 0o400,
    });
    expect(filled.taskTemplate.containerSpec.configs?.[0]?.file).toEqual({
      name: '/etc/app.conf',
      uid: '0',
      gid: '0',
      mode: 0o444,
    });
  });

  it('does not mutate or share its input', () => {
    const input = validateServiceSpec({
      ...minimal,
      labels: { a: 'b' },
      taskTemplate: {
        containerSpec: { image: 'nginx', secrets: [{ file: { name: 'k' }, secretId: 'a', secretName: 'k' }] },
      },
      endpointSpec: { ports: [{ targetPort: 80 }] },
    });
    const before = structuredClone(input);
    const filled = withServiceDefaults(input);
    expect(input).toEqual(before);
    filled.labels!['a'] = 'changed';
    filled.taskTemplate.containerSpec.secrets![0]!.file.name = 'changed';
    expect(input).toEqual(before);
  });

  it('returns a spec that validates and is stable when applied twice', () => {
    const filled = withServiceDefaults(minimal);
    expect(validateServiceSpec(filled)).toEqual(filled);
    expect(withServiceDefaults(filled)).toEqual(filled);
  });
});

describe('withClusterDefaults', () => {
  it('fills what `docker info` shows after `docker swarm init`', () => {
    expect(withClusterDefaults()).toEqual({
      name: 'default',
      labels: {},
      orchestration: { taskHistoryRetentionLimit: 5 },
      raft: {
        snapshotInterval: 10_000,
        keepOldSnapshots: 0,
        logEntriesForSlowFollowers: 500,
        electionTick: 10,
        heartbeatTick: 1,
      },
      dispatcher: { heartbeatPeriod: 5 * SECOND },
      caConfig: { nodeCertExpiry: 2160 * HOUR },
      encryptionConfig: { autoLockManagers: false },
      taskDefaults: {},
    });
    expect(2160 * HOUR).toBe(7_776_000_000_000_000); // Docker's NodeCertExpiry for 90 days
  });

  it('keeps given values and leaves the input alone', () => {
    const input = {
      raft: { snapshotInterval: 100 },
      caConfig: { externalCAs: [{ protocol: 'cfssl' as const, url: 'https://ca' }] },
    };
    const before = structuredClone(input);
    const filled = withClusterDefaults(input);
    expect(filled.raft).toEqual({
      snapshotInterval: 100,
      keepOldSnapshots: 0,
      logEntriesForSlowFollowers: 500,
      electionTick: 10,
      heartbeatTick: 1,
    });
    expect(filled.caConfig).toEqual({
      externalCAs: [{ protocol: 'cfssl', url: 'https://ca' }],
      nodeCertExpiry: 2160 * HOUR,
    });
    filled.caConfig.externalCAs![0]!.url = 'changed';
    expect(input).toEqual(before);
  });
});
