// Input a user (or an attacker) may send instead of a spec: wrong types at the root, unknown
// fields, huge or deeply nested payloads, cycles, prototype tricks. Each is one clear
// ValidationError, never a crash, and never a changed input.

import { describe, expect, it } from 'vitest';
import {
  MAX_DEPTH,
  MAX_SPEC_BYTES,
  ValidationError,
  validateClusterSpec,
  validateNodeSpec,
  validateSecretSpec,
  validateServiceSpec,
} from '../../../src/api/index.js';
import { expectRejected, minimalService, withField } from './helpers.js';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('hostile input', () => {
  it.each([null, undefined, 'web', 42, true, [], [minimalService()], new Date(), new Map()])(
    'refuses %s as a spec',
    (input) => {
      expectRejected(() => validateServiceSpec(input), 'spec', 'must be an object');
    },
  );

  it('names an unknown field by its path, at any depth', () => {
    expectRejected(
      () => validateServiceSpec({ ...minimalService(), replicas: 3 }),
      'spec.replicas',
      'unknown field',
    );
    expectRejected(
      () => validateServiceSpec(withField(minimalService(), 'taskTemplate.containerSpec.Image', 'nginx')),
      'spec.taskTemplate.containerSpec.Image',
      'unknown field',
    );
    expectRejected(
      () =>
        validateServiceSpec(
          withField(minimalService(), 'endpointSpec.ports', [{ targetPort: 80, published: 8080 }]),
        ),
      'spec.endpointSpec.ports[0].published',
      'unknown field',
    );
    expectRejected(
      () => validateServiceSpec({ ...minimalService(), 'odd key': 1 }),
      'spec["odd key"]',
      'unknown field',
    );
  });

  it('treats __proto__ and constructor keys from JSON as unknown fields or plain label data', () => {
    const polluted: unknown = JSON.parse(
      '{"name":"web","taskTemplate":{"containerSpec":{"image":"nginx"}},"__proto__":{"x":1}}',
    );
    expectRejected(() => validateServiceSpec(polluted), 'spec.__proto__', 'unknown field');

    const spec = validateServiceSpec(
      JSON.parse(
        '{"name":"web","labels":{"__proto__":"a","constructor":"b"},"taskTemplate":{"containerSpec":{"image":"nginx"}}}',
      ),
    );
    expect(Object.keys(spec.labels!)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(spec.labels)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('refuses a spec larger than 512 KiB without reading it field by field', () => {
    const huge = withField(minimalService(), 'taskTemplate.containerSpec.env', [
      'A=' + 'x'.repeat(MAX_SPEC_BYTES),
    ]);
    expectRejected(
      () => validateServiceSpec(huge),
      'spec',
      `must be at most ${MAX_SPEC_BYTES} bytes as JSON`,
    );
  });

  it('refuses a list of a million entries quickly', () => {
    const entries = Array.from({ length: 1_000_000 }, () => 'A=1');
    const started = performance.now();
    expectRejected(
      () => validateServiceSpec(withField(minimalService(), 'taskTemplate.containerSpec.env', entries)),
      'spec',
      `must be at most ${MAX_SPEC_BYTES} bytes as JSON`,
    );
    // Not a timing assertion of the suite: a sanity bound that the walk stopped early.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('counts multi-byte characters as their UTF-8 size', () => {
    const nearLimit = withField(minimalService(), 'labels.note', '€'.repeat(Math.ceil(MAX_SPEC_BYTES / 3)));
    expectRejected(
      () => validateServiceSpec(nearLimit),
      'spec',
      `must be at most ${MAX_SPEC_BYTES} bytes as JSON`,
    );
  });

  it('refuses nesting deeper than the model has, naming where', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = { a: deep };
    let caught: unknown;
    try {
      validateServiceSpec({ ...minimalService(), labels: deep });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).rule).toBe(`must not nest deeper than ${MAX_DEPTH} levels`);
    expect((caught as ValidationError).path).toMatch(/^spec\.labels(\.a)+$/);
  });

  it('refuses a cyclic object instead of looping', () => {
    const cyclic: Record<string, unknown> = { ...minimalService() };
    cyclic['labels'] = cyclic;
    expect(() => validateServiceSpec(cyclic)).toThrow(ValidationError);
  });

  it.each([
    [
      'NaN replicas',
      'mode',
      { replicated: { replicas: NaN } },
      'spec.mode.replicated.replicas',
      'must be an integer',
    ],
    [
      'infinite replicas',
      'mode',
      { replicated: { replicas: Infinity } },
      'spec.mode.replicated.replicas',
      'must be an integer',
    ],
    [
      'replicas beyond 2^53',
      'mode',
      { replicated: { replicas: 2 ** 60 } },
      'spec.mode.replicated.replicas',
      'must be at most 9007199254740991',
    ],
    ['a bigint', 'taskTemplate.forceUpdate', 1n, 'spec.taskTemplate.forceUpdate', 'must be an integer'],
    [
      'an object for a string',
      'taskTemplate.containerSpec.image',
      { name: 'nginx' },
      'spec.taskTemplate.containerSpec.image',
      'must be a string',
    ],
    [
      'a string for an object',
      'taskTemplate.containerSpec',
      'nginx',
      'spec.taskTemplate.containerSpec',
      'must be an object',
    ],
    ['a list for an object', 'updateConfig', [{ parallelism: 1 }], 'spec.updateConfig', 'must be an object'],
    [
      'a number for a boolean',
      'taskTemplate.containerSpec.init',
      1,
      'spec.taskTemplate.containerSpec.init',
      'must be a boolean',
    ],
    [
      'null inside a list',
      'taskTemplate.containerSpec.args',
      ['a', null],
      'spec.taskTemplate.containerSpec.args[1]',
      'must be a string',
    ],
  ])('refuses %s', (_what, field, value, path, rule) => {
    expectRejected(() => validateServiceSpec(withField(minimalService(), field, value)), path, rule);
  });

  it('leaves the input untouched, whether it passes or fails', () => {
    const failing = withField(minimalService(), 'endpointSpec.ports', [
      { targetPort: 80 },
      { targetPort: 0 },
    ]);
    const before = structuredClone(failing);
    expect(() => validateServiceSpec(failing)).toThrow(ValidationError);
    expect(failing).toEqual(before);
    // A deeply frozen spec would throw on any write (ESM is strict mode).
    const passing = deepFreeze(withField(minimalService(), 'endpointSpec.ports', [{ targetPort: 80 }]));
    expect(validateServiceSpec(passing).endpointSpec).toEqual({ ports: [{ targetPort: 80 }] });
  });

  it('applies the same bounds to node, secret and cluster specs', () => {
    const labels = { big: 'x'.repeat(MAX_SPEC_BYTES) };
    const rule = `must be at most ${MAX_SPEC_BYTES} bytes as JSON`;
    expectRejected(() => validateNodeSpec({ role: 'worker', availability: 'active', labels }), 'spec', rule);
    expectRejected(() => validateSecretSpec({ name: 's', data: 'eA==', labels }), 'spec', rule);
    expectRejected(() => validateClusterSpec({ labels }), 'spec', rule);
  });
});
