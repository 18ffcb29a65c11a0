// Little-endian helpers shared by the WAL and snapshot formats. Terms and indexes are stored as u64
// in two u32 halves: JS numbers are exact up to 2^53, and this avoids BigInt on the hot path.

const TWO_POW_32 = 0x1_0000_0000;
/** The high half of Number.MAX_SAFE_INTEGER (2^53 - 1). */
const MAX_SAFE_HIGH = 0x1f_ffff;

export function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32LE(value >>> 0, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_POW_32), offset + 4);
}

/** The u64 at `offset`, or null when it exceeds Number.MAX_SAFE_INTEGER (we never write such). */
export function readU64(buf: Buffer, offset: number): number | null {
  const low = buf.readUInt32LE(offset);
  const high = buf.readUInt32LE(offset + 4);
  return high > MAX_SAFE_HIGH ? null : high * TWO_POW_32 + low;
}

export function isU64(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Bytes read from disk did not decode; converted to a corruption error naming the file. */
export class DecodeError extends Error {
  readonly code = 'STORAGE_DECODE';
}

/** A bounds-checked cursor over a byte range; throws DecodeError instead of reading past `end`. */
export class ByteReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** Where the next read starts, as an offset into the whole buffer. */
  get position(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1));
  }

  u16(): number {
    return this.buf.readUInt16LE(this.take(2));
  }

  u32(): number {
    return this.buf.readUInt32LE(this.take(4));
  }

  u64(): number {
    const at = this.take(8);
    const value = readU64(this.buf, at);
    if (value === null) throw new DecodeError(`integer at offset ${at} exceeds 2^53`);
    return value;
  }

  string(byteLength: number): string {
    const at = this.take(byteLength);
    return this.buf.toString('utf8', at, at + byteLength);
  }

  /** A view of the next bytes (no copy): it keeps the whole underlying buffer alive. */
  bytes(byteLength: number): Uint8Array {
    const at = this.take(byteLength);
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + at, byteLength);
  }

  private take(byteLength: number): number {
    if (byteLength > this.end - this.pos) {
      throw new DecodeError(
        `needs ${byteLength} bytes at offset ${this.pos}, only ${this.end - this.pos} left`,
      );
    }
    const at = this.pos;
    this.pos += byteLength;
    return at;
  }
}
