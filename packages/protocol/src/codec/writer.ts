// Writer: a growable byte buffer for the generated encoders.
//
// Owns buffer growth and the primitive encodings (big-endian integers, varints, Kafka strings and bytes).
// `finish()` returns a view of the written bytes without copying; the Writer may be `reset()` and reused,
// which invalidates earlier views, so callers that keep the bytes must copy or use a fresh Writer.
// With `zeroCopyBytesMin`, large byte fields (records) are referenced instead of copied and `finishParts()`
// returns the output as a list of buffers.
// Must never write a length prefix that disagrees with the bytes that follow it.

import { EncodeError } from "./errors.ts";
import type { TaggedField } from "./reader.ts";
import { uuidByteCount, uuidToBytes } from "./uuid.ts";

const utf8 = new TextEncoder();
const stringBytesMax = 0x7fff;
const writerBytesMax = 0x7fff_ffff;
const initialBytesDefault = 256;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

// Integer writes check their range: DataView would silently wrap or truncate (70000 as int16, 1.5 as int32),
// turning a caller's bug into corrupt but well-formed bytes. The checks are a few ALU operations.
function outOfRange(type: string, v: unknown): EncodeError {
  return new EncodeError("invalid-value", `${String(v)} is not a valid ${type}`);
}

export interface WriterOptions {
  /**
   * Byte fields at least this long (records above all) are not copied: the writer keeps a reference and
   * `finishParts()` returns the output as a list of buffers, ready for a vectored socket write. Off
   * (Infinity) by default. Referenced buffers must stay unchanged until the parts are sent.
   */
  readonly zeroCopyBytesMin?: number;
}

export class Writer {
  bytes: Uint8Array;
  view: DataView;
  /** Write position in `bytes`. Equal to `length` unless zero-copy parts were taken. */
  offset = 0;
  private readonly zeroCopyBytesMin: number;
  // Zero-copy state: sealed output (buffer segments and referenced parts) precedes bytes[segmentStart..offset).
  private parts: Uint8Array[] = [];
  private partStarts: number[] = [];
  private sealedBytes = 0;
  private segmentStart = 0;
  // Sized regions (tagged fields) have their length inserted afterwards, so they must stay contiguous.
  private sizedDepth = 0;

  constructor(initialBytes = initialBytesDefault, options: WriterOptions = {}) {
    this.bytes = new Uint8Array(Math.max(initialBytes, 16));
    this.view = new DataView(this.bytes.buffer);
    this.zeroCopyBytesMin = options.zeroCopyBytesMin ?? Number.POSITIVE_INFINITY;
    if (!(this.zeroCopyBytesMin >= 1))
      throw new EncodeError("invalid-value", "zeroCopyBytesMin must be >= 1");
  }

  /** Bytes written so far, referenced parts included. */
  get length(): number {
    return this.sealedBytes + (this.offset - this.segmentStart);
  }

  /** Makes room for `byteCount` more bytes, doubling the buffer as needed. */
  ensure(byteCount: number): void {
    const needed = this.offset + byteCount;
    if (needed <= this.bytes.length) return;
    if (needed > writerBytesMax)
      throw new EncodeError("too-long", `message would exceed ${writerBytesMax} bytes`);
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(Math.min(size, writerBytesMax));
    // Offsets stay valid across growth; sealed segments keep viewing the old buffer.
    next.set(this.bytes.subarray(this.segmentStart, this.offset), this.segmentStart);
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  /**
   * The bytes written so far. Without zero-copy parts this is a view (no copy); with them, the parts are
   * concatenated into a new array (use `finishParts()` to avoid that copy).
   */
  finish(): Uint8Array {
    if (this.parts.length === 0) return this.bytes.subarray(0, this.offset);
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const part of this.finishParts()) {
      out.set(part, o);
      o += part.length;
    }
    return out;
  }

  /** The bytes written so far as a list of buffers (views and referenced parts, no copy). */
  finishParts(): Uint8Array[] {
    const tail = this.bytes.subarray(this.segmentStart, this.offset);
    return tail.length === 0 ? this.parts.slice() : [...this.parts, tail];
  }

  /** Forgets the written bytes, keeping the buffer for reuse. */
  reset(): void {
    this.offset = 0;
    this.parts = [];
    this.partStarts = [];
    this.sealedBytes = 0;
    this.segmentStart = 0;
    this.sizedDepth = 0;
  }

  writeInt8(v: number): void {
    if ((v << 24) >> 24 !== v) throw outOfRange("int8", v);
    this.ensure(1);
    this.view.setInt8(this.offset++, v);
  }

  writeBool(v: boolean): void {
    this.ensure(1);
    this.bytes[this.offset++] = v ? 1 : 0;
  }

