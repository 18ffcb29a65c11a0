// NodeSpec, SecretSpec, ConfigSpec and ClusterSpec validation.

import { describe, expect, it } from 'vitest';
import {
  MAX_CONFIG_BYTES,
  MAX_SECRET_BYTES,
  validateClusterSpec,
  validateConfigSpec,
  validateNodeSpec,
  validateSecretSpec,
} from '../../../src/api/index.js';
import { expectRejected, withField } from './helpers.js';

const base64 = (text: string): string => Buffer.from(text).toString('base64');

describe('validateNodeSpec', () => {
  it('accepts what `docker node update` sends', () => {
    const spec = { name: 'node-1', labels: { zone: 'eu-1' }, role: 'manager', availability: 'drain' };
    expect(validateNodeSpec(spec)).toEqual(spec);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['a missing role', { availability: 'active' }, 'spec.role', 'required'],
    [
      'an unknown role',
      { role: 'leader', availability: 'active' },
      'spec.role',
      'must be one of worker, manager',
    ],
    ['a missing availability', { role: 'worker' }, 'spec.availability', 'required'],
    [
      'an unknown availability',
      { role: 'worker', availability: 'paused' },
      'spec.availability',
      'must be one of active, pause, drain',
    ],
    [
      'a status sent as spec',
      { role: 'worker', availability: 'active', state: 'ready' },
      'spec.state',
      'unknown field',
    ],
  ])('refuses %s', (_what, spec, path, rule) => {
    expectRejected(() => validateNodeSpec(spec), path, rule);
  });
});

describe('validateSecretSpec', () => {
  it('decodes base64 data to bytes, as Docker sends it', () => {
    const spec = validateSecretSpec({ name: 'db_password', labels: { env: 'prod' }, data: base64('s3cret') });
    expect(spec.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(spec.data!).toString()).toBe('s3cret');
    expect(spec).toMatchObject({ name: 'db_password', labels: { env: 'prod' } });
  });

  it('accepts bytes and copies them', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const spec = validateSecretSpec({ name: 'key.pem', data: bytes });
    bytes[0] = 9;
    expect([...spec.data!]).toEqual([1, 2, 3]);
  });

  it('accepts a secret held by an external driver without data', () => {
    const spec = validateSecretSpec({
      name: 'vault-token',
      driver: { name: 'vault', options: { path: 'a/b' } },
    });
    expect(spec).toEqual({ name: 'vault-token', driver: { name: 'vault', options: { path: 'a/b' } } });
  });

  it('takes data just under 500 KiB and refuses 500 KiB, as SwarmKit', () => {
    const under = new Uint8Array(MAX_SECRET_BYTES - 1);
    expect(
      validateSecretSpec({ name: 'big', data: Buffer.from(under).toString('base64') }).data?.length,
    ).toBe(MAX_SECRET_BYTES - 1);
    expectRejected(
      () => validateSecretSpec({ name: 'big', data: new Uint8Array(MAX_SECRET_BYTES) }),
      'spec.data',
      'must be at least 1 byte and less than 512000 bytes',
    );
  });

  it('refuses base64 of many megabytes before decoding it', () => {
    expectRejected(
      () => validateSecretSpec({ name: 'big', data: 'A'.repeat(8 * 1024 * 1024) }),
      'spec.data',
      'must be at least 1 byte and less than 512000 bytes',
    );
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['a missing name', { data: base64('x') }, 'spec.name', 'required'],
    [
      'a name with a slash',
      { name: 'a/b', data: base64('x') },
      'spec.name',
      'must start and end with a letter or digit and contain only letters, digits, -, _ and .',
    ],
    [
      'a name ending in a dot',
      { name: 'key.', data: base64('x') },
      'spec.name',
      'must start and end with a letter or digit and contain only letters, digits, -, _ and .',
    ],
    [
      'a name of 65 characters',
      { name: 'a'.repeat(65), data: base64('x') },
      'spec.name',
      'must be at most 64 characters',
    ],
    ['missing data', { name: 'a' }, 'spec.data', 'required'],
    [
      'empty data',
      { name: 'a', data: '' },
      'spec.data',
      'must be at least 1 byte and less than 512000 bytes',
    ],
    [
      'data that is not base64',
      { name: 'a', data: 'not base64!' },
      'spec.data',
      'must be base64 (standard alphabet, padded)',
    ],
    [
      'unpadded base64',
      { name: 'a', data: 'YWJj ZA' },
      'spec.data',
      'must be base64 (standard alphabet, padded)',
    ],
    ['data as a list of numbers', { name: 'a', data: [1, 2] }, 'spec.data', 'must be a base64 string'],
    [
      'data next to a driver',
      { name: 'a', data: base64('x'), driver: { name: 'vault' } },
      'spec.data',
      'not allowed with a driver',
    ],
    ['a driver without a name', { name: 'a', driver: {} }, 'spec.driver.name', 'required'],
  ])('refuses %s', (_what, spec, path, rule) => {
    expectRejected(() => validateSecretSpec(spec), path, rule);
  });
});

