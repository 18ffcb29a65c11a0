// Object ids: Docker's shape (25 × [0-9a-z]), unique, and uniform per character.

import { describe, expect, it } from 'vitest';
import { ID_LENGTH, isId, newId } from '../../../src/api/index.js';

describe('newId', () => {
  it('makes 100,000 distinct ids of 25 lower-case base-36 characters', () => {
    const ids = Array.from({ length: 100_000 }, () => newId());
    expect(ids.filter((id) => !/^[0-9a-z]{25}$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(100_000);
    expect(ID_LENGTH).toBe(25);
  });

  it('uses every character about equally often (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      for (const c of newId()) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(counts.size).toBe(36);
    const expected = (20_000 * 25) / 36;
    // Chi-square with 35 degrees of freedom: 80 is far beyond p = 0.0001 (about 72).
    const chiSquare = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(80);
  });

  it('rejects bytes from 252 up instead of folding them onto low characters', () => {
    // 251 → 'z' (251 % 36 = 35); 252..255 would map to 0..3 and are skipped.
    const source = (size: number) => new Uint8Array(size).fill(0).map((_, i) => (i % 2 === 0 ? 255 : 251));
    expect(newId(source)).toBe('z'.repeat(25));
  });

  it('draws again when a draw had too few acceptable bytes', () => {
    let draws = 0;
    const source = (size: number) => {
      draws++;
      return new Uint8Array(size).fill(draws === 1 ? 252 : 10);
    };
    expect(newId(source)).toBe('a'.repeat(25));
    expect(draws).toBe(2);
  });

  it('fails loudly on a random source that returns nothing', () => {
    expect(() => newId(() => new Uint8Array(0))).toThrow(/no bytes/);
  });
});

describe('isId', () => {
  it('accepts ids and nothing else', () => {
    expect(isId(newId())).toBe(true);
    expect(isId('2ipi0jzubp5egeon9ilq2mnxi')).toBe(true);
    for (const value of [
      '2ipi0jzubp5egeon9ilq2mnx',
      '2IPI0JZUBP5EGEON9ILQ2MNXI',
      '2ipi0jzubp5egeon9ilq2mnx-',
      '',
      42,
      null,
    ]) {
      expect(isId(value)).toBe(false);
    }
  });
});
