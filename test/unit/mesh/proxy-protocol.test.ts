// PROXY protocol headers byte for byte against HAProxy's specification (proxy-protocol.txt), and
// decoding them back.

import { describe, expect, it } from 'vitest';
import {
  decodeProxyHeader,
  encodeProxyHeader,
  encodeProxyV1,
  encodeProxyV2,
} from '../../../src/mesh/index.js';

const v4 = {
  sourceAddress: '192.168.0.1',
  sourcePort: 56324,
  destinationAddress: '192.168.0.11',
  destinationPort: 443,
};

describe('PROXY protocol v1', () => {
  it('writes the spec example for TCP over IPv4', () => {
    expect(encodeProxyV1(v4).toString('latin1')).toBe('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n');
  });

  it('writes TCP6, unmaps IPv4-mapped addresses, and says UNKNOWN for mixed families', () => {
    expect(
      encodeProxyV1({
        sourceAddress: '2001:db8::1',
        sourcePort: 1,
        destinationAddress: '::1',
        destinationPort: 2,
      }).toString(),
    ).toBe('PROXY TCP6 2001:db8::1 ::1 1 2\r\n');
    expect(encodeProxyV1({ ...v4, sourceAddress: '::ffff:10.1.2.3' }).toString()).toBe(
      'PROXY TCP4 10.1.2.3 192.168.0.11 56324 443\r\n',
    );
    expect(encodeProxyV1({ ...v4, sourceAddress: '2001:db8::1' }).toString()).toBe('PROXY UNKNOWN\r\n');
  });
});

describe('PROXY protocol v2', () => {
  it('writes signature, version/command, family, length and addresses for IPv4', () => {
    const header = encodeProxyV2(v4);
    expect(header.toString('hex')).toBe(
      '0d0a0d0a000d0a515549540a' + // signature
        '21' + // v2, PROXY
        '11' + // AF_INET, STREAM
        '000c' + // 12 bytes of addresses
        'c0a80001' +
        'c0a8000b' +
        'dc04' + // 56324
        '01bb', // 443
    );
  });

  it('writes 36 address bytes for IPv6 and expands ::', () => {
    const header = encodeProxyV2({
      sourceAddress: '2001:db8::1',
      sourcePort: 80,
      destinationAddress: '::ffff:10.0.0.1',
      destinationPort: 81,
    });
    expect(header[13]).toBe(0x21);
    expect(header.readUInt16BE(14)).toBe(36);
    expect(header.subarray(16, 32).toString('hex')).toBe('20010db8000000000000000000000001');
    // A mapped address against an IPv6 source stays IPv6.
    expect(header.subarray(32, 48).toString('hex')).toBe('00000000000000000000ffff0a000001');
  });

  it('writes a LOCAL header for mixed families', () => {
    const header = encodeProxyV2({ ...v4, destinationAddress: '::1' });
    expect(header.length).toBe(16);
    expect(header[12]).toBe(0x20);
    expect(header[13]).toBe(0x00);
  });
});

describe('decodeProxyHeader', () => {
  it('reads back what it encodes, with the bytes that follow left alone', () => {
    for (const mode of ['v1', 'v2'] as const) {
      const data = Buffer.concat([encodeProxyHeader(mode, v4), Buffer.from('GET / HTTP/1.1\r\n')]);
      const decoded = decodeProxyHeader(data);
      if (decoded === null || decoded instanceof Error) throw new Error(`not decoded: ${String(decoded)}`);
      expect(decoded.version).toBe(mode === 'v1' ? 1 : 2);
      expect(decoded.addresses).toEqual(v4);
      expect(data.subarray(decoded.length).toString()).toBe('GET / HTTP/1.1\r\n');
    }
  });

  it('waits for more bytes on a partial header and refuses what is not one', () => {
    const v2 = encodeProxyV2(v4);
    expect(decodeProxyHeader(v2.subarray(0, 5))).toBeNull();
    expect(decodeProxyHeader(v2.subarray(0, 20))).toBeNull();
    expect(decodeProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4'))).toBeNull();
    expect(decodeProxyHeader(Buffer.from('GET / HTTP/1.1\r\n'))).toBeInstanceOf(Error);
    expect(decodeProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4\r\n'))).toBeInstanceOf(Error);
  });

  it('writes nothing when PROXY protocol is off', () => {
    expect(encodeProxyHeader('off', v4).length).toBe(0);
  });
});