  writeInt16(v: number): void {
    if ((v << 16) >> 16 !== v) throw outOfRange("int16", v);
    this.ensure(2);
    this.view.setInt16(this.offset, v);
    this.offset += 2;
  }

  writeUint16(v: number): void {
    if ((v & 0xffff) !== v) throw outOfRange("uint16", v);
    this.ensure(2);
    this.view.setUint16(this.offset, v);
    this.offset += 2;
  }

  writeInt32(v: number): void {
    if ((v | 0) !== v) throw outOfRange("int32", v);
    this.ensure(4);
    this.view.setInt32(this.offset, v);
    this.offset += 4;
  }

  writeUint32(v: number): void {
    if (v >>> 0 !== v) throw outOfRange("uint32", v);
    this.ensure(4);
    this.view.setUint32(this.offset, v);
    this.offset += 4;
  }

  writeInt64(v: bigint): void {
    if (typeof v !== "bigint" || v < int64Min || v > int64Max) throw outOfRange("int64", v);
    this.ensure(8);
    this.view.setBigInt64(this.offset, v);
    this.offset += 8;
  }

  writeFloat64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.offset, v);
    this.offset += 8;
  }

  writeUuid(v: string): void {
    this.ensure(uuidByteCount);
    uuidToBytes(v, this.bytes, this.offset);
    this.offset += uuidByteCount;
  }

  /** Unsigned LEB128 varint of at most 32 bits. */
  writeUVarint(v: number): void {
    this.ensure(5);
    const bytes = this.bytes;
    let o = this.offset;
    // Unsigned shifts keep values up to 2^32-1 exact and the arithmetic on int32 paths.
    let u = v >>> 0;
    while (u > 0x7f) {
      bytes[o++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    bytes[o++] = u;
    this.offset = o;
  }

  /** Copies `v` into the buffer, or references it when it is at least `zeroCopyBytesMin` long. */
  writeRaw(v: Uint8Array): void {
    if (v.length >= this.zeroCopyBytesMin && this.sizedDepth === 0) {
      this.seal();
      this.parts.push(v);
      this.partStarts.push(-1);
      this.sealedBytes += v.length;
      return;
    }
    this.ensure(v.length);
    this.bytes.set(v, this.offset);
    this.offset += v.length;
  }

  // Closes the current buffer segment as a part; writing continues after it in the same buffer.
  private seal(): void {
    if (this.offset > this.segmentStart) {
      this.parts.push(this.bytes.subarray(this.segmentStart, this.offset));
      this.partStarts.push(this.segmentStart);
      this.sealedBytes += this.offset - this.segmentStart;
      this.segmentStart = this.offset;
    }
  }

  /** Reserves `byteCount` bytes to be patched later (e.g. a frame size); returns their offset. */
  reserve(byteCount: number): number {
    this.ensure(byteCount);
    const at = this.offset;
    this.offset += byteCount;
    return at;
  }

  /** Overwrites an INT32 at an earlier offset (e.g. a frame size reserved with `reserve(4)`). */
  patchInt32(at: number, v: number): void {
    if (at >= this.segmentStart) {
      this.view.setInt32(at, v);
      return;
    }
    // The position was sealed into a part already (zero-copy mode): patch it there.
    for (let i = 0; i < this.parts.length; i++) {
      const start = this.partStarts[i]!;
      const part = this.parts[i]!;
      if (start >= 0 && at >= start && at + 4 <= start + part.length) {
        new DataView(part.buffer, part.byteOffset, part.byteLength).setInt32(at - start, v);
        return;
      }
    }
    throw new EncodeError("invalid-value", `offset ${at} is not in a writable part`);
  }

  /** Starts a region whose UVARINT size is inserted before it by `endSized` (tagged fields). */
  beginSized(): number {
    this.sizedDepth++;
    return this.offset;
  }

  /** Ends a region started by `beginSized`, inserting its size in front of it. */
  endSized(at: number): void {
    this.sizedDepth--;
    this.insertUVarintAt(at, this.offset - at);
  }

  /**
   * Inserts UVARINT(v) at `at`, shifting the bytes after it. Used for the size of a tagged field, which is
   * only known after the field is written; tagged fields are rare, so the shift is cheap overall.
   */
  insertUVarintAt(at: number, v: number): void {
    let u = v >>> 0;
    let width = 1;
    for (let x = u; x > 0x7f; x >>>= 7) width++;
    this.ensure(width);
    const bytes = this.bytes;
    bytes.copyWithin(at + width, at, this.offset);
    // Written in place: calling writeUVarint here could grow the buffer with `offset` moved back to `at`,
    // which would drop the bytes just shifted.
    let o = at;
    while (u > 0x7f) {
      bytes[o++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    bytes[o] = u;
    this.offset += width;
  }

  // Writes UTF-8 of `s` whose byte length is already known to be `byteCount`.
  private utf8(s: string, byteCount: number): void {
    this.ensure(byteCount);
    if (byteCount === s.length) {
      // All code units are ASCII (byte length equals UTF-16 length only then).
      const bytes = this.bytes;
      let o = this.offset;
      for (let i = 0; i < s.length; i++) bytes[o++] = s.charCodeAt(i);
      this.offset = o;
      return;
    }
    const { written } = utf8.encodeInto(s, this.bytes.subarray(this.offset, this.offset + byteCount));
    this.offset += written;
  }

  writeString(v: string): void {
    const n = utf8ByteLength(v);
    if (n > stringBytesMax)
      throw new EncodeError("too-long", `string of ${n} bytes exceeds ${stringBytesMax}`);
    this.writeInt16(n);
    this.utf8(v, n);
  }

  writeNullableString(v: string | null): void {
    if (v === null) this.writeInt16(-1);
    else this.writeString(v);
  }

  writeCompactString(v: string): void {
    const n = utf8ByteLength(v);
    if (n > stringBytesMax)
      throw new EncodeError("too-long", `string of ${n} bytes exceeds ${stringBytesMax}`);
    this.writeUVarint(n + 1);
    this.utf8(v, n);
  }

  writeCompactNullableString(v: string | null): void {
    if (v === null) this.writeUVarint(0);
    else this.writeCompactString(v);
  }

  writeBytes(v: Uint8Array): void {
    this.writeInt32(v.length);
    this.writeRaw(v);
  }

  writeNullableBytes(v: Uint8Array | null): void {
    if (v === null) this.writeInt32(-1);
    else this.writeBytes(v);
  }

  writeCompactBytes(v: Uint8Array): void {
    this.writeUVarint(v.length + 1);
    this.writeRaw(v);
  }

  writeCompactNullableBytes(v: Uint8Array | null): void {
    if (v === null) this.writeUVarint(0);
    else this.writeCompactBytes(v);
  }

  /** INT32-length records: one buffer, or several (stored batches) written back to back without a concat. */
  writeRecords(v: RecordsInput): void {
    if (isRecordsPart(v)) {
      this.writeBytes(v);
      return;
    }
    this.writeInt32(recordsByteLength(v));
    for (const part of v) this.writeRaw(part);
  }

  writeNullableRecords(v: RecordsInput | null): void {
    if (v === null) this.writeInt32(-1);
    else this.writeRecords(v);
  }

  /** UVARINT(length + 1) records, one buffer or several. */
  writeCompactRecords(v: RecordsInput): void {
    if (isRecordsPart(v)) {
      this.writeCompactBytes(v);
      return;
    }
    this.writeUVarint(recordsByteLength(v) + 1);
    for (const part of v) this.writeRaw(part);
  }

  writeCompactNullableRecords(v: RecordsInput | null): void {
    if (v === null) this.writeUVarint(0);
    else this.writeCompactRecords(v);
  }

  /** INT32 array count; null is written as -1. */
  writeArrayCount(v: { readonly length: number } | null): void {
    this.writeInt32(v === null ? -1 : v.length);
  }

  /** UVARINT(count + 1) array count; null is written as 0. */
  writeCompactArrayCount(v: { readonly length: number } | null): void {
    this.writeUVarint(v === null ? 0 : v.length + 1);
  }

  /** Writes preserved unknown tagged fields verbatim. */
  writeUnknownTaggedFields(fields: readonly TaggedField[]): void {
    for (const f of fields) {
      this.writeUVarint(f.tag);
      this.writeUVarint(f.data.length);
      this.writeRaw(f.data);
    }
  }
}

/**
 * What an encoder accepts for a `records` field: the bytes, or a list of buffers (for instance the stored
 * batches a fetch returns) that are written back to back, so the caller need not concatenate them first.
 * Decoders always return one Uint8Array (a view into the input).
 */
export type RecordsInput = Uint8Array | readonly Uint8Array[];

function isRecordsPart(v: RecordsInput): v is Uint8Array {
  return v instanceof Uint8Array;
}

function recordsByteLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const part of parts) n += part.length;
  if (n > writerBytesMax) throw new EncodeError("too-long", `records of ${n} bytes exceed ${writerBytesMax}`);
  return n;
}

/** UTF-8 byte length of a JavaScript string (lone surrogates count as the 3-byte replacement character). */
export function utf8ByteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        // A surrogate pair is 2 code units and 4 bytes.
        n += 2;
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/** Throws EncodeError when a non-nullable field holds null in this version. */
export function notNull<T>(v: T | null, field: string): T {
  if (v === null) throw new EncodeError("null-not-allowed", `${field} is not nullable in this version`);
  return v;
}
