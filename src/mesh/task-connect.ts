// Opening a TCP connection to a task on this node, with the socket options every mesh connection
// gets (no Nagle delay, keepalive, half-open allowed so a FIN crosses as a FIN), a bounded connect
// time and reads through a ReadForwarder; and the PROXY header that goes first when the service
// asks for one.

import { connect, type Socket } from 'node:net';
import type { TaskAddress } from './context.js';
import { MeshError } from './errors.js';
import { encodeProxyHeader, type ProxiedAddresses } from './proxy-protocol.js';
import type { ProxyProtocolMode } from './endpoint-table.js';
import type { ReadForwarder } from './read-forwarder.js';

/**
 * Connects to a task. The socket reads into the forwarder's buffer and starts paused: no byte is
 * read before `forwarder.start` names where they go.
 */
export function connectTask(
  address: TaskAddress,
  options: { connectTimeoutMs: number; keepAliveMs: number },
  forwarder: ReadForwarder,
): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({
      host: address.host,
      port: address.port,
      allowHalfOpen: true,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: options.keepAliveMs,
      onread: forwarder.onread,
    });
    socket.pause();
    const onError = (err: Error): void => {
      socket.off('connect', onConnect);
      socket.off('timeout', onTimeout);
      socket.destroy();
      reject(err);
    };
    const onTimeout = (): void => {
      onError(
        new MeshError(
          'BACKEND_UNREACHABLE',
          `${address.host}:${address.port} did not accept within ${options.connectTimeoutMs} ms`,
          { errno: 'ETIMEDOUT' },
        ),
      );
    };
    const onConnect = (): void => {
      socket.setTimeout(0);
      socket.off('error', onError);
      socket.off('timeout', onTimeout);
      resolve(socket);
    };
    socket.setTimeout(options.connectTimeoutMs);
    socket.once('timeout', onTimeout);
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}

/** Writes the PROXY header, if any, as the connection's first bytes. */
export function writeProxyHeader(
  socket: Socket,
  mode: ProxyProtocolMode,
  addresses: ProxiedAddresses,
): number {
  if (mode === 'off') return 0;
  const header = encodeProxyHeader(mode, addresses);
  socket.write(header);
  return header.length;
}
