// How the control API turns objects into JSON: what it hides, how bytes look, and that the
// per-object encoding cache never serves an encoding of anything but the object it was made from.

import { describe, expect, it } from 'vitest';
import { objectJson } from '../../../../src/manager/control/json.js';

const parse = (bytes: Buffer): Record<string, unknown> =>
  JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;

describe('objectJson', () => {
  it('never shows a secret’s data, and shows a config’s bytes as base64', () => {
    const secret = { id: 's1', spec: { name: 'db', data: Buffer.from('hunter2') } };
    expect(parse(objectJson('secret', secret))).toEqual({ id: 's1', spec: { name: 'db' } });
    const config = { id: 'c1', spec: { name: 'conf', data: Uint8Array.from([1, 2, 3]) } };
    expect(parse(objectJson('config', config))).toEqual({ id: 'c1', spec: { name: 'conf', data: 'AQID' } });
  });

  it('never shows the cluster’s CA signing keys', () => {
    const cluster = {
      id: 'c',
      spec: { caConfig: { signingCACert: 'CERT', signingCAKey: 'KEY' } },
      rootCA: { caCert: 'ROOT', caKey: 'ROOT-KEY', caCertHash: 'h' },
      unlockKey: 'SWMKEY-1-UNLOCK',
    };
    const text = objectJson('cluster', cluster).toString('utf8');
    expect(text).not.toContain('KEY');
    expect(text).not.toContain('UNLOCK');
    expect(parse(objectJson('cluster', cluster))).toEqual({
      id: 'c',
      spec: { caConfig: { signingCACert: 'CERT' } },
      rootCA: { caCert: 'ROOT', caCertHash: 'h' },
    });
  });

  it('encodes a frozen (stored) object once and serves the same bytes again', () => {
    const task = Object.freeze({ id: 't1', spec: Object.freeze({ image: 'nginx' }) });
    const first = objectJson('task', task);
    expect(objectJson('task', task)).toBe(first);
    // A write replaces the object: its successor gets its own encoding.
    const next = Object.freeze({ id: 't1', spec: Object.freeze({ image: 'nginx:2' }) });
    expect(parse(objectJson('task', next))).toEqual({ id: 't1', spec: { image: 'nginx:2' } });
  });

  it('does not cache objects that can still change', () => {
    const task = { id: 't1', spec: { image: 'nginx' } };
    const first = objectJson('task', task);
    task.spec.image = 'redis';
    expect(objectJson('task', task)).not.toBe(first);
    expect(parse(objectJson('task', task))).toEqual({ id: 't1', spec: { image: 'redis' } });
  });
});
