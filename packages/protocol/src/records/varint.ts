/**
 * Kafka's variable-length zigzag integers (protobuf style), as used inside v2 records. Owns reading and
 * writing them over a bounded byte range. It must never read past `end`, and never hand back a value it
 * could not represent exactly: a varlong beyond 2^53 is refused rather than rounded.
 */

import { RecordBatchError } from "./record-batch-error.ts";

/** A varint for an int32 takes at most 5 bytes; Kafka refuses longer encodings and so do we. */
export const varintBytesMax = 5;
/** A varlong for an int64 takes at most 10 bytes. */
export const varlongBytesMax = 10;

const twoPow53 = 2 ** 53;

/**
 * The range of varlong values this module reads and writes exactly: their zigzag form stays below 2^53.
 * Kafka timestamps deltas in milliseconds sit far inside it.
 */
export const varlongValueMin = -(2 ** 52);
export const varlongValueMax = 2 ** 52 - 1;

/**
 * A read position inside `bytes`, bounded by `end`. Positions in errors are reported relative to
 * `origin` so that they point into the buffer the caller handed in, not into a decompressed copy.
 */
export class ByteCursor {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
    readonly origin = 0,
  ) {}

  /** Bytes left before `end`. */
  remaining(): number {
    return this.end - this.pos;
  }

  truncated(what: string): RecordBatchError {
    return new RecordBatchError(
      "Truncated",
      `${what} runs past the end of the records`,
      this.pos - this.origin,
    );
  }

  /** Reads a zigzag varint into a signed 32-bit integer. */
  varint(what: string): number {
    const bytes = this.bytes;
    let pos = this.pos;
    let raw = 0;
    for (let i = 0; i < varintBytesMax; i += 1) {
      if (pos >= this.end) {
        this.pos = pos;
        throw this.truncated(what);
      }
      const b = bytes[pos]!;
      pos += 1;
      raw |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) {
        this.pos = pos;
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw new RecordBatchError(
      "BadRecord",
      `${what}: varint longer than ${varintBytesMax} bytes`,
      pos - this.origin,
    );
  }

  /** Reads a zigzag varlong; values whose magnitude needs more than 53 bits are refused, not rounded. */
  varlong(what: string): number {
    const bytes = this.bytes;
    let pos = this.pos;
    let raw = 0;
    let scale = 1;
    for (let i = 0; i < varlongBytesMax; i += 1) {
      if (pos >= this.end) {
        this.pos = pos;
        throw this.truncated(what);
      }
      const b = bytes[pos]!;
      pos += 1;
      raw += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (raw >= twoPow53) {
          throw new RecordBatchError(
            "BadRecord",
            `${what}: varlong beyond 2^53 is not supported`,
            pos - this.origin,
          );
        }
        this.pos = pos;
        return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      }
      scale *= 128;
    }
    throw new RecordBatchError(
      "BadRecord",
      `${what}: varlong longer than ${varlongBytesMax} bytes`,
      pos - this.origin,
    );
  }

  /** Reads one signed byte. */
  int8(what: string): number {
    if (this.pos >= this.end) throw this.truncated(what);
    const b = this.bytes[this.pos]!;
    this.pos += 1;
    return (b << 24) >> 24;
  }

  /** Returns a view (no copy) of the next `length` bytes; `length` was checked against what remains. */
  slice(length: number, what: string): Uint8Array {
    if (length > this.end - this.pos) throw this.truncated(what);
    const start = this.pos;
    this.pos = start + length;
    return this.bytes.subarray(start, this.pos);
  }
}

/** Encoded size of `value` (a signed int32) as a zigzag varint. */
export function varintSize(value: number): number {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  let size = 1;
  while (raw >= 0x80) {
    raw >>>= 7;
    size += 1;
  }
  return size;
}

/** Writes `value` (a signed int32) as a zigzag varint at `pos`; returns the position after it. */
export function writeVarint(bytes: Uint8Array, pos: number, value: number): number {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  while (raw >= 0x80) {
    bytes[pos] = (raw & 0x7f) | 0x80;
    pos += 1;
    raw >>>= 7;
  }
  bytes[pos] = raw;
  return pos + 1;
}

function zigzagLong(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Encoded size of `value` (a safe integer) as a zigzag varlong. */
export function varlongSize(value: number): number {
  let raw = zigzagLong(value);
  let size = 1;
  while (raw >= 0x80) {
    raw = Math.floor(raw / 128);
    size += 1;
  }
  return size;
}

/** Writes `value` (a safe integer) as a zigzag varlong at `pos`; returns the position after it. */
export function writeVarlong(bytes: Uint8Array, pos: number, value: number): number {
  let raw = zigzagLong(value);
  while (raw >= 0x80) {
    bytes[pos] = (raw % 128) | 0x80;
    pos += 1;
    raw = Math.floor(raw / 128);
  }
  bytes[pos] = raw;
  return pos + 1;
}
