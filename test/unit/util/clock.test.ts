import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../src/util/clock.js';

describe('ManualClock', () => {
  it('fires due timers in due order, each at its own time, and skips cancelled ones', () => {
    const clock = new ManualClock(1_000);
    const fired: Array<[string, number]> = [];
    clock.setTimer(30, () => fired.push(['b', clock.now()]));
    clock.setTimer(10, () => fired.push(['a', clock.now()]));
    const c = clock.setTimer(20, () => fired.push(['c', clock.now()]));
    clock.setTimer(30, () => fired.push(['d', clock.now()]));
    c.cancel();
    clock.advance(25);
    expect(fired).toEqual([['a', 1_010]]);
    expect(clock.now()).toBe(1_025);
    clock.advance(100);
    expect(fired).toEqual([
      ['a', 1_010],
      ['b', 1_030],
      ['d', 1_030],
    ]);
    expect(clock.pending).toBe(0);
  });

  it('fires a timer set by a firing timer when it falls within the same advance', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimer(5, () => clock.setTimer(5, () => fired.push(clock.now())));
    clock.advance(20);
    expect(fired).toEqual([10]);
  });
});

describe('systemClock', () => {
  it('does not fire a timer due beyond setTimeout’s 24.8-day limit at once', async () => {
    let fired = false;
    const timer = systemClock.setTimer(45 * 24 * 3600 * 1000, () => (fired = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    timer.cancel();
    expect(fired).toBe(false);
  });
});
