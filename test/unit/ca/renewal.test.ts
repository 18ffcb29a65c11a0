// Renewal timing: a random point between half and 80% of the validity (SwarmKit's window),
// counted from now, and zero once that point has passed.

import { describe, expect, it } from 'vitest';
import { renewalDelayMs } from '../../../src/ca/index.js';

const DAY = 24 * 60 * 60 * 1000;
const notBefore = new Date('2030-01-01T00:00:00Z');
const notAfter = new Date(notBefore.getTime() + 100 * DAY);
const at = (days: number): Date => new Date(notBefore.getTime() + days * DAY);

describe('renewalDelayMs', () => {
  it('renews at half the validity when the draw is 0', () => {
    expect(renewalDelayMs(notBefore, notAfter, at(0), () => 0)).toBe(50 * DAY);
    expect(renewalDelayMs(notBefore, notAfter, at(10), () => 0)).toBe(40 * DAY);
  });

  it('renews before 80% of the validity whatever the draw', () => {
    const latest = renewalDelayMs(notBefore, notAfter, at(0), () => 0.999999999);
    expect(latest).toBeLessThan(80 * DAY);
    expect(latest).toBeGreaterThan(79.99 * DAY);
    expect(renewalDelayMs(notBefore, notAfter, at(0), () => 0.5)).toBe(65 * DAY);
  });

  it('spreads renewals of certificates issued together over the window', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const delays = Array.from({ length: 200 }, () => renewalDelayMs(notBefore, notAfter, at(0), random));
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(50 * DAY);
      expect(delay).toBeLessThan(80 * DAY);
    }
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(25 * DAY);
  });

  it('is 0 once the chosen point has passed, and for an expired certificate', () => {
    expect(renewalDelayMs(notBefore, notAfter, at(60), () => 0)).toBe(0);
    expect(renewalDelayMs(notBefore, notAfter, at(200), () => 0.7)).toBe(0);
  });

  it('treats a draw outside [0, 1) as the nearest end of the window', () => {
    expect(renewalDelayMs(notBefore, notAfter, at(0), () => -3)).toBe(50 * DAY);
    expect(renewalDelayMs(notBefore, notAfter, at(0), () => Number.NaN)).toBe(50 * DAY);
    expect(renewalDelayMs(notBefore, notAfter, at(0), () => 7)).toBeLessThanOrEqual(80 * DAY);
  });

  it('is 0 for a certificate whose end is not after its start', () => {
    expect(renewalDelayMs(notAfter, notBefore, at(0), () => 0.5)).toBe(0);
  });
});
