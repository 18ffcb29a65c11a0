// QuietTracker on a socket whose byte counts the test moves: quiet only after a whole limit with
// no movement seen, counted from the check that saw the last movement.

import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { QuietTracker } from '../../../src/mesh/quiet-tracker.js';

describe('QuietTracker', () => {
  it('is quiet once the byte counts stood still for the limit, in either direction', () => {
    const socket = { bytesRead: 0, bytesWritten: 0 };
    const tracker = new QuietTracker(socket as unknown as Socket, 1000);
    expect(tracker.quietFor(1500, 1000)).toBe(false);
    expect(tracker.quietFor(2000, 1000)).toBe(true); // nothing since it opened at 1000
    socket.bytesRead += 10;
    expect(tracker.quietFor(2100, 1000)).toBe(false); // movement seen at 2100
    expect(tracker.quietFor(3000, 1000)).toBe(false);
    socket.bytesWritten += 5;
    expect(tracker.quietFor(3050, 1000)).toBe(false); // the other direction counts too
    expect(tracker.quietFor(4049, 1000)).toBe(false);
    expect(tracker.quietFor(4050, 1000)).toBe(true);
    // A longer limit (a table update) applies from the same last movement.
    expect(tracker.quietFor(4050, 5000)).toBe(false);
  });
});
