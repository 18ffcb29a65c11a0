// The host part of an address as operators and gRPC write them.

import { isIP } from 'node:net';

/**
 * The host of `10.0.0.5`, `10.0.0.5:2377`, `[fd00::5]:2377`, `fd00::5` or `node-1:2377`: an
 * address that is an IP as it stands is returned whole (a bare IPv6 address has colons but no
 * port), brackets are dropped, and a trailing `:port` is cut.
 */
export function hostOf(address: string): string {
  if (isIP(address) !== 0) return address;
  if (address.startsWith('[')) return address.slice(1, address.indexOf(']'));
  const colon = address.lastIndexOf(':');
  return colon < 0 ? address : address.slice(0, colon);
}

/** The port of a host:port address, when it names one other than 0 (any free port). */
export function portOf(address: string): number | undefined {
  if (isIP(address) !== 0) return undefined;
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined;
}
