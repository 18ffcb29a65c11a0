// Round robin and least-connections picks, with exclusions (tasks already tried for a connection).

import { describe, expect, it } from 'vitest';
import { createBalancer, LeastConnectionsBalancer, RoundRobinBalancer } from '../../../src/mesh/index.js';

const c = (taskId: string, active = 0) => ({ taskId, active });

describe('RoundRobinBalancer', () => {
  it('takes each candidate in turn', () => {
    const b = new RoundRobinBalancer();
    const list = [c('a'), c('b'), c('c')];
    expect(Array.from({ length: 7 }, () => b.pick(list)?.taskId)).toEqual([
      'a',
      'b',
      'c',
      'a',
      'b',
      'c',
      'a',
    ]);
  });

  it('skips excluded candidates and returns undefined when all are excluded', () => {
    const b = new RoundRobinBalancer();
    const list = [c('a'), c('b'), c('c')];
    expect(b.pick(list, new Set(['a']))?.taskId).toBe('b');
    expect(b.pick(list, new Set(['c']))?.taskId).toBe('a');
    expect(b.pick(list, new Set(['a', 'b', 'c']))).toBeUndefined();
    expect(b.pick([])).toBeUndefined();
  });

  it('keeps rotating when the list changes size', () => {
    const b = new RoundRobinBalancer();
    expect(b.pick([c('a'), c('b'), c('c')])?.taskId).toBe('a');
    expect(b.pick([c('a'), c('b'), c('c')])?.taskId).toBe('b');
    // Scaled to one: its only task, then back to three, no index out of range.
    expect(b.pick([c('a')])?.taskId).toBe('a');
    expect(b.pick([c('a'), c('b'), c('c')])?.taskId).toBeDefined();
  });
});

describe('LeastConnectionsBalancer', () => {
  it('picks the candidate with the fewest open connections', () => {
    const b = new LeastConnectionsBalancer();
    expect(b.pick([c('a', 3), c('b', 1), c('c', 2)])?.taskId).toBe('b');
    expect(b.pick([c('a', 0), c('b', 1), c('c', 2)])?.taskId).toBe('a');
  });

  it('spreads ties round robin and honours exclusions', () => {
    const b = new LeastConnectionsBalancer();
    const list = [c('a', 1), c('b', 1), c('c', 1)];
    expect(Array.from({ length: 3 }, () => b.pick(list)?.taskId)).toEqual(['a', 'b', 'c']);
    expect(b.pick([c('a', 0), c('b', 5)], new Set(['a']))?.taskId).toBe('b');
    expect(b.pick([c('a', 0)], new Set(['a']))).toBeUndefined();
  });

  it('is what least-conn asks for', () => {
    expect(createBalancer('least-conn')).toBeInstanceOf(LeastConnectionsBalancer);
    expect(createBalancer('round-robin')).toBeInstanceOf(RoundRobinBalancer);
  });
});