describe('validateConfigSpec', () => {
  it('accepts base64 data up to SwarmKit’s 1000 KiB limit', () => {
    const spec = validateConfigSpec({
      name: 'nginx.conf',
      data: base64('server {}'),
      templating: { name: 'golang' },
    });
    expect(Buffer.from(spec.data).toString()).toBe('server {}');
    expectRejected(
      () => validateConfigSpec({ name: 'huge', data: new Uint8Array(MAX_CONFIG_BYTES) }),
      'spec.data',
      'must be at least 1 byte and less than 1024000 bytes',
    );
  });

  it('refuses a driver, which configs do not have', () => {
    expectRejected(
      () => validateConfigSpec({ name: 'c', data: base64('x'), driver: { name: 'vault' } }),
      'spec.driver',
      'unknown field',
    );
  });
});

describe('validateClusterSpec', () => {
  const full = {
    name: 'default',
    labels: {},
    orchestration: { taskHistoryRetentionLimit: 10 },
    raft: {
      snapshotInterval: 5000,
      keepOldSnapshots: 1,
      logEntriesForSlowFollowers: 200,
      electionTick: 20,
      heartbeatTick: 2,
    },
    dispatcher: { heartbeatPeriod: 10_000_000_000 },
    caConfig: {
      nodeCertExpiry: 365 * 24 * 3600 * 1_000_000_000,
      externalCAs: [{ protocol: 'cfssl', url: 'https://ca.example.com/sign', options: {} }],
      forceRotate: 1,
    },
    encryptionConfig: { autoLockManagers: true },
    taskDefaults: { logDriver: { name: 'journald' } },
  };

  it('accepts every section, including a one-year certificate expiry beyond 2^53 ns', () => {
    expect(validateClusterSpec(full)).toEqual(full);
    expect(validateClusterSpec({})).toEqual({});
  });

  it.each<[string, string, unknown, string, string]>([
    [
      'a negative task history',
      'orchestration.taskHistoryRetentionLimit',
      -1,
      'spec.orchestration.taskHistoryRetentionLimit',
      'must be at least 0',
    ],
    [
      'a zero snapshot interval',
      'raft.snapshotInterval',
      0,
      'spec.raft.snapshotInterval',
      'must be at least 1',
    ],
    [
      'an election tick not above the heartbeat',
      'raft',
      { electionTick: 2, heartbeatTick: 2 },
      'spec.raft.electionTick',
      'must be greater than heartbeatTick (2)',
    ],
    [
      'a heartbeat tick above the default election tick',
      'raft',
      { heartbeatTick: 20 },
      'spec.raft.electionTick',
      'must be greater than heartbeatTick (20)',
    ],
    [
      'a negative heartbeat period',
      'dispatcher.heartbeatPeriod',
      -1,
      'spec.dispatcher.heartbeatPeriod',
      'must be a non-negative integer (nanoseconds)',
    ],
    [
      'a certificate expiry under an hour',
      'caConfig.nodeCertExpiry',
      59 * 60 * 1_000_000_000,
      'spec.caConfig.nodeCertExpiry',
      'must be at least 3600000000000 (1h)',
    ],
    [
      'an external CA of another protocol',
      'caConfig.externalCAs',
      [{ protocol: 'acme', url: 'https://x' }],
      'spec.caConfig.externalCAs[0].protocol',
      'must be one of cfssl',
    ],
    [
      'an external CA without a URL',
      'caConfig.externalCAs',
      [{ protocol: 'cfssl' }],
      'spec.caConfig.externalCAs[0].url',
      'required',
    ],
    [
      'a signing key without its certificate',
      'caConfig.signingCAKey',
      'KEY',
      'spec.caConfig.signingCACert',
      'required with signingCAKey',
    ],
    [
      'auto-lock as a string',
      'encryptionConfig.autoLockManagers',
      'yes',
      'spec.encryptionConfig.autoLockManagers',
      'must be a boolean',
    ],
    [
      'join tokens, which are not part of the spec',
      'joinTokens',
      { worker: 'x' },
      'spec.joinTokens',
      'unknown field',
    ],
  ])('refuses %s', (_what, field, value, path, rule) => {
    expectRejected(() => validateClusterSpec(withField(full, field, value)), path, rule);
  });
});
