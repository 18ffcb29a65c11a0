// The restart policy of a node's mesh data-plane workers, and how the node's tunnel sessions are
// shared out among its processes (the processes themselves are tested in
// test/integration/mesh-data-plane.test.ts).

import { describe, expect, it } from 'vitest';
import { RestartBackoff } from '../../../src/mesh/data-plane.js';
import { DEFAULT_TUNNEL_SETTINGS, tunnelSettingsPerProcess } from '../../../src/mesh/mesh.js';

describe('data-plane worker restart backoff', () => {
  it('waits 1 s, then twice as long after each quick exit, at most 30 s', () => {
    const backoff = new RestartBackoff();
    const delays = Array.from({ length: 7 }, () => backoff.delayAfter(500));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('starts from 1 s again after a worker that lived a minute', () => {
    const backoff = new RestartBackoff();
    for (let i = 0; i < 4; i++) backoff.delayAfter(100);
    expect(backoff.delayAfter(59_999)).toBe(16_000);
    expect(backoff.delayAfter(60_000)).toBe(1000);
    expect(backoff.delayAfter(10)).toBe(2000);
  });

  it('takes other bounds', () => {
    const backoff = new RestartBackoff(10, 25, 100);
    expect(Array.from({ length: 4 }, () => backoff.delayAfter(0))).toEqual([10, 20, 25, 25]);
    expect(backoff.delayAfter(100)).toBe(10);
  });
});

describe('tunnel sessions per process', () => {
  it("gives each of a node's processes its share of the sessions per peer, at least one", () => {
    const share = (sessionsPerPeer: number, processes: number): number =>
      tunnelSettingsPerProcess({ ...DEFAULT_TUNNEL_SETTINGS, sessionsPerPeer }, processes).sessionsPerPeer;
    expect(share(2, 1)).toBe(2);
    expect(share(2, 2)).toBe(1);
    expect(share(2, 4)).toBe(1);
    expect(share(3, 2)).toBe(2);
    expect(share(8, 4)).toBe(2);
  });

  it('keeps the other tunnel settings', () => {
    const settings = { ...DEFAULT_TUNNEL_SETTINGS, streamWindow: 4096, sessionsPerPeer: 4 };
    expect(tunnelSettingsPerProcess(settings, 2)).toEqual({ ...settings, sessionsPerPeer: 2 });
  });
});
