// Reader: a cursor over a Uint8Array for the generated decoders.
//
// Owns bounds checking. Every read checks the bytes remaining first and throws a DecodeError, so no
// RangeError from DataView can escape, and every length or count read from the wire is checked against the
// bytes remaining BEFORE anything is allocated for it. Byte fields are returned as subarrays (no copy), so
// they alias the input buffer: callers that keep them beyond the buffer's life must copy.
// Must never allocate in proportion to an untrusted length that exceeds the input.

import { DecodeError } from "./errors.ts";
import { uuidByteCount, uuidFromBytes } from "./uuid.ts";

/** An unknown tagged field kept verbatim so that re-encoding preserves it. */
export interface TaggedField {
  readonly tag: number;
  readonly data: Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
// Short ASCII strings are decoded by hand: cheaper than a TextDecoder call for topic names and client ids.
const asciiFastPathBytesMax = 64;
const stringBytesMax = 0x7fff;

function truncated(needed: number, remaining: number): DecodeError {
  return new DecodeError("truncated", `need ${needed} bytes, ${remaining} remain`);
}

export class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  offset: number;
  /** Exclusive end of the readable region. */
  readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    if (offset < 0 || end > bytes.length || offset > end) {
      throw new DecodeError(
        "invalid-value",
        `reader bounds [${offset}, ${end}) outside ${bytes.length} bytes`,
      );
    }
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws unless `byteCount` more bytes are available. */
  need(byteCount: number): void {
    if (this.end - this.offset < byteCount) throw truncated(byteCount, this.end - this.offset);
  }

  readInt8(): number {
    this.need(1);
    return this.view.getInt8(this.offset++);
  }

  readBool(): boolean {
    this.need(1);
    return this.bytes[this.offset++] !== 0;
  }

  readInt16(): number {
    this.need(2);
    const v = this.view.getInt16(this.offset);
    this.offset += 2;
    return v;
  }

  readUint16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  readInt32(): number {
    this.need(4);
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }

  readUint32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  readInt64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.offset);
    this.offset += 8;
    return v;
  }

  readFloat64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.offset);
    this.offset += 8;
    return v;
  }

  readUuid(): string {
    this.need(uuidByteCount);
    const v = uuidFromBytes(this.bytes, this.offset);
    this.offset += uuidByteCount;
    return v;
  }

  /** Unsigned LEB128 varint of at most 32 bits (lengths, counts and tags of flexible versions). */
  readUVarint(): number {
    // Integer-only arithmetic keeps the JIT on its int32 paths; one-byte values (almost every length,
    // count and tag section) return at the first test.
    const bytes = this.bytes;
    let o = this.offset;
    const end = this.end;
    if (o >= end) throw truncated(1, 0);
    let b = bytes[o++]!;
    if (b < 0x80) {
      this.offset = o;
      return b;
    }
    let value = b & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      if (o >= end) throw truncated(1, 0);
      b = bytes[o++]!;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.offset = o;
        return value;
      }
    }
    if (o >= end) throw truncated(1, 0);
    b = bytes[o++]!;
    if (b > 0x0f) throw new DecodeError("varint-too-long", "uvarint exceeds 32 bits");
    this.offset = o;
    // The fifth byte holds bits 28-31; `>>> 0` keeps the result unsigned.
    return (value | (b << 28)) >>> 0;
  }

  /** `byteCount` raw bytes as a subarray of the input (no copy). */
  readRaw(byteCount: number): Uint8Array {
    if (byteCount < 0) throw new DecodeError("negative-length", `length ${byteCount}`);
    if (byteCount > this.end - this.offset) {
      throw new DecodeError(
        "length-exceeds-remaining",
        `length ${byteCount} > ${this.end - this.offset} remaining`,
      );
    }
    const v = this.bytes.subarray(this.offset, this.offset + byteCount);
    this.offset += byteCount;
    return v;
  }

  private utf8(byteCount: number): string {
    // Kafka strings never exceed INT16 max, even in compact form, and Kafka rejects longer ones.
    if (byteCount > stringBytesMax) {
      throw new DecodeError("invalid-value", `string length ${byteCount} exceeds ${stringBytesMax}`);
    }
    if (byteCount > this.end - this.offset) {
      throw new DecodeError(
        "length-exceeds-remaining",
        `length ${byteCount} > ${this.end - this.offset} remaining`,
      );
    }
    const start = this.offset;
    const stop = start + byteCount;
    this.offset = stop;
    const bytes = this.bytes;
    if (byteCount <= asciiFastPathBytesMax) {
      let s = "";
      let i = start;
      for (; i < stop; i++) {
        const b = bytes[i]!;
        if (b >= 0x80) break;
        s += String.fromCharCode(b);
      }
      if (i === stop) return s;
    }
    return utf8.decode(bytes.subarray(start, stop));
  }

  /** INT16-length string, never null. */
  readString(): string {
    const n = this.readInt16();
    if (n < 0) {
      if (n === -1) throw new DecodeError("unexpected-null", "null in a non-nullable string");
      throw new DecodeError("negative-length", `string length ${n}`);
    }
    return this.utf8(n);
  }

  /** INT16-length string; -1 is null. */
  readNullableString(): string | null {
    const n = this.readInt16();
    if (n < 0) {
      if (n === -1) return null;
      throw new DecodeError("negative-length", `string length ${n}`);
    }
    return this.utf8(n);
  }

  /** UVARINT(length + 1) string, never null. */
  readCompactString(): string {
    const n = this.readUVarint() - 1;
    if (n < 0) throw new DecodeError("unexpected-null", "null in a non-nullable compact string");
    return this.utf8(n);
  }

  /** UVARINT(length + 1) string; 0 is null. */
  readCompactNullableString(): string | null {
    const n = this.readUVarint() - 1;
    if (n < 0) return null;
    return this.utf8(n);
  }

  /** INT32-length bytes, never null. */
  readBytes(): Uint8Array {
    const n = this.readInt32();
    if (n === -1) throw new DecodeError("unexpected-null", "null in non-nullable bytes");
    return this.readRaw(n);
  }

  readNullableBytes(): Uint8Array | null {
    const n = this.readInt32();
    if (n === -1) return null;
    return this.readRaw(n);
  }

  readCompactBytes(): Uint8Array {
    const n = this.readUVarint() - 1;
    if (n < 0) throw new DecodeError("unexpected-null", "null in non-nullable compact bytes");
    return this.readRaw(n);
  }

  readCompactNullableBytes(): Uint8Array | null {
    const n = this.readUVarint() - 1;
    if (n < 0) return null;
    return this.readRaw(n);
  }

  /**
   * Reads an INT32 array count; -1 is null (returned as -1). A count that could not fit in the bytes
   * remaining, given each element takes at least `elementBytesMin`, is rejected before anything is allocated.
   */
  readArrayCount(elementBytesMin: number): number {
    const n = this.readInt32();
    if (n < -1) throw new DecodeError("negative-length", `array count ${n}`);
    if (n > 0) this.checkCount(n, elementBytesMin);
    return n;
  }

  /** Reads a UVARINT(count + 1) array count; null is returned as -1. Checked like readArrayCount. */
  readCompactArrayCount(elementBytesMin: number): number {
    const n = this.readUVarint() - 1;
    if (n > 0) this.checkCount(n, elementBytesMin);
    return n;
  }

  /** Throws unless `count` elements of at least `elementBytesMin` bytes (at least 1) can fit. */
  checkCount(count: number, elementBytesMin: number): void {
    const remaining = this.end - this.offset;
    if (count * Math.max(elementBytesMin, 1) > remaining) {
      throw new DecodeError("length-exceeds-remaining", `count ${count} cannot fit in ${remaining} bytes`);
    }
  }

  /** Reads a tag section of a struct with no known tagged fields: every tag is kept as unknown. */
  readUnknownTags(): TaggedField[] | undefined {
    const n = this.readUVarint();
    if (n === 0) return undefined;
    const out: TaggedField[] = [];
    for (let i = 0; i < n; i++) {
      const tag = this.readUVarint();
      out.push({ tag, data: this.readRaw(this.readTaggedSize()) });
    }
    return out;
  }

  /** Reads a tagged field's size and checks it against the bytes remaining. */
  readTaggedSize(): number {
    const n = this.readUVarint();
    if (n > this.end - this.offset) {
      throw new DecodeError("length-exceeds-remaining", `tagged field size ${n} > ${this.end - this.offset}`);
    }
    return n;
  }

  /** Throws unless exactly the bytes announced for a tagged field were consumed. */
  checkTaggedEnd(expectedOffset: number, tag: number): void {
    if (this.offset !== expectedOffset) {
      throw new DecodeError(
        "tagged-field-size-mismatch",
        `tag ${tag} announced ${expectedOffset} as its end but decoding ended at ${this.offset}`,
      );
    }
  }

  /** A value that decoded but is not acceptable (used for non-nullable nulls of structs). */
  fail(reason: "unexpected-null" | "invalid-value", detail: string): never {
    throw new DecodeError(reason, detail);
  }
}
