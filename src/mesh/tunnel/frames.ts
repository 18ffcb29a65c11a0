// The tunnel's wire format: frames of a 9-byte header (type u8, stream id u32, payload length u32,
// big-endian) and a payload. Control payloads are small JSON objects, validated here where bytes
// from the network become typed values. DATA payloads are the stream's bytes, forwarded as they
// arrive (a DATA frame may be split across reads) except on datagram streams (UDP), where one
// frame is one datagram.

export const FRAME_HEADER_BYTES = 9;
/** Largest control payload accepted (OPEN, OPEN_FAIL, RST). */
export const MAX_CONTROL_BYTES = 16 * 1024;
/** Largest DATA payload accepted: a read is at most 64 KiB; a datagram at most 64 KiB. */
export const MAX_DATA_BYTES = 1024 * 1024;

export const FrameType = {
  /** Client → server: open a stream to a task (payload OpenRequest). */
  OPEN: 1,
  /** Server → client: the task accepted the connection. */
  OPEN_OK: 2,
  /** Server → client: it did not (payload StreamError). */
  OPEN_FAIL: 3,
  DATA: 4,
  /** No more data in this direction (TCP half close). */
  FIN: 5,
  /** The stream ends abnormally in both directions (payload StreamError). */
  RST: 6,
  /** The receiver took this many more bytes off the stream (payload u32). */
  WINDOW: 7,
  PING: 8,
  PONG: 9,
} as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

/** What a client asks the remote mesh to connect a stream to. */
export interface OpenRequest {
  taskId: string;
  targetPort: number;
  protocol: 'tcp' | 'udp';
  proxyProtocol: 'off' | 'v1' | 'v2';
  /** The original client and the published port it reached (for the PROXY header). */
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
  /** 0: none. */
  idleTimeoutMs: number;
}

/** Why a stream failed to open or ended abnormally. */
export interface StreamError {
  /** A MeshErrorCode (errors.ts), or an errno code of the remote side (ECONNREFUSED, …). */
  code: string;
  message: string;
}

export function frameHeader(type: FrameTypeCode, streamId: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header[0] = type;
  header.writeUInt32BE(streamId, 1);
  header.writeUInt32BE(length, 5);
  return header;
}

/** A whole frame in one buffer (control frames, small DATA payloads). */
export function frame(type: FrameTypeCode, streamId: number, payload?: Buffer): Buffer {
  const length = payload?.length ?? 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  out[0] = type;
  out.writeUInt32BE(streamId, 1);
  out.writeUInt32BE(length, 5);
  if (payload !== undefined) payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

export function jsonPayload(value: OpenRequest | StreamError): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function windowPayload(bytes: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(bytes, 0);
  return out;
}

function parseJson(payload: Buffer): Record<string, unknown> | Error {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
    return new Error('payload is not a JSON object');
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

const isPort = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;

export function parseOpenRequest(payload: Buffer): OpenRequest | Error {
  const v = parseJson(payload);
  if (v instanceof Error) return v;
  const { taskId, targetPort, protocol, proxyProtocol, sourceAddress, sourcePort } = v;
  const { destinationAddress, destinationPort, idleTimeoutMs } = v;
  if (typeof taskId !== 'string' || taskId.length === 0 || taskId.length > 128)
    return new Error('OPEN: taskId must be a non-empty string');
  if (!isPort(targetPort) || targetPort === 0) return new Error('OPEN: targetPort must be a port number');
  if (protocol !== 'tcp' && protocol !== 'udp') return new Error('OPEN: protocol must be tcp or udp');
  if (proxyProtocol !== 'off' && proxyProtocol !== 'v1' && proxyProtocol !== 'v2')
    return new Error('OPEN: proxyProtocol must be off, v1 or v2');
  if (typeof sourceAddress !== 'string' || typeof destinationAddress !== 'string')
    return new Error('OPEN: addresses must be strings');
  if (!isPort(sourcePort) || !isPort(destinationPort)) return new Error('OPEN: ports must be port numbers');
  if (typeof idleTimeoutMs !== 'number' || !(idleTimeoutMs >= 0))
    return new Error('OPEN: idleTimeoutMs must be a non-negative number');
  return {
    taskId,
    targetPort,
    protocol,
    proxyProtocol,
    sourceAddress,
    sourcePort,
    destinationAddress,
    destinationPort,
    idleTimeoutMs,
  };
}

export function parseStreamError(payload: Buffer): StreamError {
  const v = parseJson(payload);
  if (v instanceof Error)
    return { code: 'TUNNEL_PROTOCOL', message: `unreadable error payload (${v.message})` };
  return {
    code: typeof v.code === 'string' ? v.code.slice(0, 64) : 'UNKNOWN',
    message: typeof v.message === 'string' ? v.message.slice(0, 1024) : '',
  };
}
