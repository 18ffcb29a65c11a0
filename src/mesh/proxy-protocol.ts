// The PROXY protocol header (HAProxy's spec, versions 1 and 2) the mesh writes first on a
// connection to a task that asks for it, so the service sees the real client address instead of
// the mesh's (what Swarm's ingress loses: moby/moby#25526). Decoding is here for tests and for
// services written in Node.

import { isIPv4, isIPv6 } from 'node:net';
import type { ProxyProtocolMode } from './endpoint-table.js';

export interface ProxiedAddresses {
  /** The client. */
  sourceAddress: string;
  sourcePort: number;
  /** The published port the client reached on the node. */
  destinationAddress: string;
  destinationPort: number;
}

/** v2's fixed 12-byte signature. */
export const PROXY_V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

/** The header for `mode` (an empty buffer for `off`). */
export function encodeProxyHeader(mode: ProxyProtocolMode, addresses: ProxiedAddresses): Buffer {
  if (mode === 'v1') return encodeProxyV1(addresses);
  if (mode === 'v2') return encodeProxyV2(addresses);
  return Buffer.alloc(0);
}

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, as dual-stack sockets report) as IPv4. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/**
 * The family both addresses can be written in, and the addresses in it: IPv4 when both are (or
 * are IPv4-mapped), IPv6 when both are IPv6, none for a mix.
 */
function family(source: string, destination: string): { fam: 4 | 6 | 0; src: string; dst: string } {
  const src = plainAddress(source);
  const dst = plainAddress(destination);
  if (isIPv4(src) && isIPv4(dst)) return { fam: 4, src, dst };
  if (isIPv6(source) && isIPv6(destination)) return { fam: 6, src: source, dst: destination };
  return { fam: 0, src, dst };
}

/** `PROXY TCP4 <src> <dst> <srcport> <dstport>\r\n`, or `PROXY UNKNOWN\r\n` for mixed families. */
export function encodeProxyV1(addresses: ProxiedAddresses): Buffer {
  const { fam, src, dst } = family(addresses.sourceAddress, addresses.destinationAddress);
  if (fam === 0) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  return Buffer.from(
    `PROXY TCP${fam} ${src} ${dst} ${addresses.sourcePort} ${addresses.destinationPort}\r\n`,
    'latin1',
  );
}

/** The binary header: PROXY command over TCP, IPv4 or IPv6 addresses, no TLVs. */
export function encodeProxyV2(addresses: ProxiedAddresses): Buffer {
  const { fam, src, dst } = family(addresses.sourceAddress, addresses.destinationAddress);
  if (fam === 0) {
    // LOCAL command, UNSPEC family: the receiver uses the connection's own addresses.
    const header = Buffer.alloc(16);
    PROXY_V2_SIGNATURE.copy(header, 0);
    header[12] = 0x20;
    header[13] = 0x00;
    header.writeUInt16BE(0, 14);
    return header;
  }
  const addrLength = fam === 4 ? 12 : 36;
  const header = Buffer.alloc(16 + addrLength);
  PROXY_V2_SIGNATURE.copy(header, 0);
  header[12] = 0x21; // version 2, PROXY
  header[13] = fam === 4 ? 0x11 : 0x21; // AF_INET or AF_INET6, STREAM
  header.writeUInt16BE(addrLength, 14);
  const ipBytes = fam === 4 ? ipv4Bytes : ipv6Bytes;
  const size = fam === 4 ? 4 : 16;
  ipBytes(src).copy(header, 16);
  ipBytes(dst).copy(header, 16 + size);
  header.writeUInt16BE(addresses.sourcePort, 16 + 2 * size);
  header.writeUInt16BE(addresses.destinationPort, 18 + 2 * size);
  return header;
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map((part) => Number(part)));
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  // A trailing dotted quad (`::ffff:1.2.3.4`) becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const b = ipv4Bytes(dotted[1]);
    text =
      text.slice(0, -dotted[1].length) +
      `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...new Array<string>(zeros).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export interface DecodedProxyHeader {
  version: 1 | 2;
  /** null for `PROXY UNKNOWN` and v2 LOCAL. */
  addresses: ProxiedAddresses | null;
  /** Bytes the header took at the start of the buffer. */
  length: number;
}

/**
 * Reads a PROXY header at the start of `data`: the header, null when `data` holds only part of
 * one so far, or an Error when it is not a valid header.
 */
export function decodeProxyHeader(data: Buffer): DecodedProxyHeader | null | Error {
  if (data.length >= 12 && data.subarray(0, 12).equals(PROXY_V2_SIGNATURE)) return decodeV2(data);
  if (data.length < 12 && PROXY_V2_SIGNATURE.subarray(0, data.length).equals(data)) return null;
  const prefix = 'PROXY ';
  if (
    data.subarray(0, Math.min(6, data.length)).toString('latin1') !==
    prefix.slice(0, Math.min(6, data.length))
  )
    return new Error('not a PROXY protocol header');
  const end = data.indexOf('\r\n');
  if (end === -1) return data.length > 107 ? new Error('PROXY v1 header longer than 107 bytes') : null;
  const parts = data.subarray(0, end).toString('latin1').split(' ');
  if (parts[1] === 'UNKNOWN') return { version: 1, addresses: null, length: end + 2 };
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6'))
    return new Error(`malformed PROXY v1 header: ${parts.join(' ')}`);
  return {
    version: 1,
    addresses: {
      sourceAddress: parts[2] as string,
      destinationAddress: parts[3] as string,
      sourcePort: Number(parts[4]),
      destinationPort: Number(parts[5]),
    },
    length: end + 2,
  };
}

function decodeV2(data: Buffer): DecodedProxyHeader | null | Error {
  if (data.length < 16) return null;
  const versionCommand = data[12] as number;
  if (versionCommand >> 4 !== 2) return new Error(`PROXY v2 header with version ${versionCommand >> 4}`);
  const length = data.readUInt16BE(14);
  if (data.length < 16 + length) return null;
  const familyByte = data[13] as number;
  if ((versionCommand & 0x0f) === 0 || familyByte >> 4 === 0)
    return { version: 2, addresses: null, length: 16 + length };
  if (familyByte >> 4 === 1 && length >= 12) {
    const ip = (o: number): string => [...data.subarray(o, o + 4)].join('.');
    return {
      version: 2,
      addresses: {
        sourceAddress: ip(16),
        destinationAddress: ip(20),
        sourcePort: data.readUInt16BE(24),
        destinationPort: data.readUInt16BE(26),
      },
      length: 16 + length,
    };
  }
  if (familyByte >> 4 === 2 && length >= 36) {
    const ip = (o: number): string => {
      const groups: string[] = [];
      for (let i = 0; i < 8; i++) groups.push(data.readUInt16BE(o + 2 * i).toString(16));
      return groups.join(':');
    };
    return {
      version: 2,
      addresses: {
        sourceAddress: ip(16),
        destinationAddress: ip(32),
        sourcePort: data.readUInt16BE(48),
        destinationPort: data.readUInt16BE(50),
      },
      length: 16 + length,
    };
  }
  return new Error(`PROXY v2 header with unsupported family byte 0x${familyByte.toString(16)}`);
}
