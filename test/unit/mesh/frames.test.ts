// The tunnel's frames: header layout, and the validation of what a peer sends in OPEN and RST.

import { describe, expect, it } from 'vitest';
import {
  frame,
  FrameType,
  jsonPayload,
  parseOpenRequest,
  parseStreamError,
  type OpenRequest,
} from '../../../src/mesh/tunnel/frames.js';

const open: OpenRequest = {
  taskId: 'task1',
  targetPort: 80,
  protocol: 'tcp',
  proxyProtocol: 'v2',
  sourceAddress: '10.0.0.9',
  sourcePort: 40000,
  destinationAddress: '10.0.0.1',
  destinationPort: 8080,
  idleTimeoutMs: 0,
};

describe('tunnel frames', () => {
  it('lays out type, stream id and length big-endian before the payload', () => {
    const f = frame(FrameType.DATA, 0x01020304, Buffer.from('abc'));
    expect(f.toString('hex')).toBe('04' + '01020304' + '00000003' + '616263');
    expect(frame(FrameType.PING, 0).length).toBe(9);
  });

  it('reads back a valid OPEN request', () => {
    expect(parseOpenRequest(jsonPayload(open))).toEqual(open);
  });

  it('refuses OPEN requests with missing or out-of-range fields', () => {
    const bad = (patch: Record<string, unknown>): unknown =>
      parseOpenRequest(Buffer.from(JSON.stringify({ ...open, ...patch })));
    expect(bad({ taskId: '' })).toBeInstanceOf(Error);
    expect(bad({ targetPort: 0 })).toBeInstanceOf(Error);
    expect(bad({ targetPort: 70000 })).toBeInstanceOf(Error);
    expect(bad({ protocol: 'sctp' })).toBeInstanceOf(Error);
    expect(bad({ proxyProtocol: 'v3' })).toBeInstanceOf(Error);
    expect(bad({ sourcePort: -1 })).toBeInstanceOf(Error);
    expect(bad({ idleTimeoutMs: 'soon' })).toBeInstanceOf(Error);
    expect(parseOpenRequest(Buffer.from('not json'))).toBeInstanceOf(Error);
    expect(parseOpenRequest(Buffer.from('[1,2]'))).toBeInstanceOf(Error);
  });

  it('reads stream errors leniently, bounding what a peer can make us log', () => {
    expect(parseStreamError(jsonPayload({ code: 'ECONNREFUSED', message: 'no' }))).toEqual({
      code: 'ECONNREFUSED',
      message: 'no',
    });
    expect(parseStreamError(Buffer.from('{'))).toMatchObject({ code: 'TUNNEL_PROTOCOL' });
    const long = parseStreamError(
      Buffer.from(JSON.stringify({ code: 'X'.repeat(500), message: 'y'.repeat(5000) })),
    );
    expect(long.code.length).toBe(64);
    expect(long.message.length).toBe(1024);
  });
});
