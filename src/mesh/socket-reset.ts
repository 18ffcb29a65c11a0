// Ending a TCP connection with a reset, as a failure on the far side of the mesh would have: the
// client (or task) learns the connection failed instead of seeing a clean end.

import type { Socket } from 'node:net';

/**
 * Resets `socket` (RST), or destroys it when a reset is not possible. Node's resetAndDestroy on a
 * socket whose FIN is already queued fails inside libuv (uv_tcp_close_reset refuses a socket
 * that is shutting down), and the handle is then never closed: it stays in the event loop and
 * spins the CPU (seen with Node 20). So a socket we have ended is destroyed instead.
 */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded || socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}
