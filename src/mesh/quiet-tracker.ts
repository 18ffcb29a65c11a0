// How the mesh finds idle TCP connections: a periodic sweep reads each socket's byte counts,
// rather than a timer per socket, which Node refreshes on every read and write (a cost on every
// request through the mesh, where the sweep costs nothing between its passes).

import type { Socket } from 'node:net';

/** Whether a socket has carried no byte, either way, for some time, as seen by periodic checks. */
export class QuietTracker {
  private traffic = 0;

  constructor(
    private readonly socket: Socket,
    /** When the socket was opened (the clock's time). */
    private quietSince: number,
  ) {}

  /**
   * Whether no byte crossed the socket for `limitMs` before `now`. Traffic is seen when a check
   * notices the counts moved, so a socket is found quiet between `limitMs` and `limitMs` plus two
   * intervals between checks after its last byte.
   */
  quietFor(now: number, limitMs: number): boolean {
    const traffic = this.socket.bytesRead + this.socket.bytesWritten;
    if (traffic !== this.traffic) {
      this.traffic = traffic;
      this.quietSince = now;
      return false;
    }
    return now - this.quietSince >= limitMs;
  }
}
